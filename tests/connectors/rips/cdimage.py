"""Audio CD images for the rip tests: a CUE sheet and a WAV made with ffmpeg (the
same TOC, so the same disc id, as the disc would have), and the MusicBrainz disc-id
answer for it.

No recorded disc-id answer in ``../shared/peers/musicbrainz/discid/`` is for a disc of
a few seconds (they are 47- and 60-minute discs), so the answer for the test disc is
derived from a recorded one: the recorded XML with its disc's id, sector count and
offsets replaced by the test disc's, and its release list cut to one release, the
recorded ``Sea of Cowards`` release (whose recorded lookup then gives the tracklist).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.connectors.metadata.fakes import MB_DIR

RECORDED_DISC = "xp5tz6rE4OHrBafj0bLfDRMGK48-"
SEA_OF_COWARDS = "8eb2b179-643d-3507-b64c-29fcc6745156"


def make_image(folder: Path, seconds: tuple[int, ...] = (3, 4, 5)) -> Path:
    """A CUE+WAV image of a disc with one track per entry of ``seconds``; its CUE."""
    folder.mkdir(parents=True, exist_ok=True)
    wav = folder / "disc.wav"
    parts = []
    for n, length in enumerate(seconds):
        parts += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={330 + 110 * n}:duration={length}",
        ]
    concat = "".join(f"[{n}:a]" for n in range(len(seconds)))
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *parts, "-filter_complex",
         f"{concat}concat=n={len(seconds)}:v=0:a=1", "-ac", "2", "-ar", "44100",
         "-c:a", "pcm_s16le", str(wav)],
        check=True,
    )  # fmt: skip
    lines = ['FILE "disc.wav" WAVE']
    start = 0
    for n, length in enumerate(seconds, start=1):
        lines += [
            f"  TRACK {n:02d} AUDIO",
            f"    INDEX 01 {start // 60:02d}:{start % 60:02d}:00",
        ]
        start += length
    cue = folder / "disc.cue"
    cue.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cue


def disc_answer(disc_id: str, sectors: int, offsets: tuple[int, ...]) -> bytes:
    """The MusicBrainz ``discid`` answer for the test disc, derived from a recorded
    one (see the module docstring)."""
    text = (MB_DIR / "discid" / f"{RECORDED_DISC}.xml").read_text(encoding="utf-8")
    offset_list = (
        f'<offset-list count="{len(offsets)}">'
        + "".join(
            f'<offset position="{n}">{o}</offset>'
            for n, o in enumerate(offsets, start=1)
        )
        + "</offset-list>"
    )
    disc = f'<disc id="{disc_id}"><sectors>{sectors}</sectors>{offset_list}</disc>'
    head = text[: text.index("<disc ")]
    release = (
        f'<release-list count="1"><release id="{SEA_OF_COWARDS}">'
        "<title>Sea of Cowards</title><status>Official</status><date>2010-05-10</date>"
        '<artist-credit><name-credit><artist id="a8b3a1ad-2f8e-4a0a-9f63-1c7c5c3f1e4b">'
        "<name>The Dead Weather</name><sort-name>Dead Weather, The</sort-name>"
        "</artist></name-credit></artist-credit>"
        '<medium-list count="1"><medium><position>1</position><format>CD</format>'
        f'<disc-list count="1">{disc}</disc-list><track-list count="{len(offsets)}" />'
        "</medium></medium-list></release></release-list>"
    )
    body = re.sub(r"</offset-list>.*", "", disc)  # the disc element's own head
    return (head + body + "</offset-list>" + release + "</disc></metadata>").encode()
