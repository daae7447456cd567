"""The ``medialake`` command line: one entry point, a subcommand per job.

Subcommands live in :mod:`cli.commands`, one module per area, each with a
``register(app)``. Heavy imports (Prefect, flows) happen inside the commands, after the
environment is prepared, so ``--help`` is fast and Prefect sees its settings.

A failure prints one plain line first (what failed, why, what to do); its traceback
goes to ``<data folder>/logs/medialake.log``, and to the terminal only with
``--verbose``.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pkgutil
import shutil
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

import cli.commands
from medialake import failures

app = typer.Typer(
    help="medialake: your whole media library in DuckDB, kept by Prefect.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)
_options = {"verbose": False}


@app.callback()
def _root(
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Show tracebacks and Prefect's own logs."),
    ] = False,
) -> None:
    """medialake: your whole media library in DuckDB, kept by Prefect."""
    _options["verbose"] = verbose


def verbose() -> bool:
    """Whether ``--verbose`` was given."""
    return _options["verbose"]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error line and return the ``typer.Exit`` to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def command_name() -> str:
    """How to run ``medialake`` from the user's shell, as it works there: the bare
    name when it is on PATH, else through uv, else the virtual environment's path."""
    if shutil.which("medialake"):
        return "medialake"
    if shutil.which("uv"):
        return "uv run medialake"
    script = os.path.join(sys.prefix, "bin", "medialake")
    try:
        relative = os.path.relpath(script)
    except ValueError:  # pragma: no cover - another drive (Windows)
        relative = script
    return relative if len(relative) < len(script) else script


def flows_ready() -> None:
    """Before a command imports its flows: connect to a Prefect server (started once,
    reused) and keep Prefect's own logs off the terminal unless ``--verbose``."""
    from medialake.runtime import connect_prefect

    connect_prefect()
    failures.route_logs(verbose())


# The module of each command run often: ``medialake sync`` imports only what ``sync``
# needs (all of them: 1-2 s on 2 cores); any other command, or none, loads every module.
FAST_COMMANDS = {
    "sync": "library", "sample": "library", "server": "server", "sql": "sql",
    "serve": "serve", "up": "stack", "dashboard": "stack", "transcode": "transcode",
    "download": "acquire", "rip": "acquire", "user": "user",
}  # fmt: skip


# Commands whose process never uses pandas. DuckDB imports it to check the type of
# each query parameter (0.3 CPU-s on 2 cores, a tenth of an unchanged sync of 20,000
# files); marked absent, DuckDB binds plain values the same way (``.df()`` alone
# would refuse). Prefect and polars import it only when it is there.
NO_PANDAS = frozenset({"sync"})


def _words(argv: list[str] | None = None) -> list[str]:
    return [arg for arg in (sys.argv[1:] if argv is None else argv) if arg[:1] != "-"]


def _skip_pandas(argv: list[str] | None = None) -> None:
    """In the process of a :data:`NO_PANDAS` command, mark pandas as not installed."""
    words = _words(argv)
    if words and words[0] in NO_PANDAS and "pandas" not in sys.modules:
        sys.modules["pandas"] = None  # type: ignore[assignment]


def _load_commands(argv: list[str] | None = None) -> None:
    """Register the command ``argv`` names (see :data:`FAST_COMMANDS`), else all."""
    words = _words(argv)
    fast = FAST_COMMANDS.get(words[0]) if words else None
    names = [fast] if fast else [
        info.name for info in pkgutil.iter_modules(cli.commands.__path__)
    ]  # fmt: skip
    for name in names:
        importlib.import_module(f"cli.commands.{name}").register(app)


def report(exc: BaseException) -> None:
    """A command's unexpected failure: one line, then where the traceback is."""
    log = failures.write_log(exc)
    line = escape(failures.describe(exc))
    err.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
    if verbose():
        failures.print_traceback(exc)
    else:
        err.print(f"(details: --verbose, or {log})", highlight=False, soft_wrap=True)


def main() -> None:
    """Console-script entry point."""
    _skip_pandas()
    _load_commands()
    try:
        app(prog_name="medialake")
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        report(exc)
        with contextlib.suppress(Exception):
            logging.shutdown()  # Prefect's API log handler sends what it holds
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)  # no interpreter teardown: nothing else is printed after the line
