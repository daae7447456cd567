"""``python -m cli.warm`` (run by ``make demo`` beside the Prefect server's start and
the sample's generation) caches the bytecode of what ``medialake sync`` imports, and
only that: no server is started, pandas (which the sync never imports) is not
compiled."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def test_warm_caches_the_syncs_bytecode_and_starts_nothing(tmp_path: Path) -> None:
    cache, home = tmp_path / "pycache", tmp_path / "home"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PREFECT_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(MEDIALAKE_HOME=str(home), PYTHONPYCACHEPREFIX=str(cache))
    done = subprocess.run(
        [sys.executable, "-m", "cli.warm"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    written = {p.relative_to(cache).as_posix() for p in cache.rglob("*.pyc")}
    for module in ("flows/library_sync", "tasks/library_sync", "prefect/flow_engine"):
        assert any(f"/{module}." in f"/{name}" for name in written), module
    assert not any("/pandas/" in f"/{name}" for name in written)
    assert not (home / "prefect" / "server.json").exists()  # no server started
