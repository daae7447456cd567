"""Hostile library files: media that points ffmpeg at files outside the library.

Each file here is what an attacker would drop into a download folder: an HLS playlist
named ``.mkv``, an ffconcat list named ``.mp4`` (through an inner playlist, since the
concat demuxer's own safe mode already refuses absolute names), and a symlink out of
the library root. Enrichment's ffprobe, transcode's ffprobe and ffmpeg, and the
filesystem client must refuse them all while still reading real media.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from connectors.media_input import input_args, inside_roots
from connectors.media_servers.base import SyncMode
from connectors.media_servers.registry import create_client
from connectors.metadata.probe import probe_file
from connectors.transcode import probe as transcode_probe
from connectors.transcode.errors import ProbeFailed

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="needs ffmpeg",
)


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("hostile")
    outside, root = base / "outside", base / "library"
    outside.mkdir()
    (root / "Films").mkdir(parents=True)
    secret = outside / "secret.mp3"
    _ffmpeg("-f", "lavfi", "-i", "sine=d=2", "-c:a", "libmp3lame", str(secret))
    playlist = (
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2,\n"
        f"file:{secret}\n#EXT-X-ENDLIST\n"
    )
    hls = root / "Films" / "Trailer (2020).mkv"
    hls.write_text(playlist)
    (root / "Films" / "inner.bin").write_text(playlist)
    concat = root / "Films" / "Clip (2021).mp4"
    concat.write_text("ffconcat version 1.0\nfile 'inner.bin'\n")
    real = root / "Films" / "Real (2022).mkv"
    _ffmpeg(
        *("-f", "lavfi", "-i", "testsrc=d=1:s=64x64", "-f", "lavfi", "-i", "sine=d=1"),
        *("-c:v", "libx264", "-c:a", "aac", "-shortest", str(real)),
    )
    (root / "Music").mkdir()
    link = root / "Music" / "stolen.mp3"
    link.symlink_to(secret)
    inside = root / "Music" / "kept.mp3"
    shutil.copy(secret, root / "Music" / "original.mp3")
    inside.symlink_to(root / "Music" / "original.mp3")
    return {
        "root": root,
        "hls": hls,
        "concat": concat,
        "real": real,
        "link": link,
        "inside": inside,
    }


def test_ffmpeg_itself_follows_both_files_without_the_whitelist(hostile) -> None:
    """The threat is real: plain ffprobe reads the outside file through each."""
    for name in ("hls", "concat"):
        done = subprocess.run(
            [
                *("ffprobe", "-v", "error", "-show_entries", "stream=codec_name"),
                *("-of", "csv=p=0", f"file:{hostile[name]}"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert "mp3" in done.stdout.split(), name


@pytest.mark.parametrize("name", ["hls", "concat"])
def test_enrichment_probe_refuses_playlists_posing_as_video(hostile, name) -> None:
    result = probe_file(hostile[name])
    assert not result.ok
    assert result.streams == []
    assert "whitelist" in (result.error or "")
    assert str(hostile["root"]) not in (result.error or "")


@pytest.mark.parametrize("name", ["hls", "concat"])
def test_transcode_probe_refuses_playlists_posing_as_video(hostile, name) -> None:
    with pytest.raises(ProbeFailed, match="whitelist"):
        transcode_probe.probe(hostile[name])


def test_transcode_ffmpeg_input_refuses_them_too(hostile, tmp_path: Path) -> None:
    for name in ("hls", "concat"):
        done = subprocess.run(
            [
                *("ffmpeg", "-v", "error", *input_args()),
                *("-i", f"file:{hostile[name]}", "-c", "copy"),
                str(tmp_path / f"{name}.mka"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode != 0
        assert "whitelist" in done.stderr
        assert not (tmp_path / f"{name}.mka").exists()


def test_real_media_still_probes(hostile) -> None:
    result = probe_file(hostile["real"])
    assert result.ok, result.error
    assert {s.kind for s in result.streams} == {"video", "audio"}
    info = transcode_probe.probe(hostile["real"])
    assert info.video is not None
    assert info.audio is not None


def test_a_symlink_out_of_the_root_is_neither_read_nor_resolved(hostile) -> None:
    root = hostile["root"]
    client = create_client("fs", {"kind": "filesystem", "roots": [str(root)]})
    plan = client.plan_sync(SyncMode.FULL, {}, None, 100)
    files, titles = {}, set()
    for unit in plan.units:
        batch = client.read_unit(unit)
        files.update({f.path: f for f in batch.media_files})
        titles |= {t.native_id for t in batch.tracks}
    stolen = files["Music/stolen.mp3"]
    assert stolen.error == "symlink points outside the library roots: not read"
    assert stolen.native_id not in titles
    assert stolen.duration_s is None
    assert files["Music/kept.mp3"].error is None  # a link inside the root is fine
    assert files["Music/kept.mp3"].native_id in titles
    assert client.local_path("Music/stolen.mp3") is None
    assert client.local_path("../outside/secret.mp3") is None
    assert client.local_path("Music/kept.mp3") == (root / "Music/original.mp3")


def test_inside_roots_resolves_real_paths(tmp_path: Path) -> None:
    root, other = tmp_path / "root", tmp_path / "other"
    root.mkdir()
    other.mkdir()
    (other / "x").write_text("x")
    os.symlink(other, root / "door")
    assert inside_roots(root / "door" / "x", [root]) is None
    assert inside_roots(root / ".." / "other" / "x", [root]) is None
    assert inside_roots(root / "door" / "x", [root, other]) == (other / "x").resolve()
