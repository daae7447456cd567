"""``medialake sql`` results wider than the terminal: one record at a time, a line per
column, every value whole (the hint ``SELECT * FROM tracks`` printed 25 columns of one
character each)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from medialake.cli import _load_commands, app
from tests import lake
from tests.dashboards.sample_home import copy_home

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
