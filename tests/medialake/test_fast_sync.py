"""Commands that have nothing to do answer without Prefect: an unchanged incremental
sync is decided and recorded before any Prefect server is needed, and still shows in
the Prefect UI when a server runs."""

from __future__ import annotations

import re
import shutil
from typing import TYPE_CHECKING, Any

import pytest
import typer

from cli.main import FAST_COMMANDS
from tests.medialake.test_cli import run_cli

if TYPE_CHECKING:
    from pathlib import Path

    from medialake.sample import SampleSummary


@pytest.mark.usefixtures("prefect_harness")
def test_an_unchanged_sync_starts_no_prefect_server(
    tmp_path: Path, sample_library: SampleSummary
) -> None:
    from prefect.settings import PREFECT_API_URL

    home = tmp_path / "home"
    shutil.copytree(sample_library.root, home / "library")
    api = str(PREFECT_API_URL.value())  # the first run reads everything, in a flow
    assert run_cli(home, "sync", PREFECT_API_URL=api).returncode == 0
    try:
        again = run_cli(
            home,
            "sync",
            MEDIALAKE_PREFECT_SERVER="background",
            PYTHONPROFILEIMPORTTIME="1",
        )
    finally:
        run_cli(home, "server", "stop")
    assert again.returncode == 0, again.stderr
    # neither Prefect nor pandas (DuckDB would import it for its parameters)
    imported = set(re.findall(r"^import time:.*\| +(\S+)$", again.stderr, re.M))
    assert "duckdb" in imported
    assert not {m for m in imported if m.startswith(("prefect.", "pandas."))}
    assert "incremental succeeded" in again.stdout
    assert "0 added, 0 updated" in " ".join(again.stdout.split())
    assert "Next:" in again.stdout
    assert not (home / "prefect" / "server.json").exists()
    # with a Prefect server running, the same shortcut shows up in its UI
    assert run_cli(home, "sync", PREFECT_API_URL=api).returncode == 0
    [run] = [r for r in _unchanged_runs() if r.parameters.get("server") is None]
    items = sample_library.tracks + sample_library.movies + sample_library.episodes
    assert run.state is not None
    assert run.state.is_completed()
    assert f"local: {items} items unchanged" in str(run.state.message)


def _unchanged_runs() -> list[Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    only = FlowRunFilter(tags=FlowRunFilterTags(all_=["unchanged"]))
    with get_client(sync_client=True) as client:
        return list(client.read_flow_runs(flow_run_filter=only))


@pytest.mark.usefixtures("prefect_harness", "bare_home")
def test_a_run_recorded_without_prefects_client_shows_in_the_prefect_ui(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.settings import PREFECT_API_URL

    from medialake.prefect_record import record_completed_run
    from medialake.runtime import settings

    monkeypatch.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))
    markdown = "## library sync\n\n| server | seen |\n|---|---|\n| local | 217 |"
    run_id = record_completed_run(
        settings(),
        "library-sync",
        {"server": "local", "mode": "incremental"},
        "local: 217 items unchanged (0.20 s)",
        ("library-sync", "library sync: nothing changed", markdown),
    )
    assert run_id is not None
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)  # type: ignore[arg-type]
        flow = client.read_flow(run.flow_id)
        only = FlowRunFilter(id=FlowRunFilterId(any_=[run.id]))
        [artifact] = client.read_artifacts(flow_run_filter=only)
    assert flow.name == "library-sync"
    assert run.state is not None
    assert run.state.is_completed()
    assert run.state.message == "local: 217 items unchanged (0.20 s)"
    assert run.parameters == {"server": "local", "mode": "incremental"}
    assert artifact.key == "library-sync"
    assert "| local | 217 |" in str(artifact.data)


@pytest.mark.usefixtures("bare_home")
def test_with_no_prefect_server_nothing_is_recorded_there_and_nothing_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from medialake.prefect_record import record_completed_run
    from medialake.runtime import settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert record_completed_run(settings(), "library-sync", {}, "unchanged") is None


@pytest.mark.parametrize(("command", "module"), sorted(FAST_COMMANDS.items()))
def test_each_fast_command_is_registered_by_the_module_loaded_for_it(
    command: str, module: str
) -> None:
    import importlib

    app = typer.Typer()
    importlib.import_module(f"cli.commands.{module}").register(app)
    names = {
        c.name or c.callback.__name__ for c in app.registered_commands if c.callback
    }
    names |= {g.name for g in app.registered_groups if g.name}
    assert command in names
