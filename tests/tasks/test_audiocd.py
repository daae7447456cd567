"""The rip watcher and audio CDs: a drive whose disc has audio tracks (cdparanoia
reads its TOC) and a CUE image in the watch folder go to the audio CD rip; the DVD
rips leave that drive alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.rips.watcher import RipSource, SourceKind
from tasks import audiocd, rips
from tasks.context import reset
from tests.connectors.rips.cdimage import make_image
from tests.connectors.rips.test_audiocd import fake_cdparanoia


@pytest.fixture
def drive(ml_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A sys/block folder with a drive holding a disc, the fake cdparanoia reading it,
    and a watch folder with a CUE image; returns the sys/block folder."""
    disc = make_image(tmp_path / "disc")
    inbox = make_image(tmp_path / "inbox", seconds=(2, 2))
    (tmp_path / "sys/sr0").mkdir(parents=True)
    (tmp_path / "sys/sr0/size").write_text("6000\n")
    program = fake_cdparanoia(tmp_path, disc, monkeypatch)
    monkeypatch.setenv("MEDIALAKE_RIPS_CDPARANOIA", str(program))
    monkeypatch.setenv("MEDIALAKE_RIPS_WATCH_DIR", str(inbox.parent))
    monkeypatch.setenv("MEDIALAKE_RIPS_STABLE_S", "0")
    reset()
    return tmp_path / "sys"


def test_the_watcher_finds_audio_cds_and_cue_images(drive: Path, tmp_path: Path):
    found = audiocd.watch_audio_cds.fn(sys_block=str(drive))

    assert found == ["/dev/sr0", str(tmp_path / "inbox/disc.cue")]


def test_dvd_rips_leave_a_drive_with_an_audio_cd_alone(
    drive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disc = RipSource(Path("/dev/sr0"), SourceKind.DRIVE, "/dev/sr0|6000")
    monkeypatch.setattr(rips, "poll", lambda *args, **kwargs: [disc])

    assert rips.watch_sources.fn() == []


def test_a_drive_without_audio_is_not_an_audio_cd(
    drive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIALAKE_RIPS_CDPARANOIA", "/nonexistent/cdparanoia")
    reset()

    assert not audiocd.is_audio_cd(Path("/dev/sr0"))
