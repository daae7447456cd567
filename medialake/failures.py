"""How a command reports a failure: one plain line first, the traceback in a log file.

:func:`describe` turns an exception into "what failed: why; what to do", without
importing the layer that raised it (the class is matched by name along its MRO, so the
core imports no layer above it). :func:`write_log` appends the traceback to
``<data folder>/logs/medialake.log``; :func:`route_logs` keeps Prefect's own log lines
(a traceback per failed task) off the terminal and sends them to that file too.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from pathlib import Path

LOG_NAME = "medialake.log"
_CREDENTIAL = re.compile(r"credential '([\w.-]+)' was refused")
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# What to do, by the text of the reason (a flow's failure arrives as text).
_ADVICE_BY_TEXT = (
    (
        "was refused",
        "set the right value (medialake.toml or its MEDIALAKE_SERVERS_<NAME>_<KEY> "
        "variable) and run the command again",
    ),
    (
        "is running",
        "wait for that run to finish (the dashboard's Jobs page shows it), then run "
        "the command again",
    ),
    (
        "warehouse is busy",
        "wait for the other writer to finish, then run the command again",
    ),
    (
        "ConnectError",
        "check that the server is running and its url in medialake.toml is right, "
        "then run the command again",
    ),
    (
        "ConnectTimeout",
        "check that the server is running and its url in medialake.toml is right, "
        "then run the command again",
    ),
    (
        "404",
        "check the address: the server answered that there is nothing there",
    ),
)

# What to do, by exception class name (anywhere in the MRO).
_ADVICE_BY_CLASS = {
    "FileNotFoundError": "check the path",
    "PermissionError": "check the permissions of that path",
    "WarehouseBusy": "wait for the other writer to finish, then run the command again",
    "WarehouseMissing": "run 'medialake sync' first",
    "AuthError": _ADVICE_BY_TEXT[0][1],
    "TransientError": "check that the server is running and reachable, then run the "
    "command again",
    "ConnectError": _ADVICE_BY_TEXT[3][1],
    "NotFound": "check the name or address",
    "ServerStartError": "see that log; 'medialake server stop' and run again, or set "
    '[prefect] server = "ephemeral"',
}


def home() -> Path:
    """The data folder, without validating the settings (they may be what failed)."""
    return Path(os.environ.get("MEDIALAKE_HOME") or "data").expanduser()


def log_path() -> Path:
    """The command log: tracebacks of failed commands, Prefect's warnings."""
    return home() / "logs" / LOG_NAME


def advice(reason: str) -> str:
    """What to do about a failure whose reason reads ``reason`` ('' if unknown)."""
    credential = _CREDENTIAL.search(reason)
    if credential and "." in credential.group(1):
        key = credential.group(1)
        variable = "MEDIALAKE_" + key.replace(".", "_").upper()
        return (
            f"set the right {key} (in medialake.toml, or the {variable} variable) "
            "and run the command again"
        )
    for needle, what in _ADVICE_BY_TEXT:
        if needle in reason:
            return what
    return ""


def describe(exc: BaseException) -> str:
    """One line: what failed and why, then what to do."""
    names = [cls.__name__ for cls in type(exc).__mro__]
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        reason = f"{exc.strerror}: {exc.filename}"
    else:
        text = str(exc).strip().splitlines()
        reason = text[0] if text else ""
        reason = f"{names[0]}: {reason}" if _plain(names) or not reason else reason
    what = next((_ADVICE_BY_CLASS[n] for n in names if n in _ADVICE_BY_CLASS), "")
    what = what or advice(reason)
    return f"{reason}; {what}" if what else reason


def _plain(names: list[str]) -> bool:
    """Built-in errors (KeyError, ValueError ...) read better with their name."""
    return names[0] in ("KeyError", "ValueError", "TypeError", "RuntimeError")


def write_log(exc: BaseException) -> Path:
    """Append the failure (time, command line, traceback) to the command log."""
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            out.write(f"--- {stamp} medialake {' '.join(sys.argv[1:])}\n")
            out.write("".join(traceback.format_exception(exc)))
    except OSError:
        pass
    return path


def print_traceback(exc: BaseException) -> None:
    """The traceback on stderr (``--verbose``)."""
    traceback.print_exception(exc, file=sys.stderr)


class _KeepOffTerminal(logging.Filter):
    """Drops Prefect's own records from a terminal handler (they reach the Prefect
    UI through its API handler, and the command log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith("prefect")


def route_logs(verbose: bool) -> None:
    """Prefect's log records go to the command log; on the terminal only with
    ``verbose``. Call before the flows are imported (Prefect configures its logging
    when it is imported)."""
    import prefect  # noqa: F401 - sets up Prefect's logging, which this adjusts

    handler = logging.FileHandler(log_path(), encoding="utf-8", delay=True)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(_FORMAT))
    log_path().parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger().addHandler(handler)
    if verbose:
        return
    for logger in (logging.getLogger(), logging.getLogger("prefect")):
        for existing in logger.handlers:
            if existing is not handler and _is_terminal(existing):
                existing.addFilter(_KeepOffTerminal())


def _is_terminal(handler: logging.Handler) -> bool:
    stream = getattr(handler, "stream", None)
    return stream in (sys.stderr, sys.stdout) or type(handler).__name__.endswith(
        "ConsoleHandler"
    )
