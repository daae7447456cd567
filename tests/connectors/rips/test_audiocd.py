"""Audio CD rips without a drive: a CUE+WAV image made in the test stands for the disc
(the same TOC, the same disc id) and goes through the same code below the reader."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import wave
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from mutagen.flac import FLAC

from connectors.rips.audiocd import (
    CueImageReader,
    DiscError,
    DriveReader,
    Toc,
    disc_id,
)
from connectors.rips.cdrip import lookup_disc, placeholder, rip_disc
from tests.connectors.metadata.conftest import make_mb
from tests.connectors.metadata.fakes import MB_DIR, MMD, FakeMusicBrainz
from tests.connectors.rips.cdimage import disc_answer, make_image

TEMPLATE = "Music/{artist}/{album} ({year})/{tracknumber} - {title}"
ALBUM = "Music/The Dead Weather/Sea of Cowards (2010)"
TITLES = ("Blue Blood Blues", "Hustle and Cuss", "The Difference Between Us")


@pytest.fixture(scope="module")
def cue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_image(tmp_path_factory.mktemp("cd"))


@pytest.fixture
def mb() -> Iterator[FakeMusicBrainz]:
    with FakeMusicBrainz(min_interval=0.05) as fake:
        yield fake


def _register(mb: FakeMusicBrainz, toc: Toc) -> str:
    found = disc_id(toc)
    mb.extra[f"discid/{found}"] = disc_answer(found, toc.lead_out, toc.offsets)
    return found


@pytest.mark.parametrize(
    "name", ["f7agNZK1HMQ2WUWq9bwDymw9aHA-", "xp5tz6rE4OHrBafj0bLfDRMGK48-"]
)
def test_the_disc_id_of_a_recorded_toc_is_the_recorded_id(name: str) -> None:
    disc = ET.parse(MB_DIR / "discid" / f"{name}.xml").getroot()[0]
    ns = f"{{{MMD}}}"
    offsets = tuple(int(o.text or 0) for o in disc.find(f"{ns}offset-list") or [])
    toc = Toc(1, len(offsets), offsets, int(disc.findtext(f"{ns}sectors") or 0))

    assert disc_id(toc) == name


def test_a_cue_image_has_the_toc_of_its_disc(cue: Path, tmp_path: Path) -> None:
    reader = CueImageReader(cue)

    toc = reader.toc()
    reader.read_track(2, tmp_path / "two.wav")

    assert toc.offsets == (150, 150 + 3 * 75, 150 + 7 * 75)
    assert toc.lead_out == 150 + 12 * 75
    assert (tmp_path / "two.wav").stat().st_size == 44 + 4 * 75 * 2352


def test_a_known_disc_rips_to_tagged_flac_under_the_right_names(
    cue: Path, mb: FakeMusicBrainz, tmp_path: Path
) -> None:
    reader = CueImageReader(cue)
    toc = reader.toc()
    found = _register(mb, toc)
    client = make_mb(mb, tmp_path / "mb.lock", interval=0.05)

    info = lookup_disc(client, found, len(toc.numbers))
    files = rip_disc(
        reader, toc, info, tmp_path / "staging", tmp_path / "lib", TEMPLATE
    )

    names = [p.relative_to(tmp_path / "lib").as_posix() for p in files]
    assert names == [f"{ALBUM}/{n:02d} - {t}.flac" for n, t in enumerate(TITLES, 1)]
    tags = FLAC(files[1])
    assert tags["title"] == [TITLES[1]]
    assert tags["artist"] == ["The Dead Weather"]
    assert (tags["album"], tags["date"], tags["tracknumber"]) == (
        ["Sea of Cowards"],
        ["2010"],
        ["02"],
    )
    assert tags["musicbrainz_discid"] == [found]
    assert abs(tags.info.length - 4.0) < 0.02
    assert not (tmp_path / "staging").exists()


def test_an_unknown_disc_is_ripped_under_a_placeholder(
    cue: Path, mb: FakeMusicBrainz, tmp_path: Path
) -> None:
    reader = CueImageReader(cue)
    toc = reader.toc()
    client = make_mb(mb, tmp_path / "mb.lock", interval=0.05)

    info = lookup_disc(client, disc_id(toc), len(toc.numbers))
    files = rip_disc(
        reader, toc, info, tmp_path / "staging", tmp_path / "lib", TEMPLATE
    )

    assert not info.matched
    assert [p.name for p in files] == ["01 - Track 01.flac", "02 - Track 02.flac",
                                       "03 - Track 03.flac"]  # fmt: skip
    assert files[0].parent.name == f"Unknown Disc {disc_id(toc)}"


KILLED = """
import os, sys
from pathlib import Path
from connectors.rips.audiocd import CueImageReader, disc_id
from connectors.rips.cdrip import placeholder, rip_disc
cue, root = Path(sys.argv[1]), Path(sys.argv[2])
reader = CueImageReader(cue)
toc = reader.toc()
def die(done, total):
    if done == 2:
        os._exit(137)  # killed: no cleanup runs
rip_disc(reader, toc, placeholder(disc_id(toc)), root / "staging", root / "lib",
         "Music/{artist}/{album}/{tracknumber} - {title}", die)
"""


def test_a_rip_killed_midway_leaves_nothing_and_the_retry_completes(
    cue: Path, tmp_path: Path
) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED), str(cue), str(tmp_path)],
        check=False,
    )

    assert killed.returncode == 137
    assert len(list((tmp_path / "staging").glob("*.flac"))) == 2  # it was midway
    assert not (tmp_path / "lib").exists() or not any((tmp_path / "lib").rglob("*"))
    reader = CueImageReader(cue)
    toc = reader.toc()
    files = rip_disc(reader, toc, placeholder(disc_id(toc)), tmp_path / "staging",
                     tmp_path / "lib", TEMPLATE)  # fmt: skip
    assert len(files) == 3
    every = sorted(p.name for p in (tmp_path / "lib").rglob("*") if p.is_file())
    assert every == [p.name for p in files]  # no leftover, nothing twice


def test_a_cue_bin_image_reads_like_its_wav(cue: Path, tmp_path: Path) -> None:
    with wave.open(str(cue.parent / "disc.wav")) as audio:
        raw = audio.readframes(audio.getnframes())  # the PCM, as a BIN holds it
    (tmp_path / "disc.bin").write_bytes(raw)
    sheet = cue.read_text().replace('"disc.wav" WAVE', '"disc.bin" BINARY')
    (tmp_path / "disc.cue").write_text(sheet)
    image, wav = CueImageReader(tmp_path / "disc.cue"), CueImageReader(cue)

    image.read_track(3, tmp_path / "from-bin.wav")
    wav.read_track(3, tmp_path / "from-wav.wav")

    assert image.toc() == wav.toc()
    assert disc_id(image.toc()) == disc_id(wav.toc())
    assert (tmp_path / "from-bin.wav").read_bytes() == (
        tmp_path / "from-wav.wav"
    ).read_bytes()


def fake_cdparanoia(folder: Path, cue: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``cdparanoia`` command whose drive holds the disc of ``cue``."""
    root = Path(__file__).resolve().parents[3]
    script = folder / "cdparanoia"
    script.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -m tests.connectors.rips.fake_cdparanoia'
        ' "$@"\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("FAKE_CDPARANOIA_CUE", str(cue))
    monkeypatch.setenv("PYTHONPATH", str(root))
    return script


def test_a_drive_goes_through_the_same_rip_as_its_image(
    cue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = fake_cdparanoia(tmp_path, cue, monkeypatch)
    drive = DriveReader(Path("/dev/sr0"), str(program))

    toc = drive.toc()
    files = rip_disc(drive, toc, placeholder(disc_id(toc)), tmp_path / "staging",
                     tmp_path / "lib", TEMPLATE)  # fmt: skip

    assert toc == CueImageReader(cue).toc()  # the same TOC, so the same disc id
    assert [round(FLAC(f).info.length) for f in files] == [3, 4, 5]


def test_a_drive_without_cdparanoia_says_so(tmp_path: Path) -> None:
    with pytest.raises(DiscError, match="cdparanoia is not installed"):
        DriveReader(Path("/dev/sr0"), str(tmp_path / "nothing")).toc()
