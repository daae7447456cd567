"""Pictures are checked by what they contain, stored once by content, shrunk to
thumbnails; covers embedded in MP3, FLAC and MP4 files are found."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from connectors.metadata import images
from tests.connectors.metadata import pictures

CAP = 2_000_000


def test_a_picture_is_stored_once_by_content_with_a_small_thumbnail(
    tmp_path: Path,
) -> None:
    data = pictures.jpeg(1000, 1500)
    first = images.store(data, tmp_path, CAP, 240)
    again = images.store(data, tmp_path, CAP, 240)
    other = images.store(pictures.jpeg(1000, 1500, "navy"), tmp_path, CAP, 240)
    assert first == again
    assert first.digest != other.digest
    assert (tmp_path / first.image_path).read_bytes() == data
    assert first.image_path.endswith(".jpg")
    assert (first.width, first.height) == (
        1000,
        1500,
    )
    assert len(list((tmp_path / "artwork/files").rglob("*.jpg"))) == 2
    thumb = (tmp_path / first.thumb_path).read_bytes()
    with Image.open(io.BytesIO(thumb)) as small:
        assert small.format == "WEBP"
        assert small.size == (240, 360)
    assert len(thumb) < len(data) / 5


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"<html>Not found</html>", "not a JPEG, PNG, WebP or GIF"),
        (b"\xff\xd8\xff\xe0 a JPEG's first bytes, then nothing", "a damaged image"),
        (pictures.jpeg() + bytes(200_000), "over the 100000 byte limit"),
    ],
)
def test_what_is_not_an_accepted_picture_is_refused_and_not_stored(
    tmp_path: Path, data: bytes, why: str
) -> None:
    with pytest.raises(images.NotAnImage, match=why):
        images.store(data, tmp_path, 100_000, 240)
    assert not (tmp_path / "artwork").exists()


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(
    tmp_path: Path,
) -> None:
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 Mpx in a few kilobytes
    with pytest.raises(images.NotAnImage, match="9000x9000 pixels is too large"):
        images.store(out.getvalue(), tmp_path, CAP, 240)


def test_covers_embedded_in_mp3_flac_and_mp4_are_found(tmp_path: Path) -> None:
    cover = pictures.jpeg(300, 300)
    mp3 = pictures.mp3_with_cover(tmp_path / "a.mp3", cover)
    flac = pictures.flac_with_cover(tmp_path / "b.flac", cover)
    mp4 = pictures.mp4_with_cover(tmp_path / "c.mp4", cover)
    assert images.embedded_cover(mp3) == cover
    assert images.embedded_cover(flac) == cover  # the front cover, not the back
    assert images.embedded_cover(mp4) == cover
    assert images.embedded_cover(pictures.tone(tmp_path / "plain.mp3")) is None
    (tmp_path / "junk.mp3").write_text("not audio")
    assert images.embedded_cover(tmp_path / "junk.mp3") is None
