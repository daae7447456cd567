"""A real DVD-Video folder authored in the test: ffmpeg writes DVD-compliant MPEG-2
program streams, dvdauthor builds ``VIDEO_TS`` (IFO/BUP/VOB) with two titles: a 2 s
extra and a 6 s main feature."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.connectors.downloads.servers import ffmpeg

TITLES = {"extra.mpg": ("testsrc2", 2), "main.mpg": ("testsrc", 6)}
XML = """<dvdauthor><vmgm /><titleset><titles>
<pgc><vob file="{0}/extra.mpg" /></pgc>
<pgc><vob file="{0}/main.mpg" /></pgc>
</titles></titleset></dvdauthor>"""


def author_dvd(work: Path, name: str = "Test Film (2021)") -> Path:
    """Author the DVD folder ``work/name`` (holding ``VIDEO_TS``); return it."""
    work.mkdir(parents=True, exist_ok=True)
    for file, (pattern, seconds) in TITLES.items():
        ffmpeg(
            "-f", "lavfi", "-i", f"{pattern}=size=720x480:rate=30000/1001",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(seconds), "-target", "ntsc-dvd", "-aspect", "4:3",
            str(work / file),
        )  # fmt: skip
    (work / "dvd.xml").write_text(XML.format(work))
    disc = work / name
    subprocess.run(
        ["dvdauthor", "-o", str(disc), "-x", str(work / "dvd.xml")],
        check=True, capture_output=True, env={**os.environ, "VIDEO_FORMAT": "NTSC"},
    )  # fmt: skip
    return disc


@pytest.fixture(scope="session")
def dvd_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DVD folder (``.../Test Film (2021)/VIDEO_TS``), authored once per session."""
    return author_dvd(tmp_path_factory.mktemp("dvd"))
