"""Copying a warehouse of the versions before DuckLake (one DuckDB file) into the lake:
the previous release's file (DuckDB 2.0, which this DuckDB cannot open) through the side
environment, a file this DuckDB reads itself, re-runs, broken files, the CLI command and
the automatic copy on first start."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from typer.testing import CliRunner

from cli.main import _load_commands, app
from tests import lake
from tests.warehouse.fixtures import describe
from warehouse import legacy
from warehouse.db import Warehouse, WarehouseError
from warehouse.legacy import (
    export_legacy_file,
    import_parquet_folder,
    lake_is_empty,
    migrate_legacy_file,
)

if TYPE_CHECKING:
    from collections.abc import Callable

FIXTURES = Path(__file__).with_name("fixtures")
PREVIOUS = FIXTURES / "previous_release.duckdb.gz"
EXPECTED = json.loads((FIXTURES / "previous_release.json").read_text(encoding="utf-8"))
# what the lake should hold: every table but the old file's own migration records and
# the tables a later migration dropped (022: download slots are Prefect limits now)
DROPPED = {"schema_migrations", "download_slots", "download_sources"}
ROWS = {t: n for t, n in EXPECTED["rows"].items() if t not in DROPPED}

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not any(g.name == "warehouse" for g in app.registered_groups):
        _load_commands()


@pytest.fixture(scope="module")
def side_python() -> Path:
    """The side environment with DuckDB 2.0 (``scripts/setup.sh --tests`` makes it)."""
    python = legacy.legacy_python()
    if python is None:
        pytest.fail(
            "no .venv-legacy (DuckDB 2.0) to read the previous release's warehouse: "
            "run scripts/setup.sh --tests (or make setup-tests)"
        )
    return python


def previous_release(folder: Path) -> Path:
    """The previous release's ``medialake.duckdb``, unpacked into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "medialake.duckdb"
    with gzip.open(PREVIOUS) as src, target.open("wb") as dest:
        shutil.copyfileobj(src, dest)
    return target


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def new_lake(empty_lake: Path, tmp_path: Path) -> Callable[[], Warehouse]:
    """A fresh copy of the session's migrated, empty lake in this test's folder."""

    def make() -> Warehouse:
        lake.copy_lake(empty_lake, tmp_path / "lake")
        return Warehouse(lake.catalog(tmp_path / "lake"))

    return make


def counts(wh: Warehouse) -> dict[str, int]:
    with wh.read() as con:
        return {
            t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in ROWS
        }


def snapshot(wh: Warehouse) -> int:
    with wh.read() as con:
        [(last,)] = con.execute(
            "SELECT max(snapshot_id) FROM ducklake_snapshots('lake_ro')"
        ).fetchall()
    return int(last)


def test_the_fixture_is_the_previous_release_file(
    tmp_path: Path, side_python: Path
) -> None:
    old = previous_release(tmp_path)
    assert sha256(old) == EXPECTED["sha256"]
    with pytest.raises(duckdb.Error, match="version number"):
        duckdb.connect(str(old), read_only=True)
    # what DuckDB 2.0 reads in it now is what was recorded when it was made
    found = subprocess.run(
        [str(side_python), "-I", describe.__file__, str(old)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(found.stdout) == EXPECTED


def test_every_table_is_copied_whole(
    new_lake: Callable[[], Warehouse], tmp_path: Path, side_python: Path
) -> None:
    old = previous_release(tmp_path / "old")
    wh = new_lake()

    result = migrate_legacy_file(wh, old)

    assert result.duckdb == EXPECTED["made_with"]["duckdb"]
    assert result.copied == {t: n for t, n in ROWS.items() if n}
    assert result.total == sum(ROWS.values()) > 400
    assert (result.left_alone, result.not_in_lake, result.dropped_columns) == (
        {},
        {},
        {},
    )
    assert counts(wh) == ROWS
    with wh.read() as con:
        con.execute("SET TimeZone = 'UTC'")
        digests = {t: describe.digest(con, t, EXPECTED["columns"][t]) for t in ROWS}
        samples = describe.samples(con)
    assert digests == {t: EXPECTED["digests"][t] for t in ROWS}
    for name in describe.SAMPLES:
        assert samples[name] == EXPECTED[name], name
    assert samples["tracks"][0]["title"] == "Eldur á Íslandi"
    assert samples["sync_runs"][0]["status"] == "succeeded"
    assert sha256(old) == EXPECTED["sha256"]  # only read


def test_running_again_copies_nothing(
    new_lake: Callable[[], Warehouse], tmp_path: Path, side_python: Path
) -> None:
    old = previous_release(tmp_path / "old")
    wh = new_lake()
    migrate_legacy_file(wh, old)
    before = snapshot(wh)

    again = migrate_legacy_file(wh, old)

    assert again.copied == {}
    assert again.total == 0
    assert again.left_alone == {t: n for t, n in ROWS.items() if n}
    assert counts(wh) == ROWS
    assert snapshot(wh) == before


def test_a_table_with_rows_is_left_alone(
    new_lake: Callable[[], Warehouse], tmp_path: Path, side_python: Path
) -> None:
    wh = new_lake()
    with wh.write() as con:
        con.execute(
            "INSERT INTO servers (server_id, kind) VALUES ('newer', 'filesystem')"
        )
    result = migrate_legacy_file(wh, previous_release(tmp_path / "old"))
    assert result.left_alone == {"servers": ROWS["servers"]}
    assert "servers" not in result.copied
    assert counts(wh) == {**ROWS, "servers": 1}
    with wh.read() as con:
        assert con.execute("SELECT server_id FROM servers").fetchall() == [("newer",)]


def test_a_file_this_duckdb_reads_needs_no_side_environment(
    new_lake: Callable[[], Warehouse], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a side Python that does not exist: using it would fail
    monkeypatch.setenv(legacy.LEGACY_PYTHON_ENV, str(tmp_path / "no-python"))
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:
        con.execute(
            "CREATE TABLE tracks (server_id TEXT, native_id TEXT, title TEXT,"
            " play_count INTEGER, dropped_note TEXT)"
        )
        con.execute(
            "INSERT INTO tracks VALUES ('local', 't1', 'One', 3, 'x'),"
            " ('local', 't2', 'Two', NULL, NULL)"
        )
        con.execute(
            "CREATE TABLE play_events (server_id TEXT, user_name TEXT,"
            " item_native_id TEXT, played_at TIMESTAMPTZ)"
        )
        con.execute(
            "INSERT INTO play_events VALUES"
            " ('local', 'ann', 't1', TIMESTAMPTZ '2025-01-02 03:04:05+00')"
        )
        con.execute("CREATE TABLE old_only (x INTEGER)")
        con.execute("INSERT INTO old_only VALUES (1), (2)")
        con.execute("CREATE VIEW old_view AS SELECT * FROM tracks")
    wh = new_lake()

    result = migrate_legacy_file(wh, old)

    assert result.duckdb == duckdb.__version__
    assert result.copied == {"play_events": 1, "tracks": 2}
    assert result.not_in_lake == {"old_only": 2}
    assert result.dropped_columns == {"tracks": ["dropped_note"]}
    with wh.read() as con:
        rows = con.execute(
            "SELECT native_id, title, play_count, first_seen_at IS NOT NULL"
            " FROM tracks ORDER BY 1"
        ).fetchall()
        [(played,)] = con.execute(
            "SELECT epoch(played_at) FROM play_events WHERE user_name = 'ann'"
        ).fetchall()
    assert rows == [("t1", "One", 3, True), ("t2", "Two", None, True)]
    assert played == 1735787045


def test_an_export_database_folder_can_be_imported(
    new_lake: Callable[[], Warehouse], tmp_path: Path
) -> None:
    source = tmp_path / "exported"
    with duckdb.connect() as con:
        con.execute("CREATE TABLE servers (server_id TEXT, kind TEXT)")
        con.execute("INSERT INTO servers VALUES ('a', 'plex'), ('b', 'jellyfin')")
        con.execute(f"EXPORT DATABASE '{source}' (FORMAT parquet)")
    wh = new_lake()
    assert import_parquet_folder(wh, source).copied == {"servers": 2}
    with wh.read() as con:
        assert con.execute("SELECT count(*) FROM servers").fetchall() == [(2,)]


@pytest.mark.parametrize("broken", ["garbage", "truncated"])
def test_an_unreadable_file_is_refused_and_the_lake_is_unchanged(
    new_lake: Callable[[], Warehouse], tmp_path: Path, side_python: Path, broken: str
) -> None:
    old = tmp_path / "old" / "medialake.duckdb"
    if broken == "garbage":
        old.parent.mkdir()
        old.write_bytes(b"not a warehouse\n" * 4096)
    else:  # the previous release's file, cut short: DuckDB 2.0 fails reading it
        data = previous_release(old.parent).read_bytes()
        old.write_bytes(data[: len(data) // 20])
    wh = new_lake()
    with wh.write() as con:
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('s', 'plex')")
    before = snapshot(wh)

    with pytest.raises(WarehouseError, match="cannot read the old warehouse"):
        migrate_legacy_file(wh, old)

    assert snapshot(wh) == before
    assert counts(wh) == {t: int(t == "servers") for t in ROWS}


def test_a_table_that_fails_midway_writes_nothing(
    new_lake: Callable[[], Warehouse], tmp_path: Path, side_python: Path
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    manifest = export_legacy_file(previous_release(tmp_path / "old"), folder)
    # the last table with rows fails, after the others were inserted
    last = [t for t in manifest["tables"] if t["rows"]][-1]
    assert last["name"] == "tracks"
    (folder / last["file"]).write_bytes(b"PAR1 broken")
    wh = new_lake()

    with pytest.raises(WarehouseError, match="cannot copy table tracks"):
        import_parquet_folder(wh, folder)

    assert lake_is_empty(wh)


def test_a_newer_file_without_the_side_environment_is_refused(
    new_lake: Callable[[], Warehouse], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = previous_release(tmp_path / "old")
    wh = new_lake()
    monkeypatch.delenv(legacy.LEGACY_PYTHON_ENV, raising=False)
    monkeypatch.setattr(legacy, "_project_roots", list)
    with pytest.raises(WarehouseError, match=r"scripts/setup\.sh"):
        migrate_legacy_file(wh, old)
    monkeypatch.setenv(legacy.LEGACY_PYTHON_ENV, str(tmp_path / "nope" / "python"))
    with pytest.raises(WarehouseError, match="which does not exist"):
        migrate_legacy_file(wh, old)
    assert lake_is_empty(wh)


def test_the_side_python_is_found_in_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = Path(legacy.__file__).resolve().parents[1]
    assert (checkout / "pyproject.toml").is_file()
    assert legacy._project_roots()[0] == checkout

    root = tmp_path / "project"
    python = root / ".venv-legacy" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    (root / "pyproject.toml").write_text("")
    monkeypatch.delenv(legacy.LEGACY_PYTHON_ENV, raising=False)
    monkeypatch.setattr(legacy, "_project_roots", lambda: [tmp_path, root])
    assert legacy.legacy_python() == python
    other = tmp_path / "python3"
    other.write_text("")
    monkeypatch.setenv(legacy.LEGACY_PYTHON_ENV, str(other))
    assert legacy.legacy_python() == other


# --- the CLI and the automatic copy -------------------------------------------


def test_cli_copies_the_data_folders_old_file(
    bare_home: Path, side_python: Path
) -> None:
    old = previous_release(bare_home)

    result = runner.invoke(app, ["warehouse", "migrate"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for table, rows in ROWS.items():
        if rows:
            assert any(line.split() == [table, str(rows)] for line in lines), table
    total = sum(ROWS.values())
    assert any(line.split() == ["total", str(total), "rows"] for line in lines)
    assert "the old file is kept" in result.output
    assert old.exists()
    assert sha256(old) == EXPECTED["sha256"]
    assert lake.one(bare_home, "SELECT count(*) FROM tracks") == ROWS["tracks"]

    again = runner.invoke(app, ["warehouse", "migrate"], env={"COLUMNS": "200"})

    assert again.exit_code == 0, again.output
    assert any(
        line.split() == ["total", "0", "rows"] for line in again.output.splitlines()
    )
    assert "left alone" in again.output
    assert lake.one(bare_home, "SELECT count(*) FROM tracks") == ROWS["tracks"]


def test_cli_takes_a_file_from_elsewhere(
    ml_home: Path, tmp_path: Path, side_python: Path
) -> None:
    old = previous_release(tmp_path / "elsewhere")
    result = runner.invoke(app, ["warehouse", "migrate", "--from", str(old)])
    assert result.exit_code == 0, result.output
    assert lake.one(ml_home, "SELECT count(*) FROM media_files") == ROWS["media_files"]
    assert not (ml_home / "medialake.duckdb").exists()


def test_cli_errors_are_clear(ml_home: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["warehouse", "migrate"])
    assert missing.exit_code == 2
    assert "there is no old warehouse at" in missing.output
    assert "Traceback" not in missing.output

    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"\0" * 100_000)
    result = runner.invoke(app, ["warehouse", "migrate", "--from", str(broken)])
    assert result.exit_code == 2
    assert "cannot read the old warehouse broken.duckdb" in result.output
    assert "the warehouse is unchanged" in result.output
    assert lake_is_empty(Warehouse(lake.catalog(ml_home)))


@pytest.mark.parametrize("home", ["bare_home", "ml_home"])
def test_first_start_copies_the_old_file(
    home: str, request: pytest.FixtureRequest, side_python: Path
) -> None:
    """Into a new lake, or one made before (by a version that did not copy)."""
    from warehouse.current import warehouse

    previous_release(request.getfixturevalue(home))
    assert counts(warehouse()) == ROWS


def test_first_start_is_refused_until_the_old_file_is_copied(
    bare_home: Path, side_python: Path
) -> None:
    from tasks.context import reset
    from warehouse.current import warehouse

    bare_home.mkdir(parents=True)
    (bare_home / "medialake.duckdb").write_bytes(b"damaged" * 10_000)
    with pytest.raises(WarehouseError, match=r"move .*medialake\.duckdb away"):
        warehouse()
    assert lake.catalog(bare_home).exists()  # the lake was made, and is empty

    previous_release(bare_home)  # the file was fixed: the next start copies it
    reset()
    assert counts(warehouse()) == ROWS
