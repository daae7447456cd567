"""Ripping an audio CD into the library: disc-id lookup, read, FLAC, tags and cover,
verification, and one atomic move of the whole album.

:func:`lookup_disc` asks MusicBrainz for the releases holding the disc id, takes the
first, and reads its tracklist (the release lookup), the medium the disc is on and its
front cover (Cover Art Archive). No release: :func:`placeholder` names the disc
``Unknown Artist/Unknown Disc <id>`` and the rip waits for review.

:func:`rip_disc` reads each track through a :class:`~connectors.rips.audiocd.DiscReader`
(a drive with cdparanoia, or a CUE image) into the staging folder, encodes it to FLAC
with ffmpeg, verifies it like a download (``connectors/downloads/verify.py``: ffprobe,
the TOC's duration, a two-ended decode) and writes the tags and the cover with
mutagen. Only when every track has passed are the files linked into a hidden folder
beside the album's final folder, which is then renamed into place in one step: a rip
killed at any point leaves nothing visible in the library, and the retry starts over
from the staging folder it cleans first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.downloads.importer import place, render_name
from connectors.downloads.verify import verify_file
from connectors.errors import ConnectorError
from connectors.rips.audiocd import DiscError

if TYPE_CHECKING:
    from connectors.metadata.musicbrainz import MusicBrainzClient
    from connectors.rips.audiocd import DiscReader, Toc

TrackDone = Callable[[int, int], None]
"""``on_track(tracks_done, tracks_total)``; may raise to stop the rip."""


@dataclass(slots=True)
class DiscInfo:
    """What the disc is: matched on MusicBrainz, or a placeholder for review."""

    disc_id: str
    matched: bool
    artist: str
    album: str
    year: str | None = None
    release_id: str | None = None
    titles: dict[int, str] = field(default_factory=dict)
    artists: dict[int, str] = field(default_factory=dict)
    recording_ids: dict[int, str] = field(default_factory=dict)
    disc_no: int = 1
    cover: bytes | None = None

    def fields(self, number: int, total: int) -> dict[str, Any]:
        """The naming and tag fields of one track."""
        return {
            "artist": self.artists.get(number) or self.artist,
            "albumartist": self.artist,
            "album": self.album,
            "year": self.year,
            "date": self.year,
            "title": self.titles.get(number) or f"Track {number:02d}",
            "tracknumber": f"{number:02d}",
            "tracktotal": str(total),
            "discnumber": str(self.disc_no),
            "musicbrainz_trackid": self.recording_ids.get(number),
            "musicbrainz_albumid": self.release_id,
            "musicbrainz_discid": self.disc_id,
        }


def placeholder(disc_id: str) -> DiscInfo:
    """A disc MusicBrainz does not know: named by its id, to be reviewed."""
    return DiscInfo(disc_id, False, "Unknown Artist", f"Unknown Disc {disc_id}")


def lookup_disc(
    client: MusicBrainzClient, disc_id: str, tracks: int, release_id: str | None = None
) -> DiscInfo:
    """The disc's release on MusicBrainz (``release_id`` when a person chose it), else
    a placeholder.

    Raises:
        ConnectorError: MusicBrainz unreachable (the rip is retried later); NotFound
        for a chosen release that does not exist.
    """
    releases = client.releases_by_disc(disc_id) if release_id is None else []
    if release_id is None and not releases:
        return placeholder(disc_id)
    listed = releases[0] if releases else {"id": release_id}
    release = {**listed, **client.release(str(listed["id"]))}
    medium = _medium(release, listed, disc_id, tracks)
    info = DiscInfo(
        disc_id,
        True,
        str(release.get("artist-credit-phrase") or listed.get("artist-credit-phrase")
            or "Unknown Artist"),
        str(release.get("title") or "Unknown Album"),
        str(release.get("date") or "")[:4] or None,
        str(release["id"]),
        disc_no=int(medium.get("position") or 1),
    )  # fmt: skip
    for track in medium.get("track-list") or []:
        number = int(track.get("number") or track.get("position") or 0)
        recording = track.get("recording") or {}
        info.titles[number] = str(recording.get("title") or track.get("title") or "")
        info.recording_ids[number] = str(recording.get("id") or "")
        if recording.get("artist-credit-phrase"):
            info.artists[number] = str(recording["artist-credit-phrase"])
    info.cover = _cover(client, release)
    return info


def _medium(
    release: dict[str, Any], listed: dict[str, Any], disc_id: str, tracks: int
) -> dict[str, Any]:
    """The release's medium this disc is: by disc id, else by track count."""
    media = release.get("medium-list") or []
    for index, medium in enumerate(listed.get("medium-list") or []):
        ids = {d.get("id") for d in medium.get("disc-list") or []}
        if disc_id in ids:
            position = medium.get("position") or index + 1
            for full in media:
                if str(full.get("position")) == str(position):
                    return dict(full)
    for medium in media:
        if int(medium.get("track-count") or 0) == tracks:
            return dict(medium)
    return dict(media[0]) if media else {}


def _cover(client: MusicBrainzClient, release: dict[str, Any]) -> bytes | None:
    art = release.get("cover-art-archive") or {}
    if str(art.get("front")) != "true":
        return None
    try:
        return client.front_cover(str(release["id"]))
    except ConnectorError:
        return None  # a missing cover does not stop a rip


def rip_disc(
    reader: DiscReader,
    toc: Toc,
    info: DiscInfo,
    staging: Path,
    library_root: Path,
    template: str,
    on_track: TrackDone | None = None,
) -> list[Path]:
    """Rip every track, then move the album into the library in one step.

    Raises:
        DiscError: a track could not be read. VerificationFailed: a FLAC is not what
        the TOC says (nothing reaches the library either way).
    """
    shutil.rmtree(staging, ignore_errors=True)  # a killed rip starts over
    staging.mkdir(parents=True)
    total = len(toc.numbers)
    done: list[tuple[Path, Path]] = []
    for count, number in enumerate(toc.numbers, start=1):
        fields = info.fields(number, total)
        flac = _rip_track(reader, number, staging)
        verify_file(
            flac, expected_duration_s=toc.track_seconds(number), tolerance_s=1.0
        )
        tag_flac(flac, fields, info.cover)
        done.append((flac, render_name(template, fields, "flac")))
        if on_track:
            on_track(count, total)
    final = move_album(done, library_root, info.disc_id)
    shutil.rmtree(staging, ignore_errors=True)
    return final


def _rip_track(reader: DiscReader, number: int, staging: Path) -> Path:
    wav, flac = staging / f"{number:02d}.wav", staging / f"{number:02d}.flac"
    reader.read_track(number, wav)
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav),
         "-c:a", "flac", "-compression_level", "5", str(flac)],
        capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    wav.unlink(missing_ok=True)
    if done.returncode != 0:
        raise DiscError(f"FLAC encoding of track {number} failed: {done.stderr[-200:]}")
    return flac


def tag_flac(path: Path, fields: dict[str, Any], cover: bytes | None) -> None:
    """Vorbis comments (title, artists, album, date, numbers, MusicBrainz ids) and
    the front cover."""
    from mutagen.flac import FLAC, Picture

    audio = FLAC(path)
    keys = (
        "title artist albumartist album date tracknumber tracktotal discnumber"
        " musicbrainz_trackid musicbrainz_albumid musicbrainz_discid".split()
    )
    for key in keys:
        if fields.get(key):
            audio[key] = str(fields[key])
    if cover:
        picture = Picture()
        picture.type, picture.mime, picture.data = 3, "image/jpeg", cover
        audio.add_picture(picture)
    audio.save()


def move_album(
    files: list[tuple[Path, Path]], library_root: Path, disc_id: str
) -> list[Path]:
    """Link the files into a hidden folder beside the album folder, then rename it
    into place (one step); an album folder that exists already gets the files one by
    one (each linked atomically, never overwriting)."""
    folder = library_root / files[0][1].parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    hidden = folder.with_name(f".{folder.name}.{disc_id}.part")
    shutil.rmtree(hidden, ignore_errors=True)  # left by a rip killed while moving
    if folder.exists():
        return [place(src, library_root, rel) for src, rel in files]
    hidden.mkdir()
    staged = [place(src, hidden, Path(rel.name)) for src, rel in files]
    try:
        os.rename(hidden, folder)
    except OSError:  # the folder appeared meanwhile: file by file
        pairs = zip(staged, files, strict=True)
        final = [place(p, library_root, rel) for p, (_, rel) in pairs]
        shutil.rmtree(hidden, ignore_errors=True)
        return final
    return [folder / p.name for p in staged]


def retag_album(
    files: list[Path], info: DiscInfo, library_root: Path, template: str
) -> list[Path]:
    """A reviewed rip: tag its files (``NN - ...``, in track order) with ``info`` and
    move them under their new names in one step, as a rip does."""
    total = len(files)
    moves = []
    for number, path in enumerate(sorted(files), start=1):
        fields = info.fields(number, total)
        tag_flac(path, fields, info.cover)
        moves.append((path, render_name(template, fields, "flac")))
    old = files[0].parent
    final = move_album(moves, library_root, info.disc_id)
    with contextlib.suppress(OSError):
        old.rmdir()  # the placeholder folder, now empty
    return final
