"""What mutagen does not read from WAV, AIFF and MP4 headers: RIFF INFO and AIFF text
chunks (tags no peer reads), the WAV format code and the AIFF-C compression type (to
know when the header's duration and bitrate are lies), and the size of an MP4's media
data (its true bitrate).

Each function reads only chunk headers (seeking over the data) and answers with what it
found; a damaged or foreign file gives an empty answer, never an exception.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_MAX_CHUNKS = 64
_MAX_TEXT = 4096
# WAVE format codes whose header duration is right (PCM, IEEE float, extensible).
_PLAIN_WAV = {1, 3, 0xFFFE}
WAV_CODECS = {
    1: "pcm",
    2: "adpcm_ms",
    3: "pcm_f",
    6: "pcm_alaw",
    7: "pcm_mulaw",
    0x11: "adpcm_ima_wav",
    0x31: "gsm_ms",
    0x50: "mp2",
    0x55: "mp3",
    0xFF: "aac",
    0x2000: "ac3",
    0xFFFE: "pcm",
}
# AIFF-C compression types that are plain PCM.
_PLAIN_AIFC = {b"NONE", b"sowt", b"twos", b"fl32", b"fl64", b"in24", b"in32", b"raw "}


@dataclass(slots=True)
class ChunkInfo:
    """What the chunk walk found."""

    tags: dict[str, str] = field(default_factory=dict)  # lower-case chunk ids
    codec: str | None = None  # a compressed payload's codec, else None
    compressed: bool = False  # the header's duration/bitrate cannot be trusted


def riff_info(path: Path) -> ChunkInfo:
    """A WAV file's RIFF INFO tags and its format code."""
    found = ChunkInfo()
    try:
        with path.open("rb") as f:
            if f.read(12)[8:12] != b"WAVE":
                return found
            for chunk_id, size in _chunks(f, "<", 12):
                if chunk_id == b"fmt ":
                    code = struct.unpack("<H", f.read(2))[0] if size >= 2 else 1
                    found.compressed = code not in _PLAIN_WAV
                    found.codec = WAV_CODECS.get(code, f"wav_0x{code:04x}")
                elif chunk_id == b"LIST" and f.read(4) == b"INFO":
                    found.tags.update(_info_items(f, size - 4))
    except OSError:
        pass
    return found


def aiff_text(path: Path) -> ChunkInfo:
    """An AIFF file's NAME/AUTH text chunks and its AIFF-C compression type."""
    found = ChunkInfo()
    try:
        with path.open("rb") as f:
            head = f.read(12)
            if head[:4] != b"FORM" or head[8:12] not in {b"AIFF", b"AIFC"}:
                return found
            for chunk_id, size in _chunks(f, ">", 12):
                if chunk_id == b"COMM" and head[8:12] == b"AIFC" and size >= 22:
                    kind = f.read(22)[18:22]
                    found.compressed = kind not in _PLAIN_AIFC
                    if found.compressed:
                        found.codec = kind.decode("latin-1").strip().lower()
                elif chunk_id in {b"NAME", b"AUTH", b"ANNO", b"(c) "}:
                    found.tags.setdefault(chunk_id.decode().lower(), _text(f, size))
    except OSError:
        pass
    return found


def mp4_media(path: Path) -> tuple[int | None, bool]:
    """The total size of an MP4's ``mdat`` boxes (its coded media), or None, and
    whether a box runs past the end of the file (a truncated file: its header's
    duration is a promise the data does not keep)."""
    total, found, truncated = 0, False, False
    try:
        with path.open("rb") as f:
            end = f.seek(0, 2)
            offset = 0
            for _ in range(_MAX_CHUNKS):
                f.seek(offset)
                head = f.read(8)
                if len(head) < 8:
                    break
                size, kind = struct.unpack(">I4s", head)
                header = 8
                if size == 1:
                    size, header = struct.unpack(">Q", f.read(8))[0], 16
                elif size == 0:  # to the end of the file
                    size = end - offset
                if size < header:
                    break
                truncated = truncated or offset + size > end
                if kind == b"mdat":
                    media = min(size, end - offset) - header
                    total, found = total + max(0, media), True
                offset += size
    except (OSError, struct.error):
        return None, False
    return (total if found else None), truncated


def tta_header(path: Path) -> tuple[int | None, int | None]:
    """A TrueAudio file's channels and bits per sample (after any ID3v2 tag)."""
    try:
        with path.open("rb") as f:
            head = f.read(10)
            offset = 0
            if head[:3] == b"ID3" and len(head) == 10:
                size = 0
                for byte in head[6:10]:
                    size = (size << 7) | (byte & 0x7F)
                offset = 10 + size
            f.seek(offset)
            raw = f.read(10)
    except OSError:
        return None, None
    if len(raw) < 10 or raw[:4] != b"TTA1":
        return None, None
    channels, bits = struct.unpack("<HH", raw[6:10])
    return channels or None, bits or None


def _chunks(f: BinaryIO, order: str, start: int) -> Iterator[tuple[bytes, int]]:
    """Chunk ids and sizes from ``start``, the file positioned at each chunk's data
    when it is yielded (the caller may read it)."""
    offset = start
    for _ in range(_MAX_CHUNKS):
        f.seek(offset)
        head = f.read(8)
        if len(head) < 8:
            return
        chunk_id, size = struct.unpack(f"{order}4sI", head)
        yield chunk_id, size
        offset += 8 + size + (size & 1)


def _info_items(f: BinaryIO, size: int) -> dict[str, str]:
    items: dict[str, str] = {}
    end = f.tell() + max(0, size)
    while f.tell() + 8 <= end and len(items) < _MAX_CHUNKS:
        head = f.read(8)
        if len(head) < 8:
            break
        item_id, item_size = struct.unpack("<4sI", head)
        start = f.tell()
        text = _text(f, item_size)
        if text:
            items.setdefault(item_id.decode("latin-1").lower(), text)
        f.seek(start + item_size + (item_size & 1))
    return items


def _text(f: BinaryIO, size: int) -> str:
    raw = f.read(min(size, _MAX_TEXT)).split(b"\0", 1)[0]
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw.decode("latin-1").strip()
