"""The summary printed after a sync: servers, counts, the last run, what failed, what
next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich import box
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Console


@dataclass
class LibraryState:
    """What the summary shows, read by the command: per-server counts, each server's
    latest run, and files in error as (server, path, error)."""

    summary: list[dict[str, Any]]
    latest: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: list[tuple[str, str, str]] = field(default_factory=list)


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
    console: Console, state: LibraryState, seconds: float, *, hints: str | None = None
) -> None:
    """Print per-server counts, each server's latest run and files in error; then,
    with ``hints`` (how the user runs medialake), what to try next."""
    summary, latest, failed = state.summary, state.latest, state.failed
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
        console.print(next_steps(escape(hints)), highlight=False)


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
