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
