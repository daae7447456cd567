"""``medialake sql``: read-only queries, CSV/Parquet, the shell, refused writes, and
results wider than the terminal (one record at a time, every value whole)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from cli.main import _load_commands, app
from tests import lake
from tests.dashboards.sample_home import copy_home
from warehouse.db import Warehouse

pytest_plugins = ["tests.dashboards.filled"]

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not any(
        c.name == "sql" or getattr(c.callback, "__name__", "") == "sql"
        for c in app.registered_commands
    ):
        _load_commands()


@pytest.fixture
def home(filled_home, tmp_path: Path, use_home) -> Path:
    return use_home(copy_home(filled_home, tmp_path).home)


def _count(home: Path, sql: str) -> int:
    return int(lake.one(home, sql))


def _digest(home: Path) -> str:
    """The warehouse's latest snapshot and the names of its data files: any write
    changes one of them."""
    snapshot = lake.one(
        home, "SELECT max(snapshot_id) FROM ducklake_snapshots('lake_ro')"
    )
    files = sorted(str(p) for p in lake.catalog(home).with_suffix(".files").rglob("*"))
    return hashlib.sha256(f"{snapshot}{files}".encode()).hexdigest()


def test_prints_a_table(home: Path) -> None:
    result = runner.invoke(
        app,
        ["sql", "SELECT server_id, tracks FROM library_overview ORDER BY 1"],
        env={"COLUMNS": "120"},
    )
    assert result.exit_code == 0, result.output
    tracks = _count(home, "SELECT count(*) FROM tracks WHERE server_id = 'local'")
    line = next(x for x in result.output.splitlines() if " local " in x)
    assert str(tracks) in line
    assert "3 rows" in result.output


def test_writes_csv_and_parquet_with_every_row(home: Path, tmp_path: Path) -> None:
    csv, parquet = tmp_path / "out" / "t.csv", tmp_path / "out" / "t.parquet"
    result = runner.invoke(
        app,
        [
            "sql",
            "SELECT * FROM track_files",
            "--csv",
            str(csv),
            "--parquet",
            str(parquet),
        ],
    )
    assert result.exit_code == 0, result.output
    expected = _count(home, "SELECT count(*) FROM track_files")
    assert pl.read_csv(csv).height == expected
    frame = pl.read_parquet(parquet)
    assert frame.height == expected
    assert "path" in frame.columns


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO servers (server_id, kind) VALUES ('evil', 'filesystem')",
        "DELETE FROM tracks",
        "SELECT 1; UPDATE tracks SET title = 'x'",
        "CREATE TABLE t AS SELECT 1",
        "ATTACH ':memory:' AS other",
        "COPY (SELECT * FROM tracks) TO '{out}'",
        "EXPLAIN ANALYZE DELETE FROM tracks",
    ],
)
def test_a_write_is_refused_and_changes_nothing(
    home: Path, tmp_path: Path, sql: str
) -> None:
    out = tmp_path / "copied.csv"
    before = _digest(home)
    result = runner.invoke(app, ["sql", sql.format(out=out)])
    assert result.exit_code == 2
    assert "refused" in result.output
    assert "Nothing was run" in " ".join(result.output.split())
    assert _digest(home) == before
    assert not out.exists()


def test_the_connection_under_the_check_is_read_only_too(home: Path) -> None:
    with (
        Warehouse(lake.catalog(home)).read() as con,
        pytest.raises(duckdb.Error),
    ):
        con.execute("DELETE FROM tracks")
    assert _count(home, "SELECT count(*) FROM tracks") > 0


def test_shell_runs_queries_and_lists_views(home: Path) -> None:
    script = "SELECT count(*) AS n\nFROM tracks;\n.views\nDROP TABLE tracks;\n.quit\n"
    result = runner.invoke(app, ["sql"], input=script, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert str(_count(home, "SELECT count(*) FROM tracks")) in result.output
    assert "library_overview:" in result.output
    assert "refused" in result.output
    assert _count(home, "SELECT count(*) FROM tracks") > 0


def test_a_bad_query_says_why_without_a_traceback(home: Path) -> None:
    result = runner.invoke(app, ["sql", "SELECT * FROM no_such_table"])
    assert result.exit_code == 2
    assert "no_such_table" in result.output
    assert "Traceback" not in result.output


def test_the_real_command_refuses_a_write(home: Path) -> None:
    env = {**os.environ, "MEDIALAKE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "sql", "DROP TABLE tracks"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "refused" in done.stderr
    assert _count(home, "SELECT count(*) FROM tracks") > 0


def test_attach_prints_sql_a_notebook_can_run(home: Path) -> None:
    result = runner.invoke(app, ["sql", "--attach"])
    assert result.exit_code == 0, result.output
    con = duckdb.connect()
    con.execute(result.stdout)
    tracks = _count(home, "SELECT count(*) FROM tracks")
    assert con.execute("SELECT count(*) FROM tracks").fetchone() == (tracks,)
    with pytest.raises(duckdb.Error, match=r"read-only|read only"):
        con.execute("DELETE FROM tracks")
    con.close()


def test_files_outside_the_warehouse_are_out_of_reach(home: Path) -> None:
    result = runner.invoke(app, ["sql", "SELECT * FROM read_text('/etc/passwd')"])
    assert result.exit_code == 2
    assert "disabled" in result.output
    assert "root:" not in result.output


def test_a_query_over_the_statement_timeout_is_stopped(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIALAKE_WAREHOUSE_STATEMENT_TIMEOUT_S", "0.5")
    result = runner.invoke(
        app, ["sql", "SELECT count(*) FROM range(100000000000) r WHERE hash(r) = 7"]
    )
    assert result.exit_code == 2
    assert "longer than 0.5 s and was stopped" in result.output


def test_values_are_not_read_as_terminal_markup(home: Path) -> None:
    result = runner.invoke(
        app,
        ["sql", "SELECT '[link=http://x.test]click[/link] [bold]b[/bold]' AS v"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "[link=http://x.test]click[/link]" in result.output


def test_a_wide_result_prints_records_with_whole_values(home: Path) -> None:
    query = "SELECT * FROM tracks ORDER BY server_id, native_id LIMIT 2"
    result = runner.invoke(app, ["sql", query], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    first = query.replace("LIMIT 2", "LIMIT 1")
    title = lake.one(home, first.replace("*", "title"))
    artist = lake.one(home, first.replace("*", "artist"))
    lines = result.output.splitlines()
    assert lines[0].startswith("-[ record 1 ]")
    second = next(i for i, x in enumerate(lines) if x.startswith("-[ record 2 ]"))
    fields = dict(
        (name.strip(), value)
        for name, _, value in (x.partition(" | ") for x in lines[1:second])
    )
    assert fields["title"] == title
    assert fields["artist"] == artist
    assert len(fields) > 20
    assert "-[ record 2 ]" in result.output
    assert "2 rows" in result.output


def test_a_result_that_fits_stays_a_table(home: Path) -> None:
    query = "SELECT server_id, count(*) AS tracks FROM tracks GROUP BY 1"
    result = runner.invoke(app, ["sql", query], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "record 1" not in result.output
    assert "server_id" in result.output.splitlines()[1]
