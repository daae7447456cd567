"""Transcode edge cases seen on real files: each ends as a clear decision, either
unplayable with a reason or a working HLS asset, never a crash."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from connectors.transcode import decide as d
from connectors.transcode import publish
from connectors.transcode.command import make_plan
from connectors.transcode.ladder import RenditionSpec
from connectors.transcode.probe import probe

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "mutagen"
SPECS = (RenditionSpec("180p", 180, 300, 64), RenditionSpec("120p", 120, 150, 48))
pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


def _decide_and_build(source: Path, kind: str, root: Path):
    info = probe(source)
    decision = d.decide(info, kind)
    if not decision.makes_asset:
        return decision, None
    plan = make_plan(info, decision, specs=SPECS, audio_kbps=[96, 48], segment_s=2)
    return decision, publish.build_asset(source, root, plan, info.media_duration_s)


def test_an_audio_stream_without_packets_gives_a_video_only_asset(
    tmp_path: Path,
) -> None:
    source = tmp_path / "silent track.mkv"
    _ffmpeg(
        *("-f", "lavfi", "-i", "testsrc=d=3:s=160x120:r=25"),
        *("-f", "lavfi", "-i", "sine=d=3,atrim=start=10"),  # an audio track, no data
        *("-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", str(source)),
    )
    decision, asset = _decide_and_build(source, "video", tmp_path / "assets")
    assert decision.action == d.REMUX
    assert "audio stream holds no packets" in decision.reason
    assert asset is not None
    assert [v.kind for v in asset.variants] == ["video"]
    assert asset.duration_s == pytest.approx(3.0, abs=0.1)


def test_an_mp4_init_segment_without_samples_is_unplayable(tmp_path: Path) -> None:
    fragmented = tmp_path / "frag.mp4"
    _ffmpeg(
        *("-f", "lavfi", "-i", "testsrc=d=2:s=160x120:r=25", "-f", "lavfi"),
        *("-i", "sine=d=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *("-movflags", "frag_keyframe+empty_moov", str(fragmented)),
    )
    data, offset = fragmented.read_bytes(), 0
    while data[offset + 4 : offset + 8] != b"moof":
        offset += struct.unpack(">I", data[offset : offset + 4])[0]
    init = tmp_path / "init.mp4"
    init.write_bytes(data[:offset])  # ftyp + moov: streams declared, no samples
    decision, asset = _decide_and_build(init, "video", tmp_path / "assets")
    assert decision.action == d.UNPLAYABLE
    assert "no media samples" in decision.reason
    assert asset is None


@pytest.mark.parametrize("seconds", [0.2, 0.6])
def test_audio_shorter_than_a_second_gets_a_working_set(
    tmp_path: Path, seconds: float
) -> None:
    source = tmp_path / "blip.mp3"
    _ffmpeg("-f", "lavfi", "-i", f"sine=d={seconds}", "-c:a", "libmp3lame", str(source))
    decision, asset = _decide_and_build(source, "audio", tmp_path / "assets")
    assert decision.action == d.AUDIO
    assert asset is not None
    assert {v.kind for v in asset.variants} == {"audio"}
    assert asset.duration_s == pytest.approx(seconds, abs=0.1)


def test_a_truncated_64bit_mp4_is_unplayable_with_a_reason(tmp_path: Path) -> None:
    decision, asset = _decide_and_build(
        CORPUS / "truncated-64bit.mp4", "video", tmp_path / "assets"
    )
    assert decision.action == d.UNPLAYABLE
    assert "no picture size" in decision.reason
    assert asset is None
