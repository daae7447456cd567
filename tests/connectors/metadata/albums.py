"""Untagged album folders for the fingerprint tests, and the AcoustID answers for them.

The files are real audio (ffmpeg noise, a different seed each, so every file has its
own Chromaprint fingerprint); the answers follow AcoustID's documented lookup format
with ``meta=recordings releases`` and name the recordings and releases of the recorded
MusicBrainz answers in ``../shared/peers/musicbrainz/release/``, so the MusicBrainz
lookup that follows is served by the fake MusicBrainz from the same files.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from connectors.metadata.fingerprint import fingerprint_file
from tests.connectors.metadata.fakes import MB_DIR, MMD

SEA_OF_COWARDS = "8eb2b179-643d-3507-b64c-29fcc6745156"  # The Dead Weather, 11 tracks
TECHPARA = "212895ca-ee36-439a-a824-d2620cd10461"  # We♥TechPara, 18 tracks
COMPILATION = "9ce41d09-40e4-4d33-af0c-7fed1e558dba"  # a punk compilation
NS = f"{{{MMD}}}"


def recorded_tracks(release_id: str) -> list[dict[str, Any]]:
    """The first medium's tracks of a recorded release (position, recording id,
    title)."""
    [path] = sorted((MB_DIR / "release").glob(f"{release_id}*.xml"))
    release = ET.parse(path).getroot()[0]
    medium = next(release.iter(f"{NS}medium"))
    tracks = []
    for track in medium.iter(f"{NS}track"):
        recording = track.find(f"{NS}recording")
        assert recording is not None
        tracks.append(
            {
                "position": int(track.findtext(f"{NS}position") or 0),
                "id": recording.get("id"),
                "title": recording.findtext(f"{NS}title"),
            }
        )
    return tracks


def make_untagged(
    folder: Path, count: int, seed: int, seconds: float = 8.0
) -> list[Path]:
    """``count`` untagged FLAC files of noise, each its own sound."""
    folder.mkdir(parents=True, exist_ok=True)

    def one(n: int) -> Path:
        path = folder / f"track{n:02d}.flac"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
             f"anoisesrc=seed={seed + n}:color=pink:duration={seconds}",
             "-map_metadata", "-1", str(path)],
            check=True,
        )  # fmt: skip
        return path

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(1, count + 1)))


def answer(
    track: dict[str, Any], release_id: str, title: str, score: float
) -> dict[str, Any]:
    """One AcoustID result: the recording on its release (AcoustID's JSON shape)."""
    return {
        "id": f"acoustid-{track['id'][:8]}",
        "score": score,
        "recordings": [
            {
                "id": track["id"],
                "title": track["title"],
                "artists": [{"id": "artist-1", "name": "Recorded Artist"}],
                "releases": [
                    {
                        "id": release_id,
                        "title": title,
                        "mediums": [
                            {
                                "position": 1,
                                "format": "CD",
                                "tracks": [{"position": track["position"], "id": "t"}],
                            }
                        ],
                    }
                ],
            }
        ],
    }


def register_album(
    fake: Any, files: list[Path], release_id: str, title: str, mixes: int = 0
) -> list[dict[str, Any]]:
    """Tell the fake AcoustID that ``files`` are the release's first tracks; the first
    ``mixes`` of them also match another recording, on a compilation, with a higher
    score (the album vote must still pick the album). Returns the tracks, in order."""
    tracks = recorded_tracks(release_id)[: len(files)]
    for n, (path, track) in enumerate(zip(files, tracks, strict=True)):
        _, fingerprint = fingerprint_file(path)
        results = [answer(track, release_id, title, 0.93)]
        if n < mixes:
            other = {"id": f"00000000-0000-4000-8000-{n:012d}", "position": n + 1,
                     "title": f"{track['title']} (live)"}  # fmt: skip
            results.insert(0, answer(other, COMPILATION, "Punk Compilation", 0.97))
        fake.answers[fingerprint] = results
    return tracks
