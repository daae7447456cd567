"""The summary printed after a sync: servers, counts, the last run, what failed, what
next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.markup import escape
from rich.table import Table

from tasks.context import warehouse
from warehouse import reads

if TYPE_CHECKING:
    from rich.console import Console


def next_steps(command: str) -> str:
    """What to try next, in the form that runs in the user's shell (``command``)."""
    return "\n".join(
        (
            "[bold]Next:[/]",
            f"  {command} sync --mode full   re-sync and detect removed files",
            f'  {command} sql "SELECT artist, album, title FROM tracks LIMIT 10"',
            f"  {command} --help             every command",
            "  prefect.yaml   schedules: incremental 30 min, full nightly",
        )
    )


def print_summary(
    console: Console, servers: list[str], seconds: float, *, hints: bool = True
) -> None:
    """Print per-server counts, each server's latest run and files in error; then,
    after a run that did not fail, what to try next."""
    with warehouse().read() as con:
        summary = [
            row for row in reads.library_summary(con) if row["server"] in servers
        ]
        latest: dict[str, dict[str, Any]] = {}
        for run in reads.latest_runs(con, limit=200):
            latest.setdefault(run["server_id"], run)
        failed = reads.failed_files(con, limit=10)
    table = Table(title=f"medialake library ({seconds:.1f} s)", box=box.SIMPLE_HEAD)
    for column in (
        "server",
        "artists",
        "albums",
        "tracks",
        "movies",
        "shows",
        "episodes",
        "failed",
    ):
        table.add_column(
            column,
            justify="left" if column == "server" else "right",
            min_width=len(column),
        )
    for row in summary:
        table.add_row(
            row["server"],
            *(
                str(row[k])
                for k in (
                    "artists",
                    "albums",
                    "tracks",
                    "movies",
                    "shows",
                    "episodes",
                    "failed_files",
                )
            ),
        )
    console.print(table)
    for row in summary:
        run = latest.get(row["server"], {})
        console.print(
            f"{row['server']} ({row['kind']}): last run {_describe_run(run)}",
            highlight=False,
        )
    for server, path, error in failed:
        console.print(f"[yellow]failed[/] {server}: {path!r}: {error}", highlight=False)
    if hints:
        from medialake.cli import command_name

        console.print(next_steps(escape(command_name())), highlight=False)


def _describe_run(run: dict) -> str:
    if not run:
        return "never"
    text = (
        f"{run['mode']} {run['status']} in {run['duration_s'] or 0:.1f} s: "
        f"{run['seen']} seen, {run['added']} added, {run['updated']} updated, "
        f"{run['removed']} removed, {run['failed']} failed"
    )
    reason = run.get("suspect_reason") or run.get("error")
    return f"{text} ({reason})" if reason else text
