"""The artwork flow gives movies, shows and albums a picture: the poster or cover
enrichment downloaded for their identity, else art embedded in their file; each
picture checked, stored once, shrunk; a placeholder row otherwise; nothing twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.connectors.metadata import pictures

SQL = [
    "INSERT INTO servers (server_id, kind, location) VALUES ('local', 'filesystem',"
    " '/lib'), ('remote', 'plex', 'http://127.0.0.1:9')",
    "INSERT INTO albums (server_id, native_id, title) VALUES ('remote', 'al:r', 'R')",
    "INSERT INTO tracks (server_id, native_id, title, album_native_id, file_native_id)"
    " VALUES ('remote', 't9', 'Nine', 'al:r', 'f9')",
    "INSERT INTO albums (server_id, native_id, title) VALUES ('local', 'al:cover',"
    " 'Sea of Cowards'), ('local', 'al:tagged', 'Tagged'), ('local', 'al:bad', 'Bad')",
    "INSERT INTO tracks (server_id, native_id, title, album_native_id, file_native_id)"
    " VALUES ('local', 't1', 'One', 'al:cover', 'f1'), ('local', 't2', 'Two',"
    " 'al:tagged', 'f2'), ('local', 't3', 'Three', 'al:bad', 'f3')",
    "INSERT INTO movies (server_id, native_id, title, file_native_id) VALUES"
    " ('local', 'm1', 'Fight Club', 'f4'), ('local', 'm2', 'Plain', 'f5')",
    "INSERT INTO identities (entity, server_id, native_id, provider, provider_id,"
    " status, reason) VALUES ('album', 'local', 'al:cover', 'musicbrainz', 'rel-1',"
    " 'accepted', 't'), ('album', 'local', 'al:bad', 'musicbrainz', 'rel-2',"
    " 'accepted', 't'), ('movie', 'local', 'm1', 'tmdb', '550', 'accepted', 't')",
    "INSERT INTO artwork (provider, provider_id, kind, local_path) VALUES"
    " ('musicbrainz', 'rel-1', 'cover', 'artwork/musicbrainz/rel-1-cover.jpg'),"
    " ('musicbrainz', 'rel-2', 'cover', 'artwork/musicbrainz/rel-2-cover.jpg'),"
    " ('tmdb', '550', 'poster', 'artwork/tmdb/550-poster.jpg')",
]


def _library(home: Path, root: Path) -> None:
    from tasks.context import warehouse

    cover = pictures.jpeg(500, 500, "teal")
    (home / "artwork/musicbrainz").mkdir(parents=True)
    (home / "artwork/tmdb").mkdir(parents=True)
    (home / "artwork/musicbrainz/rel-1-cover.jpg").write_bytes(cover)
    (home / "artwork/musicbrainz/rel-2-cover.jpg").write_text("<html>503</html>")
    (home / "artwork/tmdb/550-poster.jpg").write_bytes(pictures.jpeg(500, 750))
    files = {
        "f1": pictures.tone(root / "one.mp3"),
        "f2": pictures.mp3_with_cover(root / "two.mp3", cover),  # same picture
        "f3": pictures.flac_with_cover(root / "three.flac", pictures.jpeg(80, 80)),
        "f4": pictures.tone(root / "fight.mp3"),
        "f5": pictures.tone(root / "plain.mp3"),
    }
    # a remote server's path is not read, even where this machine has such a file
    remote = pictures.mp3_with_cover(root / "remote.mp3", cover)
    with warehouse().write() as con:
        for sql in SQL:
            con.execute(sql)
        for sid, nid, path in [
            *(("local", nid, path) for nid, path in files.items()),
            ("remote", "f9", remote),
        ]:
            con.execute(
                "INSERT INTO media_files (server_id, native_id, path, media_kind)"
                " VALUES (?, ?, ?, 'audio')",
                [sid, nid, str(path)],
            )


def _rows() -> dict[str, dict[str, Any]]:
    from tasks.context import warehouse
    from warehouse.queries import records

    with warehouse().read() as con:
        found = records(con, "SELECT * FROM item_artwork")
    return {r["native_id"]: r for r in found}


def test_items_get_their_picture_once_and_a_placeholder_otherwise(
    prefect_harness, ml_home: Path, tmp_path: Path
) -> None:
    from flows.artwork import artwork

    root = tmp_path / "lib"
    root.mkdir()
    _library(ml_home, root)
    totals = artwork()
    assert totals == {
        "items": 6,
        "musicbrainz": 1,
        "tmdb": 1,
        "embedded": 2,
        "none": 2,
    }
    rows = _rows()
    assert rows["al:cover"]["source"] == "musicbrainz"
    assert rows["m1"]["source"] == "tmdb"
    assert rows["al:tagged"]["source"] == "embedded"
    # the refused cover is reported, and the embedded art is used instead
    assert rows["al:bad"]["source"] == "embedded"
    assert "not a JPEG, PNG, WebP or GIF" in rows["al:bad"]["error"]
    assert rows["m2"]["source"] == "none"
    assert rows["m2"]["digest"] is None
    assert rows["al:r"]["source"] == "none"
    # the cover and the same picture embedded in a track are one file
    assert rows["al:cover"]["digest"] == rows["al:tagged"]["digest"]
    assert len(list((ml_home / "artwork/files").rglob("*.jpg"))) == 3
    for key in ("al:cover", "m1", "al:bad"):
        assert (ml_home / rows[key]["thumb_path"]).is_file()
    assert artwork() == {"items": 0}  # nothing changed: nothing looked at again
