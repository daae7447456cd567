"""Playback decisions: direct play, remux (``-c copy``) or transcode, with the reason.

A browser plays H.264 (8-bit 4:2:0) with AAC or MP3 in an MP4 file as it is; H.264
in another container (MKV, AVI, TS) only needs a new container; anything else is
re-encoded.
The playback service serves HLS only (it reads nothing outside its assets folder), so a
"direct" item still gets an HLS asset, made by stream copy like a remux: the decision
records what the source needs, the ``mode`` how its asset is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.transcode.probe import MediaInfo, StreamInfo

DIRECT, REMUX, TRANSCODE, AUDIO, UNPLAYABLE = (
    "direct",
    "remux",
    "transcode",
    "audio",
    "unplayable",
)
COPY, LADDER, AUDIO_SET = "copy", "ladder", "audio"

_MP4_FAMILY = frozenset({"mov", "mp4", "m4a", "m4v"})
_H264_PROFILES = frozenset(
    {"baseline", "constrained baseline", "main", "high", "extended"}
)
_SAFE_PIX = frozenset({"yuv420p", "yuvj420p"})
_SAFE_AUDIO = frozenset({"aac", "mp3"})
_TEXT_SUBTITLES = frozenset(
    {"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"}
)


@dataclass(frozen=True, slots=True)
class Decision:
    """How one source becomes playable in a browser, and why."""

    action: str
    reason: str
    mode: str | None  # copy, ladder, audio; None when nothing can be made
    copy_audio: bool = False

    @property
    def makes_asset(self) -> bool:
        """Whether an HLS asset is built for this decision."""
        return self.mode is not None


def is_text_subtitle(stream: StreamInfo) -> bool:
    """Text subtitles can become WebVTT; bitmap ones (PGS, DVD) cannot."""
    return stream.kind == "subtitle" and stream.codec in _TEXT_SUBTITLES


def video_problem(stream: StreamInfo) -> str | None:
    """Why a browser cannot decode this video stream, or None when it can."""
    if stream.codec != "h264":
        return f"{stream.codec} video is not playable in browsers"
    profile = (stream.profile or "").lower()
    if profile and profile not in _H264_PROFILES:
        return f"H.264 profile {stream.profile} is not playable in browsers"
    if stream.pix_fmt and stream.pix_fmt not in _SAFE_PIX:
        return f"H.264 with pixel format {stream.pix_fmt} is not playable in browsers"
    return None


def audio_problem(stream: StreamInfo | None) -> str | None:
    """Why this audio must be re-encoded for HLS (AAC stereo), or None."""
    if stream is None:
        return None
    if stream.codec not in _SAFE_AUDIO:
        return f"{stream.codec} audio"
    if (stream.channels or 2) > 2:
        return f"{stream.channels}-channel audio"
    return None


def facts(info: MediaInfo | None) -> dict[str, Any]:
    """What a decision was based on, by column name; empty without a probe."""
    video = info.video if info else None
    audio = info.audio if info else None
    return {
        "container": info.container if info else None,
        "video_codec": video.codec if video else None,
        "video_profile": video.profile if video else None,
        "pix_fmt": video.pix_fmt if video else None,
        "width": video.width if video else None,
        "height": video.height if video else None,
        "audio_codec": audio.codec if audio else None,
        "audio_channels": audio.channels if audio else None,
        "text_subtitles": sum(is_text_subtitle(s) for s in info.subtitles)
        if info
        else 0,
        "duration_s": info.media_duration_s if info else None,
    }


def decide(
    info: MediaInfo, media_kind: str, *, remux_compatible: bool = True
) -> Decision:
    """Decide how ``info`` (a probed source of ``media_kind``) is made playable.

    Args:
        info: the probed source.
        media_kind: ``video`` or ``audio`` (from the library).
        remux_compatible: copy browser-safe video instead of building a ladder.
    """
    video, audio = info.video, info.audio
    if video is None and audio is None:
        what = "no media samples" if info.empty_streams else "no audio or video stream"
        return Decision(UNPLAYABLE, _empty_reason(what, info), None)
    if media_kind == "audio" or video is None:
        if audio is None:
            return Decision(UNPLAYABLE, "no audio stream with packets", None)
        return Decision(
            AUDIO, f"audio only ({audio.codec}): AAC rendition set", AUDIO_SET
        )
    if not video.width or not video.height:
        return Decision(
            UNPLAYABLE,
            f"the {video.codec} video stream has no picture size"
            " (a damaged or cut-off file)",
            None,
        )
    decision = _decide_video(info, video, audio, remux_compatible)
    if info.empty_streams and audio is None:
        return Decision(
            decision.action,
            decision.reason + "; its audio stream holds no packets: video only",
            decision.mode,
            copy_audio=False,
        )
    return decision


def _empty_reason(what: str, info: MediaInfo) -> str:
    if info.empty_streams:
        return f"{what}: the file holds stream headers only (an empty or cut-off file)"
    return what


def _decide_video(
    info: MediaInfo,
    video: StreamInfo,
    audio: StreamInfo | None,
    remux_compatible: bool,
) -> Decision:
    problem = video_problem(video)
    if problem:
        return Decision(TRANSCODE, f"{problem}: transcoding to H.264 ladder", LADDER)
    if not remux_compatible:
        return Decision(
            TRANSCODE,
            "browser-safe H.264, transcoded because transcode.remux_compatible is off",
            LADDER,
        )
    sound = audio_problem(audio)
    in_mp4 = bool(_MP4_FAMILY & set(info.container.split(",")))
    if in_mp4 and sound is None:
        return Decision(
            DIRECT,
            "browser-safe MP4 (H.264"
            + (f", {audio.codec})" if audio else ")")
            + ": plays as is; HLS made by stream copy",
            COPY,
            copy_audio=audio is not None and audio.codec == "aac",
        )
    where = "H.264" if in_mp4 else f"H.264 in {info.container.split(',')[0]}"
    why = f"{where}: video copied into HLS" + (
        f", {sound} re-encoded to AAC stereo" if sound else ""
    )
    return Decision(
        REMUX,
        why,
        COPY,
        copy_audio=sound is None and audio is not None and audio.codec == "aac",
    )
