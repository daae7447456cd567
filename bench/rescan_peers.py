"""The peers of ``bench.cli_rescan``: an unchanged rescan by beets and by supysonic.

- beets 2.14.1 (the throwaway virtual environment of ``bench.tag_corpus``): the library
  is imported once as it is (``beet import -A -q``, no copy, no tag writes); then
  ``beet update`` (beets reads again only files whose mtime changed) is timed.
- supysonic 0.7.9 (the cached virtual environment of the Subsonic tests, set up by
  ``../shared/peers/supysonic/start.sh``, which scans the library once); its server and
  daemon are stopped, then ``supysonic-cli folder scan --foreground Music`` is timed.

Each rescan is a whole command run from the shell, like ``medialake sync``.

    uv run python -m bench.cli_rescan --compare
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.tag_corpus import beets_python

WORK = Path(__file__).resolve().parent / ".work"


def timed(command: list[str], env: dict[str, str], cwd: Path, runs: int) -> float:
    """Median wall seconds of ``runs`` runs of ``command``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            command, env=env, cwd=cwd, check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def beets_update(library: Path, scratch: Path, runs: int) -> float:
    """Median seconds of ``beet update`` over the imported, unchanged library."""
    python = beets_python()
    home = scratch / "beets"
    home.mkdir()
    (home / "config.yaml").write_text(
        f"directory: {library}\nlibrary: {home / 'library.db'}\n"
        "import:\n  copy: no\n  move: no\n  write: no\n  autotag: no\n"
        "  quiet: yes\n  log:\nplugins: []\n",
        encoding="utf-8",
    )
    env = {**os.environ, "BEETSDIR": str(home)}
    beet = [str(python.parent / "beet")]
    subprocess.run(
        [*beet, "import", "-A", "-q", str(library)], env=env, cwd=home, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return timed([*beet, "update"], env, home, runs)


def supysonic_rescan(library: Path, scratch: Path, runs: int) -> float:
    """Median seconds of supysonic's foreground rescan of the unchanged library."""
    from tests.connectors.media_servers.subsonic.server import (
        START,
        VENV_CACHE,
        start_server,
    )

    root = scratch / "supysonic"
    start_server(root, library)  # scans the library once
    subprocess.run([str(START), "--stop", str(root)], check=True, capture_output=True)
    cli = VENV_CACHE / "bin" / "supysonic-cli"
    if not cli.exists():  # start.sh built a venv of its own
        cli = root / "venv" / "bin" / "supysonic-cli"
    env = {**os.environ, "HOME": str(root)}
    return timed([str(cli), "folder", "scan", "--foreground", "Music"], env, root, runs)


def compare(library: Path, runs: int, ours: float) -> None:
    """Print beets' and supysonic's unchanged rescans beside ours (``ours`` s)."""
    with tempfile.TemporaryDirectory(prefix="medialake-peers-") as tmp:
        scratch = Path(tmp)
        beets = beets_update(library, scratch, runs)
        print(f"{'beet update (beets 2.14.1)':<34} {beets:6.2f} s wall")
        supysonic = supysonic_rescan(library, scratch, runs)
        print(f"{'supysonic 0.7.9 folder scan':<34} {supysonic:6.2f} s wall")
    print(
        f"medialake fast path vs beet update: {beets / ours:.1f}x faster; "
        f"vs supysonic: {supysonic / ours:.1f}x faster"
    )
