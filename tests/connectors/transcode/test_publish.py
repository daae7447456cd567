"""Building, verifying and publishing real HLS assets with ffmpeg, and the faults."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import psutil
import pytest

from connectors.transcode import decide as d
from connectors.transcode import publish
from connectors.transcode.command import make_plan
from connectors.transcode.errors import (
    EncodeFailed,
    NotEnoughSpace,
    OutputUnwritable,
    VerifyFailed,
)
from connectors.transcode.ladder import RenditionSpec
from connectors.transcode.probe import probe
from connectors.transcode.runner import Progress
from tests.connectors.transcode import media

SPECS = (RenditionSpec("180p", 180, 300, 64), RenditionSpec("120p", 120, 150, 48))


def _build(source: Path, root: Path, kind: str = "video", **kw: object):
    info = probe(source)
    plan = make_plan(
        info, d.decide(info, kind), specs=SPECS, audio_kbps=[96, 48], segment_s=2
    )
    return publish.build_asset(source, root, plan, info.media_duration_s, **kw)


def _ffprobe(path: Path, *entries: str) -> dict:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", *entries, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _keyframes(playlist: Path) -> list[float]:
    frames = _ffprobe(
        playlist,
        "-select_streams",
        "v",
        "-skip_frame",
        "nokey",
        "-show_entries",
        "frame=pts_time",
    )["frames"]
    return [round(float(f["pts_time"]), 3) for f in frames]


def test_ladder_is_published_verified_and_switchable(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    before = media.fingerprint(sources["hevc"])
    updates: list[Progress] = []
    asset = _build(sources["hevc"], tmp_path, on_progress=updates.append)
    folder = tmp_path / asset.asset_id
    assert sorted(p.name for p in tmp_path.iterdir()) == [asset.asset_id]
    master = (folder / "master.m3u8").read_text(encoding="utf-8")
    assert "RESOLUTION=320x180" in master
    assert "RESOLUTION=214x120" in master
    assert 'TYPE=SUBTITLES,GROUP-ID="subs",NAME="eng 1",LANGUAGE="eng"' in master
    variant = (folder / "180p/index.m3u8").read_text(encoding="utf-8")
    assert "#EXT-X-INDEPENDENT-SEGMENTS" in variant
    # keyframes on the same instants in every rendition: every 2 s segment boundary
    big, small = (
        _keyframes(folder / "180p/index.m3u8"),
        _keyframes(folder / "120p/index.m3u8"),
    )
    assert big == small
    assert len(big) == 3
    assert [round(b - big[0], 3) for b in big] == [0.0, 2.0, 4.0]
    audio = _ffprobe(folder / "120p/seg_00000.ts", "-show_streams")["streams"]
    assert {
        (s["codec_name"], s.get("channels"))
        for s in audio
        if s["codec_type"] == "audio"
    } == {("aac", 2)}
    vtt = (folder / "subs/sub0_eng.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000")
    assert "Hello there" in vtt
    assert abs(asset.duration_s - 6.0) < 1
    assert {r["kind"] for r in asset.rendition_rows()} == {"video", "subtitles"}
    assert updates[-1].done
    assert updates[-1].percent == 100
    assert media.fingerprint(sources["hevc"]) == before  # the source is untouched


def test_remux_copies_the_stream_and_mp4_direct_play_too(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    for name in ("mkv", "mp4"):
        asset = _build(sources[name], tmp_path)
        segment = tmp_path / asset.asset_id / "source" / "seg_00000.ts"
        streams = _ffprobe(segment, "-show_streams")["streams"]
        assert [(s["codec_name"], s.get("width")) for s in streams] == [
            ("h264", 320),
            ("aac", None),
        ]
        master = (tmp_path / asset.asset_id / "master.m3u8").read_text(encoding="utf-8")
        assert "BANDWIDTH=" in master
        assert "RESOLUTION=320x180" in master


def test_sample_library_video_remuxes(sample_library, tmp_path: Path) -> None:
    video = next((sample_library.root / "Video").rglob("*.mkv"))
    asset = _build(video, tmp_path)
    assert (tmp_path / asset.asset_id / "source" / "index.m3u8").is_file()


def test_music_gets_audio_only_renditions(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    asset = _build(sources["music"], tmp_path, kind="audio")
    rows = asset.rendition_rows()
    assert [(r["name"], r["kind"]) for r in rows] == [
        ("aac_96k", "audio"),
        ("aac_48k", "audio"),
    ]
    streams = _ffprobe(
        tmp_path / asset.asset_id / "aac_96k/seg_00000.ts", "-show_streams"
    )
    assert [s["codec_type"] for s in streams["streams"]] == ["audio"]


def _kill_ffmpeg(update: Progress) -> None:
    for child in psutil.Process().children(recursive=True):
        if child.name() == "ffmpeg":
            child.send_signal(signal.SIGKILL)


@pytest.fixture(scope="module")
def long_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.h264(
        tmp_path_factory.mktemp("long") / "long.mkv", seconds=60, size="640x360"
    )


def test_ffmpeg_killed_midway_publishes_nothing(
    long_source: Path, tmp_path: Path
) -> None:
    info = probe(long_source)
    plan = make_plan(
        info,
        d.Decision(d.TRANSCODE, "test", d.LADDER),
        specs=SPECS,
        audio_kbps=[96],
        segment_s=2,
    )
    with pytest.raises(EncodeFailed, match="ffmpeg was killed"):
        publish.build_asset(
            long_source, tmp_path, plan, info.media_duration_s, on_progress=_kill_ffmpeg
        )
    assert list(tmp_path.iterdir()) == []


def test_a_retry_starts_clean(sources: dict[str, Path], tmp_path: Path) -> None:
    asset_id = publish.new_asset_id()
    half = publish.tmp_dir(tmp_path, asset_id) / "180p"
    half.mkdir(parents=True)
    (half / "seg_00099.ts").write_bytes(b"left by a killed run")
    asset = _build(sources["mkv"], tmp_path, asset_id=asset_id)
    assert sorted(p.name for p in tmp_path.iterdir()) == [asset.asset_id]
    assert not (tmp_path / asset_id / "180p").exists()


def test_write_failures_midway_are_caught_and_nothing_is_published(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    """ffmpeg's HLS muxer ignores failed writes (exit 0, truncated segments): with a
    64 KiB file size limit (writes fail with EFBIG, like a full disk) verification is
    what refuses the output."""
    wrapper = tmp_path / "ffmpeg-small-disk"
    wrapper.write_text(
        "#!/bin/sh\ntrap '' XFSZ\nulimit -f 128\n"
        f'exec {shutil.which("ffmpeg")} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    root = tmp_path / "assets"
    with pytest.raises(VerifyFailed, match="variant 180p does not decode"):
        _build(sources["hevc"], root, ffmpeg_bin=str(wrapper))
    assert list(root.iterdir()) == []


def test_a_full_disk_is_named_as_such(
    sources: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = shutil.disk_usage(tmp_path)
    answers = iter([real, real._replace(free=3 * 2**20)])  # full once ffmpeg ran
    monkeypatch.setattr(publish.shutil, "disk_usage", lambda _path: next(answers))
    info = probe(sources["mkv"])
    plan = make_plan(
        info, d.decide(info, "video"), specs=SPECS, audio_kbps=[96], segment_s=2
    )
    with pytest.raises(NotEnoughSpace, match=r"disk is full \(3 MiB free\): variant"):
        publish.build_asset(sources["mkv"], tmp_path, plan, info.media_duration_s + 6)
    assert list(tmp_path.iterdir()) == []


def test_too_little_free_space_is_refused_before_starting(
    sources: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = shutil.disk_usage(tmp_path)._replace(free=10 * 2**20)
    monkeypatch.setattr(publish.shutil, "disk_usage", lambda _path: usage)
    with pytest.raises(NotEnoughSpace, match=r"MiB needed, 10 MiB free"):
        _build(sources["mkv"], tmp_path / "assets")


def test_unwritable_assets_folder_fails_clearly(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    blocker = tmp_path / "assets"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(OutputUnwritable, match="cannot write to the assets folder"):
        _build(sources["mkv"], blocker / "hls")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions")
def test_read_only_assets_folder_fails_clearly(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    root = tmp_path / "assets"
    root.mkdir(mode=0o500)
    with pytest.raises(OutputUnwritable, match="Permission denied"):
        _build(sources["mkv"], root)


def test_output_shorter_than_the_source_is_not_published(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    info = probe(sources["mkv"])
    plan = make_plan(
        info, d.decide(info, "video"), specs=SPECS, audio_kbps=[96], segment_s=2
    )
    with pytest.raises(
        VerifyFailed, match=r"playlist length \d\.\d+ s, source 9\.\d+ s"
    ):
        publish.build_asset(sources["mkv"], tmp_path, plan, info.media_duration_s + 6)
    assert list(tmp_path.iterdir()) == []


def test_sweep_removes_leftovers_but_keeps_what_is_current(tmp_path: Path) -> None:
    keep, orphan, building = (publish.new_asset_id() for _ in range(3))
    for name in (keep, orphan, f".tmp-{building}", f".tmp-{publish.new_asset_id()}"):
        (tmp_path / name).mkdir()
    (tmp_path / "notes").mkdir()
    removed = publish.sweep(tmp_path, {keep}, {building}, min_age_s=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [keep, f".tmp-{building}", "notes"]
    )
    assert len(removed) == 2
