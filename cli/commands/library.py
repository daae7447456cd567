"""Library commands: ``sample`` (write the sample library) and ``sync``."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path  # noqa: TC003 - typer reads annotations at run time
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
)

from cli.main import command_name, console, fail, flows_ready
from medialake.progress_bars import ProgressBars
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError
from medialake.summary import LibraryState


class Mode(StrEnum):
    """Sync modes, as the CLI spells them."""

    incremental = "incremental"
    full = "full"
    deep = "deep"


def sample(
    dest: Annotated[
        Path | None,
        typer.Argument(help="Folder to write (default: the data folder's library)."),
    ] = None,
) -> None:
    """Write the deterministic sample library (real, playable audio and video files)."""
    from medialake.sample import generate_sample

    try:
        settings = prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    target = dest or settings.library_root
    started = time.monotonic()
    with Progress(
        TextColumn("sample"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        job = bar.add_task("sample", total=None)
        summary = generate_sample(
            target, progress=lambda d, t: bar.update(job, completed=d, total=t)
        )
    console.print(
        f"sample library in {summary.root}: {summary.tracks} tracks, "
        f"{summary.albums} albums, {summary.artists} artists, "
        f"{summary.movies} movies, {summary.episodes} episodes "
        f"({time.monotonic() - started:.1f} s)"
    )


def sync(
    server: Annotated[
        str | None, typer.Argument(help="Server name (default: every server).")
    ] = None,
    mode: Annotated[
        Mode, typer.Option(help="incremental, full (detects removals) or deep.")
    ] = Mode.incremental,
) -> None:
    """Sync the library of one or every configured server into the warehouse."""
    from medialake.failures import advice
    from medialake.summary import print_summary
    from tasks.context import engine

    try:
        prepare_environment()
        names = [engine().get(server).name] if server else engine().names
    except (SettingsError, KeyError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    started = time.monotonic()
    todo = names if mode is not Mode.incremental else _record_unchanged(server, names)
    failed = None
    if todo:
        flows_ready()
        from flows.library_sync import SyncFailed, library_sync

        bars = ProgressBars(console, describe=lambda label: f"sync {label}")
        with bars:
            try:
                for one in [server] if todo == names else todo:
                    library_sync(server=one, mode=mode.value)
            except SyncFailed as exc:
                failed = str(exc)
    if failed:  # the error first, then what the runs recorded; no hints
        what = advice(failed) or "the run's details are in the Prefect UI"
        exit_ = fail(f"sync failed: {failed}; {what}", 1)
    seconds = time.monotonic() - started
    hints = None if failed else command_name()  # no hints after a failure
    print_summary(console, _library_state(names), seconds, hints=hints)
    if failed:
        raise exit_


def _record_unchanged(server: str | None, names: list[str]) -> list[str]:
    """Record, without Prefect's client, the incremental run of each server that has
    nothing to read (also in the Prefect UI when a server runs); return the others,
    which need the flow."""
    from connectors.media_servers.base import SyncMode
    from medialake.prefect_record import record_completed_run
    from medialake.runtime import settings
    from tasks.report import summary_markdown
    from tasks.unchanged import SUMMARY_COLUMNS, record_if_unchanged

    todo, done = [], []
    for name in names:
        summary = record_if_unchanged(name, SyncMode.INCREMENTAL)
        if summary is None:
            todo.append(name)
        else:
            done.append(summary)
    if done:
        title = "library sync (incremental): nothing changed"
        markdown = summary_markdown(title, done, SUMMARY_COLUMNS)
        parameters = {"server": server, "mode": Mode.incremental.value}
        said = ", ".join(
            f"{s['server']}: {s['seen']} items unchanged ({s['seconds']:.2f} s)"
            for s in done
        )
        artifact = ("library-sync", title, markdown)
        record_completed_run(settings(), "library-sync", parameters, said, artifact)
    return todo


def _library_state(servers: list[str]) -> LibraryState:
    """What the summary after a sync shows, read from the warehouse."""
    from tasks.context import warehouse
    from warehouse import reads

    with warehouse().read() as con:
        summary = [
            row for row in reads.library_summary(con) if row["server"] in servers
        ]
        state = LibraryState(summary, failed=reads.failed_files(con, limit=10))
        for run in reads.latest_runs(con, limit=200):
            state.latest.setdefault(run["server_id"], run)
    return state


def register(app: typer.Typer) -> None:
    """Add ``sample`` and ``sync`` to the CLI."""
    app.command()(sample)
    app.command()(sync)
