"""Audio tags and duration from mutagen, for mp3, flac, ogg/opus, m4a and the rest.

Reads through mutagen's "easy" interfaces so every format answers the same keys. A file
mutagen cannot parse raises :class:`UnreadableMedia` with a reason a user understands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mutagen

if TYPE_CHECKING:
    from pathlib import Path

VARIOUS_ARTISTS = "Various Artists"
_CONTAINERS = {
    "MP3": "mp3",
    "EasyMP3": "mp3",
    "FLAC": "flac",
    "OggVorbis": "ogg",
    "OggOpus": "opus",
    "MP4": "mp4",
    "EasyMP4": "mp4",
    "OggFLAC": "ogg",
    "WAVE": "wav",
    "AIFF": "aiff",
    "ASF": "asf",
    "MonkeysAudio": "ape",
    "WavPack": "wavpack",
    "Musepack": "mpc",
}
_YEAR = re.compile(r"(\d{4})")


class UnreadableMedia(Exception):
    """The file is not media we can read; the message says why."""


@dataclass(slots=True)
class AudioTags:
    """What a track's tags say, normalized across formats."""

    title: str | None
    artist: str | None
    album_artist: str | None
    album: str | None
    track_no: int | None
    track_total: int | None
    disc_no: int | None
    disc_total: int | None
    year: int | None
    genre: str | None
    compilation: bool
    mb_recording_id: str | None
    mb_release_id: str | None
    mb_artist_id: str | None
    duration_s: float
    bitrate: int | None
    container: str


def read_audio(path: Path) -> AudioTags:
    """Read one audio file's tags and stream info.

    Raises:
        UnreadableMedia: empty, not audio, truncated beyond use, or unreadable.
    """
    try:
        if path.stat().st_size == 0:
            raise UnreadableMedia("empty file (0 bytes)")
        audio = mutagen.File(path, easy=True)
    except UnreadableMedia:
        raise
    except PermissionError as exc:
        raise UnreadableMedia(f"permission denied: {exc.strerror}") from None
    except (mutagen.MutagenError, OSError, ValueError, EOFError) as exc:
        raise UnreadableMedia(f"corrupt or truncated audio: {_short(exc)}") from None
    if audio is None:
        raise UnreadableMedia("not a recognised audio file")
    info = audio.info
    length = float(getattr(info, "length", 0) or 0)
    if length <= 0:
        raise UnreadableMedia("no audio frames (duration is 0)")
    return _normalize(audio.tags or {}, length, info, type(audio).__name__)


def _normalize(tags: Any, length: float, info: Any, type_name: str) -> AudioTags:
    track_no, track_total = _number_pair(_first(tags, "tracknumber"))
    disc_no, disc_total = _number_pair(_first(tags, "discnumber"))
    compilation = (_first(tags, "compilation") or "").lower() in {"1", "true", "yes"}
    bitrate = getattr(info, "bitrate", None)
    return AudioTags(
        title=_first(tags, "title"),
        artist=_first(tags, "artist"),
        album_artist=_first(tags, "albumartist") or _first(tags, "album artist"),
        album=_first(tags, "album"),
        track_no=track_no,
        track_total=track_total or _int(_first(tags, "tracktotal", "totaltracks")),
        disc_no=disc_no,
        disc_total=disc_total or _int(_first(tags, "disctotal", "totaldiscs")),
        year=_year(_first(tags, "date", "originaldate", "year")),
        genre=_first(tags, "genre"),
        compilation=compilation,
        mb_recording_id=_first(tags, "musicbrainz_trackid"),
        mb_release_id=_first(tags, "musicbrainz_albumid"),
        mb_artist_id=_first(tags, "musicbrainz_artistid"),
        duration_s=round(length, 3),
        bitrate=int(bitrate) if bitrate else None,
        container=_CONTAINERS.get(type_name, type_name.lower()),
    )


def _first(tags: Any, *keys: str) -> str | None:
    for key in keys:
        try:
            values = tags.get(key)
        except (KeyError, ValueError):
            values = None
        if values:
            text = str(values[0] if isinstance(values, list) else values).strip()
            if text:
                return text
    return None


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    match = re.match(r"\s*(\d+)", text)
    return int(match.group(1)) if match else None


def _number_pair(text: str | None) -> tuple[int | None, int | None]:
    """``"3/12"`` -> (3, 12); ``"3"`` -> (3, None)."""
    if text is None:
        return None, None
    number, _, total = text.partition("/")
    return _int(number), _int(total)


def _year(text: str | None) -> int | None:
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
