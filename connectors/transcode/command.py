"""The one ffmpeg command that makes an HLS asset, built with ffmpeg-python.

Three shapes, one process each:

- ``copy``: the video stream copied into MPEG-TS segments (remux), audio copied when it
  is AAC stereo and re-encoded to AAC stereo otherwise;
- ``ladder``: one decode, ``split`` into every rendition, each scaled and encoded with
  keyframes forced on segment boundaries (so every rendition switches cleanly), audio
  encoded to AAC stereo per rendition, ``var_stream_map`` and a master playlist;
- ``audio``: music, the audio encoded to AAC stereo at each bitrate of the set.

Text subtitles become WebVTT files from the same process (extra outputs); the publish
step gives each its playlist. No argument comes from an unchecked string: sizes and
bitrates are integers, names match ``[a-z0-9_]``, paths are absolute and checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ffmpeg

from connectors.media_input import input_options
from connectors.transcode.decide import AUDIO_SET, COPY, LADDER, is_text_subtitle
from connectors.transcode.errors import OutputUnwritable
from connectors.transcode.hardware import SOFTWARE, Encoder
from connectors.transcode.ladder import (
    AudioRendition,
    Rendition,
    RenditionSpec,
    gop_frames,
    plan_audio,
    plan_ladder,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from connectors.transcode.decide import Decision
    from connectors.transcode.probe import MediaInfo

MASTER = "master.m3u8"
VARIANT = "index.m3u8"
SUBS_DIR = "subs"
SEGMENT = "seg_%05d.ts"
COPY_NAME = "source"
COPY_AUDIO_KBPS = 160


@dataclass(frozen=True, slots=True)
class SubtitleTrack:
    """A text subtitle stream of the source and the rendition it becomes."""

    stream_index: int
    name: str
    language: str
    forced: bool = False


@dataclass(frozen=True, slots=True)
class EncodePlan:
    """Everything the command needs besides paths."""

    mode: str  # copy, ladder, audio
    segment_s: float
    video_index: int | None = None
    audio_index: int | None = None
    copy_audio: bool = False
    renditions: tuple[Rendition, ...] = ()
    audio: tuple[AudioRendition, ...] = ()
    subtitles: tuple[SubtitleTrack, ...] = ()
    gop: int = 0
    size: tuple[int, int] | None = None  # the copied video's width and height
    encoder: Encoder = SOFTWARE
    preset: str = "veryfast"

    def estimated_bytes(self, duration_s: float) -> int:
        """A generous size estimate of the output (for the free-space check)."""
        if self.mode == LADDER:
            kbps = sum(r.video_kbps + r.audio_kbps for r in self.renditions)
        elif self.mode == AUDIO_SET:
            kbps = sum(a.kbps for a in self.audio)
        else:
            kbps = 0  # a copy is about the size of the source: the caller adds it
        return int(kbps * 1000 / 8 * duration_s * 1.25)


def make_plan(
    info: MediaInfo,
    decision: Decision,
    *,
    specs: Sequence[RenditionSpec],
    audio_kbps: Sequence[int],
    segment_s: float,
    encoder: Encoder = SOFTWARE,
    preset: str = "veryfast",
) -> EncodePlan:
    """The encode plan for a source and its decision.

    Raises:
        ValueError: the decision makes no asset, or the source lacks what it needs.
    """
    if decision.mode is None:
        raise ValueError(f"nothing to build: {decision.reason}")
    video, audio = info.video, info.audio
    subs = tuple(
        SubtitleTrack(s.index, f"sub{n}_{s.language}", s.language, s.forced)
        for n, s in enumerate(x for x in info.subtitles if is_text_subtitle(x))
    )
    common: dict[str, Any] = {
        "segment_s": segment_s,
        "audio_index": audio.index if audio else None,
        "encoder": encoder,
        "preset": preset,
    }
    if decision.mode == AUDIO_SET:
        if audio is None:
            raise ValueError("an audio rendition set needs an audio stream")
        return EncodePlan(AUDIO_SET, audio=tuple(plan_audio(audio_kbps)), **common)
    if video is None:
        raise ValueError("the source has no video stream")
    if decision.mode == COPY:
        return EncodePlan(
            COPY,
            video_index=video.index,
            copy_audio=decision.copy_audio,
            subtitles=subs,
            size=(video.width or 0, video.height or 0),
            **common,
        )
    return EncodePlan(
        LADDER,
        video_index=video.index,
        renditions=tuple(plan_ladder(info, specs)),
        subtitles=subs,
        gop=gop_frames(video.fps, segment_s),
        **common,
    )


def check_output_dir(path: Path) -> None:
    """Output paths must be absolute and free of ``%`` (ffmpeg's pattern character)."""
    if not path.is_absolute() or "%" in str(path):
        raise OutputUnwritable(
            f"the assets folder must be an absolute path without '%': {path}"
        )


def build_command(
    source: Path, out_dir: Path, plan: EncodePlan, ffmpeg_bin: str = "ffmpeg"
) -> list[str]:
    """The full ffmpeg command writing ``plan`` for ``source`` into ``out_dir``."""
    check_output_dir(out_dir)
    inp = ffmpeg.input(f"file:{source.absolute()}", **input_options())
    if plan.mode == COPY:
        streams, options = _copy_streams(inp, plan)
    elif plan.mode == LADDER:
        streams, options = _ladder_streams(inp, plan)
    else:
        streams, options = _audio_streams(inp, plan)
    options.update(_hls_options(out_dir, plan))
    outputs = [ffmpeg.output(*streams, str(out_dir / "%v" / VARIANT), **options)]
    for sub in plan.subtitles:
        outputs.append(
            ffmpeg.output(
                inp[str(sub.stream_index)],
                str(out_dir / SUBS_DIR / f"{sub.name}.vtt"),
                f="webvtt",
                **{"c:s": "webvtt"},
            )
        )
    merged = ffmpeg.merge_outputs(*outputs).global_args(
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-v",
        "error",
        "-progress",
        "pipe:1",
        *plan.encoder.global_args(),
    )
    return list(merged.compile(cmd=ffmpeg_bin))


def _audio_options(plan: EncodePlan, kbps: Sequence[int]) -> dict[str, str]:
    options = {"c:a": "aac", "ac": "2"}
    options.update({f"b:a:{i}": f"{k}k" for i, k in enumerate(kbps)})
    return options


def _copy_streams(inp: Any, plan: EncodePlan) -> tuple[list[Any], dict[str, str]]:
    streams = [inp[str(plan.video_index)]]
    options: dict[str, str] = {"c:v": "copy"}
    entry = "v:0"
    if plan.audio_index is not None:
        streams.append(inp[str(plan.audio_index)])
        entry += ",a:0"
        if plan.copy_audio:
            options["c:a"] = "copy"
        else:
            options.update(_audio_options(plan, [COPY_AUDIO_KBPS]))
    options["var_stream_map"] = f"{entry},name:{COPY_NAME}"
    return streams, options


def _ladder_streams(inp: Any, plan: EncodePlan) -> tuple[list[Any], dict[str, str]]:
    count = len(plan.renditions)
    video = inp[str(plan.video_index)]
    branches = video.filter_multi_output("split", count) if count > 1 else None
    streams: list[Any] = []
    options: dict[str, str] = {
        "force_key_frames": f"expr:gte(t,n_forced*{plan.segment_s:g})",
        "g": str(plan.gop),
    }
    entries = []
    for i, rendition in enumerate(plan.renditions):
        branch = branches[i] if branches is not None else video
        branch = branch.filter("scale", rendition.width, rendition.height)
        for name, kwargs in plan.encoder.upload_filters():
            branch = branch.filter(name, **kwargs)
        streams.append(branch)
        options.update(
            plan.encoder.stream_options(i, rendition.video_kbps, plan.preset)
        )
        entry = f"v:{i}"
        if plan.audio_index is not None:
            streams.append(inp[str(plan.audio_index)])
            entry += f",a:{i}"
        entries.append(f"{entry},name:{rendition.name}")
    if plan.audio_index is not None:
        options.update(_audio_options(plan, [r.audio_kbps for r in plan.renditions]))
    options["var_stream_map"] = " ".join(entries)
    return streams, options


def _audio_streams(inp: Any, plan: EncodePlan) -> tuple[list[Any], dict[str, str]]:
    streams = [inp[str(plan.audio_index)] for _ in plan.audio]
    options = _audio_options(plan, [a.kbps for a in plan.audio])
    options["var_stream_map"] = " ".join(
        f"a:{i},name:{a.name}" for i, a in enumerate(plan.audio)
    )
    return streams, options


def _hls_options(out_dir: Path, plan: EncodePlan) -> dict[str, str]:
    flags = "independent_segments" if plan.mode == LADDER else "+"
    options = {
        "f": "hls",
        "hls_time": f"{plan.segment_s:g}",
        "hls_playlist_type": "vod",
        "hls_segment_filename": str(out_dir / "%v" / SEGMENT),
        "max_muxing_queue_size": "4096",
    }
    if plan.mode != COPY:  # ffmpeg needs bitrates for a master; a copy has none
        options["master_pl_name"] = MASTER
    if flags != "+":
        options["hls_flags"] = flags
    return options
