"""Probing real files and deciding direct play, remux or transcode, with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.transcode import decide as d
from connectors.transcode.errors import ProbeFailed
from connectors.transcode.probe import StreamInfo, info_from_rows, probe


def test_mp4_with_h264_and_aac_plays_directly(sources: dict[str, Path]) -> None:
    decision = d.decide(probe(sources["mp4"]), "video")
    assert (decision.action, decision.mode) == (d.DIRECT, d.COPY)
    assert decision.copy_audio
    assert "browser-safe" in decision.reason


def test_h264_in_mkv_is_remuxed_without_reencoding(sources: dict[str, Path]) -> None:
    decision = d.decide(probe(sources["mkv"]), "video")
    assert (decision.action, decision.mode) == (d.REMUX, d.COPY)
    assert "matroska" in decision.reason


def test_hevc_with_surround_audio_and_subtitles_is_transcoded(
    sources: dict[str, Path],
) -> None:
    info = probe(sources["hevc"])
    decision = d.decide(info, "video")
    assert (decision.action, decision.mode) == (d.TRANSCODE, d.LADDER)
    assert decision.reason.startswith("hevc video is not playable")
    assert [s.language for s in info.subtitles] == ["eng"]
    assert info.audio is not None
    assert info.audio.channels == 6


def test_mpeg4_part2_is_transcoded(sources: dict[str, Path]) -> None:
    decision = d.decide(probe(sources["mpeg4"]), "video")
    assert decision.action == d.TRANSCODE
    assert "mpeg4 video" in decision.reason


def test_music_gets_an_audio_rendition_set(sources: dict[str, Path]) -> None:
    decision = d.decide(probe(sources["music"]), "audio")
    assert (decision.action, decision.mode) == (d.AUDIO, d.AUDIO_SET)


def test_corrupt_file_fails_with_ffprobes_reason(sources: dict[str, Path]) -> None:
    with pytest.raises(
        ProbeFailed, match=r"cannot read broken\.mp4: Invalid data found"
    ):
        probe(sources["corrupt"])


def test_missing_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(ProbeFailed, match="No such file"):
        probe(tmp_path / "gone.mkv")


def _video(**kw: object) -> StreamInfo:
    fields: dict = {
        "index": 0,
        "kind": "video",
        "codec": "h264",
        "profile": "High",
        "width": 1920,
        "height": 1080,
        "pix_fmt": "yuv420p",
    }
    fields.update(kw)
    return StreamInfo(**fields)


@pytest.mark.parametrize(
    ("stream", "why"),
    [
        (_video(profile="High 10", pix_fmt="yuv420p10le"), "profile High 10"),
        (
            _video(profile="High 4:4:4 Predictive", pix_fmt="yuv444p"),
            "profile High 4:4:4",
        ),
        (_video(codec="vp9", profile=None), "vp9 video"),
    ],
)
def test_h264_variants_browsers_cannot_decode_are_transcoded(
    stream: StreamInfo, why: str
) -> None:
    problem = d.video_problem(stream)
    assert problem is not None
    assert why in problem


def test_surround_aac_in_mp4_is_a_remux_with_audio_reencoded() -> None:
    info = info_from_rows(
        {"container": "mov,mp4,m4a", "duration_s": 10.0},
        [
            {
                "stream_index": 0,
                "kind": "video",
                "codec": "h264",
                "profile": "Main",
                "width": 640,
                "height": 360,
                "pix_fmt": "yuv420p",
                "frame_rate": 25.0,
            },
            {"stream_index": 1, "kind": "audio", "codec": "aac", "channels": 6},
        ],
    )
    decision = d.decide(info, "video")
    assert decision.action == d.REMUX
    assert not decision.copy_audio
    assert "6-channel audio re-encoded to AAC stereo" in decision.reason


def test_ladder_forced_by_settings_is_recorded_as_such(
    sources: dict[str, Path],
) -> None:
    decision = d.decide(probe(sources["mp4"]), "video", remux_compatible=False)
    assert decision.mode == d.LADDER
    assert "remux_compatible" in decision.reason


def test_no_streams_is_unplayable() -> None:
    info = info_from_rows({"container": "matroska", "duration_s": 1.0}, [])
    assert d.decide(info, "video").action == d.UNPLAYABLE
