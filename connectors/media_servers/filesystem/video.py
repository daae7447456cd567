"""Video files: names parsed with guessit, containers sniffed from their first bytes.

Sync never runs ffprobe (that is enrichment's job, for new or changed files only); it
reads at most 64 bytes of a video to tell a real container from an empty or foreign
file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

from connectors.media_servers.filesystem.tags import UnreadableMedia

_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (4, b"ftyp", "mp4"),
    (0, b"\x1a\x45\xdf\xa3", "matroska"),
    (0, b"RIFF", "avi"),
    (0, b"OggS", "ogg"),
    (0, b"FLV", "flv"),
    (0, b"\x00\x00\x01\xba", "mpeg"),
    (0, b"\x30\x26\xb2\x75", "asf"),
    (4, b"moov", "mov"),
    (4, b"mdat", "mov"),
    (4, b"wide", "mov"),
    (4, b"free", "mov"),
)


@dataclass(slots=True)
class VideoName:
    """What a video's path says about it."""

    kind: str  # movie or episode
    title: str
    year: int | None = None
    edition: str | None = None
    season: int | None = None
    episode: int | None = None
    episode_title: str | None = None


def sniff_container(path: Path) -> str:
    """The container named by the file's magic bytes.

    Raises:
        UnreadableMedia: empty, unreadable, or not a known video container.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except PermissionError as exc:
        raise UnreadableMedia(f"permission denied: {exc.strerror}") from None
    except OSError as exc:
        raise UnreadableMedia(f"cannot read: {exc.strerror}") from None
    if not head:
        raise UnreadableMedia("empty file (0 bytes)")
    if head[0] == 0x47 and (len(head) < 189 or head[188] == 0x47):
        return "mpegts"
    for offset, magic, name in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return name
    raise UnreadableMedia("not a recognised video container")


def parse_name(rel_path: str) -> VideoName:
    """Parse a relative path like ``Show/Season 01/Show - S01E02 - Title.mkv``."""
    from guessit import guessit  # 0.7 s of imports: only a library with videos pays

    guess: dict[str, Any] = dict(guessit(rel_path))
    title = _text(guess.get("title")) or _stem(rel_path)
    if guess.get("type") == "episode" and guess.get("episode") is not None:
        return VideoName(
            kind="episode",
            title=title,
            year=_number(guess.get("year")),
            season=_number(guess.get("season")),
            episode=_number(guess.get("episode")),
            episode_title=_text(guess.get("episode_title")),
        )
    return VideoName(
        kind="movie",
        title=title,
        year=_number(guess.get("year")),
        edition=_text(guess.get("edition")),
    )


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value).strip() or None if value is not None else None


def _number(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return int(value) if isinstance(value, int) else None


def _stem(rel_path: str) -> str:
    name = rel_path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] or name
