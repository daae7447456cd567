"""The analytics views and docs/sql.md, against a warehouse filled by a real sync."""

from __future__ import annotations

import re
from pathlib import Path

from tests.dashboards.sample_home import MIRROR_ALBUM
from warehouse.db import Warehouse
from warehouse.migrate import VIEWS_DIR, migrate
from warehouse.queries.sql import run_read_only

pytest_plugins = ["tests.dashboards.filled"]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sql.md"
MAY_BE_EMPTY = "-- may return no rows"
DOCUMENTED_TABLES = (
    "servers",
    "artists",
    "albums",
    "tracks",
    "shows",
    "movies",
    "episodes",
    "media_files",
    "sync_runs",
    "sync_state",
    "play_events",
    "playlists",
    "playlist_items",
    "jobs",
    "schema_migrations",
)


def _examples() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)


# The view files of the dashboard issue (other issues document and test their own).
VIEW_FILES = (
    "health.sql",
    "library_items.sql",
    "library_overview.sql",
    "missing_metadata.sql",
    "plays.sql",
    "quality.sql",
    "track_identity.sql",
)


def _views() -> list[str]:
    names = []
    for path in (VIEWS_DIR / name for name in VIEW_FILES):
        names += re.findall(r"CREATE OR REPLACE VIEW (\w+)", path.read_text("utf-8"))
    return sorted(names)


def _rows(path: Path, sql: str) -> list[tuple]:
    with Warehouse(path).read() as con:
        return con.execute(sql).fetchall()


def test_every_example_in_docs_runs_and_returns_rows(filled_home) -> None:
    examples = _examples()
    assert len(examples) >= 30
    empty = []
    with Warehouse(filled_home.warehouse).read() as con:
        for sql in examples:
            result = run_read_only(con, sql)[-1]
            if result.frame.height == 0 and MAY_BE_EMPTY not in sql:
                empty.append(sql)
    assert empty == []


def test_docs_name_every_table_and_view_of_the_warehouse(filled_home) -> None:
    text = DOCS.read_text(encoding="utf-8")
    headings = " ".join(re.findall(r"^### (.+)$", text, re.M))
    names = [
        row[0]
        for row in _rows(
            filled_home.warehouse,
            "SELECT table_name FROM information_schema.tables ORDER BY 1",
        )
    ]
    assert set(DOCUMENTED_TABLES) <= set(names)
    missing = [n for n in names if n not in headings]
    assert missing == []


def test_overview_counts_what_the_sample_holds(filled_home, sample_library) -> None:
    rows = _rows(
        filled_home.warehouse,
        "SELECT server_id, status, tracks, movies, episodes, albums, last_full_at"
        " IS NOT NULL, last_run_status FROM library_overview ORDER BY server_id",
    )
    assert rows == [
        ("gone", "suspect", 0, 0, 0, 0, False, "suspect"),
        (
            "local",
            "ok",
            sample_library.tracks,
            sample_library.movies,
            sample_library.episodes,
            sample_library.albums,
            True,
            "succeeded",
        ),
        ("mirror", "ok", 13, 0, 0, 1, True, "succeeded"),
    ]


def test_same_track_across_servers_and_duplicates(filled_home) -> None:
    album_tracks = len(list((filled_home.sample_root / MIRROR_ALBUM).iterdir()))
    shared = _rows(
        filled_home.warehouse,
        "SELECT count(*), min(servers), sum(copies) FROM tracks_across_servers",
    )
    # every track of the mirrored album is on both servers; one has a second copy
    assert shared == [(album_tracks, ["local", "mirror"], 2 * album_tracks + 1)]
    dupes = _rows(
        filled_home.warehouse,
        "SELECT copies, len(paths) FROM duplicate_tracks WHERE server_id = 'mirror'",
    )
    assert dupes == [(2, 2)]


def test_plays_views_add_up(filled_home) -> None:
    per_day, per_user, top = _rows(
        filled_home.warehouse,
        "SELECT (SELECT sum(plays) FROM plays_per_day), (SELECT sum(plays) FROM"
        " plays_per_user), (SELECT sum(plays) FROM top_artists)",
    )[0]
    mirror_counts = 13 * 7  # play_count 7 on every mirror track, no events there
    assert per_day == per_user == filled_home.plays
    assert top == filled_home.plays + mirror_counts


def test_health_flags_the_missing_root(filled_home) -> None:
    problems = _rows(
        filled_home.warehouse, "SELECT server_id, problem, reason FROM sync_problems"
    )
    assert len(problems) == 1
    assert problems[0][:2] == ("gone", "suspect")
    assert "missing" in problems[0][2]
    health = _rows(
        filled_home.warehouse,
        "SELECT server_id, runs, succeeded, suspect FROM sync_health ORDER BY 1",
    )
    assert health == [("gone", 1, 0, 1), ("local", 1, 1, 0), ("mirror", 1, 1, 0)]


def test_quality_and_missing_metadata(filled_home) -> None:
    lossless = _rows(
        filled_home.warehouse,
        "SELECT lossless_files FROM lossless_share WHERE server_id = 'local'",
    )
    flac = _rows(
        filled_home.warehouse,
        "SELECT count(*) FROM media_files WHERE server_id = 'local'"
        " AND container = 'flac'",
    )
    assert lossless[0][0] == flac[0][0] > 0
    missing = _rows(
        filled_home.warehouse,
        "SELECT count(*) FROM items_missing_metadata WHERE server_id = 'local'"
        " AND list_contains(missing, 'mb_recording_id')",
    )
    no_mbid = _rows(
        filled_home.warehouse,
        "SELECT count(*) FROM tracks WHERE server_id = 'local'"
        " AND mb_recording_id IS NULL",
    )
    assert missing == no_mbid


def test_every_view_answers_on_an_empty_warehouse(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "empty.sqlite")
    migrate(wh)
    migrate(wh)  # views are re-created on every migrate
    with wh.read() as con:
        counts = {
            v: con.execute(f"SELECT count(*) FROM {v}").fetchall() for v in _views()
        }
    assert len(counts) >= 20
    assert set(map(str, counts.values())) == {"[(0,)]"}
