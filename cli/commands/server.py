"""``medialake server start|stop|status``: the local Prefect server commands reuse.

A command that runs a flow starts this server by itself the first time (see
:mod:`medialake.prefect_server`); these commands start it ahead of time, show it, and
stop it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cli.main import console, fail
from medialake.prefect_server import (
    UP,
    ServerStartError,
    running,
    start_background,
    start_lock,
    stop_background,
)
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError

if TYPE_CHECKING:
    from medialake.settings import Settings

app = typer.Typer(
    help="The local Prefect server that commands reuse (started on first use).",
    no_args_is_help=True,
)


def _settings() -> Settings:
    try:
        return prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None


def _ui(url: str) -> str:
    return url.removesuffix("/api")


@app.command()
def start() -> None:
    """Start the local Prefect server now (commands would start it on first use)."""
    settings = _settings()
    # the lock a command takes to start one: a command started meanwhile waits for
    # this server instead of starting a second one (`make demo` starts it beside the
    # sample's generation)
    with start_lock(settings):
        state = running(settings)
        started = state is None
        if state is None:
            try:
                state = start_background(settings)
            except ServerStartError as exc:
                raise fail(str(exc), 1) from None
    if started:
        console.print(f"Prefect server started: {_ui(state.url)}", highlight=False)
    else:
        console.print(f"Prefect server already running: {_ui(state.url)}")


@app.command()
def status() -> None:
    """Show the Prefect server commands use, if one is running."""
    settings = _settings()
    state = running(settings)
    if state is None:
        console.print("no Prefect server running (the next flow command starts one)")
        raise typer.Exit(3)
    who = "medialake up" if state.owner == UP else "background"
    console.print(
        f"Prefect server ({who}, pid {state.pid}): UI {_ui(state.url)}, "
        f"API {state.url}",
        highlight=False,
    )


@app.command()
def stop() -> None:
    """Stop the background Prefect server (not the one 'medialake up' runs)."""
    settings = _settings()
    state = running(settings)
    if state is not None and state.owner == UP:
        raise fail("the Prefect server belongs to 'medialake up': stop that (Ctrl-C)")
    stopped = stop_background(settings)
    if stopped is None:
        console.print("no background Prefect server was running")
        return
    console.print(f"stopped the Prefect server (pid {stopped.pid})")


def register(root: typer.Typer) -> None:
    """Add ``server`` to the CLI."""
    root.add_typer(app, name="server")
