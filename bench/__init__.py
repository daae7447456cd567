"""Benchmarks (``uv run python -m bench.<name>``): each prints its figures as a ratio
against a baseline measured in the same run."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def scratch(name: str, *, home: bool = False) -> Iterator[Path]:
    """A temporary folder for one run, removed afterwards; with ``home`` it is also
    the run's ``MEDIALAKE_HOME``."""
    work = Path(tempfile.mkdtemp(prefix=f"medialake-bench-{name}-"))
    if home:
        os.environ["MEDIALAKE_HOME"] = str(work)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def command_env(home: Path, server: str, library: Path) -> dict[str, str]:
    """The environment of a ``medialake`` command run by a bench: this one without
    Prefect's settings, ``home`` as its data folder, one folder server ``server`` on
    ``library``, and the way every command ran before issue 14 (a Prefect server per
    command, no unchanged-sync fast path), which the bench then changes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    key = f"MEDIALAKE_SERVERS_{server.upper()}"
    env.update(
        {
            "MEDIALAKE_HOME": str(home),
            f"{key}_KIND": "filesystem",
            f"{key}_ROOTS": str(library),
            "MEDIALAKE_PREFECT_SERVER": "ephemeral",
            "MEDIALAKE_SYNC_QUICK_UNCHANGED": "false",
        }
    )
    return env
