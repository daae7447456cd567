"""Pictures and files with embedded art for the artwork tests."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3
from mutagen.mp4 import MP4, MP4Cover
from PIL import Image

from tests.connectors.downloads.servers import ffmpeg, make_video

if TYPE_CHECKING:
    from pathlib import Path


def jpeg(width: int = 600, height: int = 900, colour: str = "teal") -> bytes:
    """A JPEG of one colour with a white band (so two colours differ by content)."""
    img = Image.new("RGB", (width, height), colour)
    img.paste((255, 255, 255), (0, height // 3, width, height // 2))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def png(width: int = 300, height: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(out, "PNG")
    return out.getvalue()


def tone(path: Path, seconds: float = 1.0) -> Path:
    """An audio file of ``seconds`` of a tone, its format from the suffix (ffmpeg)."""
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", str(path))
    return path


def mp3_with_cover(path: Path, cover: bytes) -> Path:
    """An MP3 whose ID3 tag holds ``cover`` as its front cover (APIC type 3)."""
    tone(path)
    tags = ID3()
    tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="front", data=cover))
    tags.save(path)
    return path


def flac_with_cover(path: Path, cover: bytes) -> Path:
    """A FLAC with ``cover`` as a picture block (a back cover first, then the front)."""
    tone(path)
    audio = FLAC(path)
    for kind, data in ((4, png(50, 50)), (3, cover)):
        picture = Picture()
        picture.type, picture.mime, picture.data = kind, "image/jpeg", data
        audio.add_picture(picture)
    audio.save()
    return path


def mp4_with_cover(path: Path, cover: bytes) -> Path:
    """A small H.264 MP4 whose ``covr`` atom holds ``cover``."""
    make_video(path, seconds=1.0)
    video = MP4(path)
    video["covr"] = [MP4Cover(cover, imageformat=MP4Cover.FORMAT_JPEG)]
    video.save()
    return path
