"""Pictures for the Library: checked by content, stored by content address, shrunk.

An image is accepted only when Pillow recognises its bytes as JPEG, PNG, WebP or GIF
(whatever its name or the server said), it is no larger than the byte cap and its
pixel count is sane (a "decompression bomb" is refused before it is decoded). It is
stored once as ``artwork/files/<ab>/<sha256>.<ext>`` under the data folder, with a
WebP thumbnail ``artwork/thumbs/<ab>/<sha256>.webp`` that the Library grid shows.

Art embedded in audio and video files is read with mutagen: ID3 ``APIC`` frames (MP3,
and ID3 inside WAV and AIFF), FLAC pictures, Vorbis/Opus ``METADATA_BLOCK_PICTURE`` and
MP4 ``covr`` atoms; the front cover is preferred.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mutagen
from mutagen.flac import Picture
from PIL import Image, ImageOps, UnidentifiedImageError

if TYPE_CHECKING:
    from pathlib import Path

FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}
MAX_PIXELS = 50_000_000  # 7000x7000; larger is refused before decoding
FRONT_COVER = 3  # the ID3/FLAC picture type of a front cover


class NotAnImage(ValueError):
    """The bytes are not a picture the Library accepts (with the reason)."""


@dataclass(frozen=True, slots=True)
class StoredImage:
    """An image kept in the data folder (paths relative to it)."""

    digest: str
    image_path: str
    thumb_path: str
    width: int
    height: int
    size_bytes: int


def inspect(data: bytes, max_bytes: int) -> tuple[str, int, int]:
    """The format, width and height of ``data``; :class:`NotAnImage` when it is not
    an accepted picture or is too large."""
    if len(data) > max_bytes:
        raise NotAnImage(f"{len(data)} bytes is over the {max_bytes} byte limit")
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as img:
            fmt, (width, height) = str(img.format), img.size
            if width * height > MAX_PIXELS:
                raise NotAnImage(f"{width}x{height} pixels is too large")
            img.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise NotAnImage(f"not a JPEG, PNG, WebP or GIF image ({exc})") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, NotAnImage):
            raise
        raise NotAnImage(f"a damaged image: {exc}") from exc
    return fmt, width, height


def store(data: bytes, home: Path, max_bytes: int, thumb_px: int) -> StoredImage:
    """Check ``data`` and keep it (and its thumbnail) under ``home``; an image already
    stored is not written again."""
    fmt, width, height = inspect(data, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    image_rel = f"artwork/files/{digest[:2]}/{digest}{FORMATS[fmt]}"
    thumb_rel = f"artwork/thumbs/{digest[:2]}/{digest}.webp"
    _write_once(home / image_rel, lambda: data)
    _write_once(home / thumb_rel, lambda: thumbnail(data, thumb_px))
    return StoredImage(digest, image_rel, thumb_rel, width, height, len(data))


def thumbnail(data: bytes, px: int) -> bytes:
    """A WebP no wider than ``px`` and no taller than 1.5 ``px`` (posters are 2:3)."""
    with Image.open(io.BytesIO(data), formats=list(FORMATS)) as img:
        img.draft("RGB", (px, px * 3 // 2))  # JPEG: decode at a reduced scale
        small = ImageOps.exif_transpose(img).convert("RGB")
        small.thumbnail((px, px * 3 // 2))
        out = io.BytesIO()
        small.save(out, "WEBP", quality=75, method=4)
        return out.getvalue()


def _write_once(target: Path, content: Any) -> None:
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    part.write_bytes(content())
    part.replace(target)


def embedded_cover(path: Path) -> bytes | None:
    """The picture embedded in an audio or video file (front cover first); None when
    it has none or cannot be read."""
    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError):
        return None
    if audio is None:
        return None
    pictures: list[tuple[int, bytes]] = []
    for picture in getattr(audio, "pictures", None) or []:  # FLAC
        pictures.append((picture.type, picture.data))
    tags = audio.tags
    if tags is not None:
        pictures += _tag_pictures(tags)
    if not pictures:
        return None
    pictures.sort(key=lambda p: p[0] != FRONT_COVER)
    return pictures[0][1]


def _tag_pictures(tags: Any) -> list[tuple[int, bytes]]:
    found: list[tuple[int, bytes]] = []
    if hasattr(tags, "getall"):  # ID3
        found += [(int(f.type), bytes(f.data)) for f in tags.getall("APIC")]
        return found
    if hasattr(tags, "get"):
        for cover in tags.get("covr") or []:  # MP4
            found.append((FRONT_COVER, bytes(cover)))
        for block in tags.get("metadata_block_picture") or []:  # Vorbis comments
            try:
                picture = Picture(base64.b64decode(block))
            except (binascii.Error, mutagen.MutagenError, ValueError):
                continue
            found.append((picture.type, picture.data))
    return found
