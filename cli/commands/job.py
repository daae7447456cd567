"""``medialake job run|list|cancel|retry``: the dashboard's job controls on the command
line, through the same job control (:mod:`jobs.control`): a Prefect flow run of the
deployment when ``prefect.api_url`` is set, a background process otherwise. ``run``
returns once the job has started; ``list`` shows how it went."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cli.main import console, fail
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError

app = typer.Typer(
    help="Run a deployment of prefect.yaml now, list, cancel or retry jobs.",
    no_args_is_help=True,
)
COLUMNS = ("job", "kind", "params", "backend", "status", "requested", "error")


def _ready() -> None:
    try:
        prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None


def _why(exc: Exception) -> str:
    """The message of a job-control error (a KeyError's str() adds quotes)."""
    return str(exc.args[0]) if exc.args else str(exc)


def _params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise fail(f"--param {pair!r}: write it as KEY=VALUE (e.g. server=home)")
        try:
            params[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[key.strip()] = value
    return params


@app.command("run")
def run(
    deployment: Annotated[str, typer.Argument(help="A deployment of prefect.yaml.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="KEY=VALUE over its parameters."),
    ] = None,
) -> None:
    """Start a deployment now (in the background; 'job list' shows how it went)."""
    from jobs import control
    from jobs.base import JobError

    _ready()
    overrides = _params(param or [])
    try:
        started = control.start(
            control.find_spec(deployment), overrides, requested_by="cli"
        )
    except JobError as exc:
        raise fail(_why(exc)) from None
    console.print(f"job {started.job_id[:8]}: {started.message}", highlight=False)
    if started.url:
        console.print(started.url, highlight=False)


@app.command("list")
def list_jobs(
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
) -> None:
    """The latest jobs (from the dashboard or 'job run'), newest first."""
    from jobs import control
    from warehouse.current import warehouse
    from warehouse.queries import jobs

    _ready()
    control.refresh()
    with warehouse().read() as con:
        rows = jobs.latest_jobs(con, limit).to_dicts()
    table = Table(title="jobs")
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for row in rows:
        values = (
            row["job_id"][:8],
            row["kind"],
            row["params"],
            row["backend"],
            row["status"],
            f"{row['requested_at']:%Y-%m-%d %H:%M:%S}",
            row["error"] or "",
        )
        table.add_row(*(Text(str(v)) for v in values))
    console.print(table)


@app.command("cancel")
def cancel(
    job_id: Annotated[str, typer.Argument(help="A job id (or its start).")],
) -> None:
    """Cancel a running job (and the sync runs it left running)."""
    from jobs import control
    from jobs.base import JobError

    _ready()
    try:
        job = control.find_job(job_id)
    except JobError as exc:
        raise fail(_why(exc)) from None
    if job["status"] != "running":
        raise fail(f"job {job['job_id'][:8]} is not running (it {job['status']})")
    console.print(control.cancel(job), highlight=False)


@app.command("retry")
def retry(
    job_id: Annotated[str, typer.Argument(help="A job id (or its start).")],
) -> None:
    """Run a job again with the same deployment and parameters."""
    from jobs import control
    from jobs.base import JobError

    _ready()
    try:
        started = control.retry(control.find_job(job_id), requested_by="cli")
    except JobError as exc:
        raise fail(_why(exc)) from None
    console.print(f"job {started.job_id[:8]}: {started.message}", highlight=False)


def register(root: typer.Typer) -> None:
    """Add ``job`` to the CLI."""
    root.add_typer(app, name="job")
