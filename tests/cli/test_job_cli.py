"""``medialake job``: the dashboard's job controls on the command line, through the
same job control. A run starts a real background process whose sync writes the
warehouse; ``job list`` shows how it ended; mistakes get one line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import _load_commands, app
from tests import lake
from tests.dashboards.sample_home import copy_home

pytest_plugins = ["tests.dashboards.filled"]

runner = CliRunner()
WAIT_S = 120


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not any(g.name == "job" for g in app.registered_groups):
        _load_commands()


@pytest.fixture
def home(
    filled_home, tmp_path: Path, use_home, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A private data folder; the background flow reports to the session's Prefect
    API (instead of starting an ephemeral one)."""
    from prefect.settings import get_current_settings

    monkeypatch.setenv("PREFECT_API_URL", str(get_current_settings().api.url))
    return use_home(copy_home(filled_home, tmp_path).home)


def _job(home: Path) -> tuple[str, str, str]:
    rows = lake.rows(
        home,
        "SELECT job_id, status, requested_by FROM jobs ORDER BY requested_at DESC",
    )
    return rows[0]


def test_run_starts_a_sync_and_list_shows_how_it_ended(home: Path) -> None:
    runs_before = lake.one(
        home, "SELECT count(*) FROM sync_runs WHERE server_id = 'mirror'"
    )
    result = runner.invoke(
        app, ["job", "run", "library-sync-incremental", "-p", "server=mirror"]
    )
    assert result.exit_code == 0, result.output
    job_id, status, requested_by = _job(home)
    assert f"job {job_id[:8]}: started library-sync-incremental" in result.output
    assert requested_by == "cli"
    deadline = time.monotonic() + WAIT_S
    while status == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        _, status, _ = _job(home)
    assert status == "succeeded"
    assert (
        lake.one(home, "SELECT count(*) FROM sync_runs WHERE server_id = 'mirror'")
        == runs_before + 1
    )
    listed = runner.invoke(app, ["job", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.output.splitlines() if job_id[:8] in x)
    assert "library-sync-incremental" in line
    assert "succeeded" in line
    again = runner.invoke(app, ["job", "cancel", job_id[:8]])
    assert again.exit_code == 2
    assert f"job {job_id[:8]} is not running (it succeeded)" in again.output


MISTAKES = [
    (["run", "nope"], "error: no deployment called 'nope' in prefect.yaml"),
    (["run", "enrich", "-p", "server"], "write it as KEY=VALUE"),
    (["cancel", "abcdef12"], "error: no job with an id starting 'abcdef12'"),
    (["retry", "abcdef12"], "error: no job with an id starting 'abcdef12'"),
]


def test_mistakes_get_one_line_and_start_nothing(home: Path) -> None:
    before = lake.one(home, "SELECT count(*) FROM jobs")
    for args, message in MISTAKES:
        result = runner.invoke(app, ["job", *args])
        assert result.exit_code == 2, args
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert lake.one(home, "SELECT count(*) FROM jobs") == before
