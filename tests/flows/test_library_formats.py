"""The library_sync flow over real files other people made (tests/corpus/mutagen): what
a user sees in the warehouse: titles from every tag system, technical fields for every
file ffmpeg decodes, honest errors for the rest, and a rerun that changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from flows.library_sync import library_sync
from tasks.context import warehouse

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "mutagen"
pytestmark = [
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.skipif(shutil.which("ffprobe") is None, reason="needs ffmpeg"),
]


@pytest.fixture
def library(ml_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = ml_home.parent / "library"
    shutil.copytree(CORPUS, root / "Music")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LOCAL_KIND", "filesystem")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LOCAL_ROOTS", str(root))
    return root


def sync(mode: str) -> dict[str, Any]:
    [summary] = library_sync(mode=mode)
    return summary


def rows(sql: str) -> list[tuple[Any, ...]]:
    with warehouse().read() as con:
        return con.execute(sql).fetchall()


def test_the_corpus_lands_with_tags_technical_fields_and_honest_errors(
    library: Path,
) -> None:
    first = sync("full")
    assert first["status"] == "succeeded"
    errors = dict(
        rows(
            "SELECT path, error FROM media_files"
            " WHERE error IS NOT NULL AND removed_at IS NULL"
        )
    )
    assert set(errors) == {
        "Music/almostempty.mpc",
        "Music/emptyfile.mp3",
        "Music/too-short.mp3",
    }
    assert first["failed"] == 3
    assert not any(str(library) in text for text in errors.values())
    missing = rows(
        "SELECT path FROM media_files WHERE media_kind = 'audio' AND error IS NULL"
        " AND (codec IS NULL OR sample_rate IS NULL OR channels IS NULL)"
    )
    assert missing == []
    wma = rows(
        "SELECT t.title, t.artist, t.album, t.track_no, t.disc_no, f.codec,"
        " f.duration_s < 2 FROM tracks t JOIN media_files f"
        " ON f.native_id = t.file_native_id WHERE f.path = 'Music/issue_29.wma'"
    )
    assert wma == [
        (
            "Señor Flamingos Adieu",
            "Kaizers Orchestra",
            "Live at Vega",
            6,
            1,
            "wmav2",
            True,
        )
    ]
    [(flac_gain, flac_depth)] = rows(
        "SELECT t.replaygain_track_db, f.bit_depth FROM tracks t JOIN media_files f"
        " ON f.native_id = t.file_native_id WHERE f.path LIKE '%flac_application%'"
    )
    assert (flac_gain, flac_depth) == (pytest.approx(-8.08), 16)
    again = sync("full")
    assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)
