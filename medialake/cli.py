"""The ``medialake`` command line: one entry point, a subcommand per job.

Subcommands live in :mod:`medialake.commands`, one module per area, each with a
``register(app)``. Heavy imports (Prefect, flows) happen inside the commands, after the
environment is prepared, so ``--help`` is fast and Prefect sees its settings.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer
from rich.console import Console

import medialake.commands

app = typer.Typer(
    help="medialake: your whole media library in DuckDB, kept by Prefect.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error line and return the ``typer.Exit`` to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _load_commands() -> None:
    for info in pkgutil.iter_modules(medialake.commands.__path__):
        module = importlib.import_module(f"medialake.commands.{info.name}")
        module.register(app)


def main() -> None:
    """Console-script entry point."""
    _load_commands()
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
