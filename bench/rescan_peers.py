"""The peers of ``bench.cli_rescan``: an unchanged rescan by beets and by supysonic.

- beets 2.14.1 (the throwaway virtual environment of ``bench.tag_corpus``): the library
  is added to a beets database once, as it is (every file's tags read by beets'
  ``Item.from_path``, one album per album folder, in one transaction: ``beet import -A``
  commits each item and did not finish 20,000 files in 17 minutes here), and kept in
  ``bench/.work`` for later runs; then ``beet update`` (beets reads again only files
  whose mtime changed) is timed.
- supysonic 0.7.9 (the cached virtual environment of the Subsonic tests, set up by
  ``../shared/peers/supysonic/start.sh``, which scans the library once; that first scan
  is kept in ``bench/.work``); its server and daemon are stopped, then
  ``supysonic-cli folder scan --foreground Music`` is timed.

Each rescan is a whole command run from the shell, like ``medialake sync``.

    uv run python -m bench.cli_rescan --compare
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
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


# Adds every audio file under argv[1] to the beets database argv[2], as ``beet import
# -A`` would (tags as beets reads them, an album per folder), in one transaction.
_BEETS_ADD = """
import os, sys
import beets
from beets.library import Item, Library
beets.config.read()
root, db = sys.argv[1], sys.argv[2]
lib = Library(db, root)
with lib.transaction():
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        items = [
            Item.from_path(os.path.join(folder, name)) for name in sorted(files)
            if name.lower().endswith((".mp3", ".flac", ".ogg", ".m4a", ".opus"))
        ]
        if items:
            lib.add_album(items)
print(len(lib.items()))
"""


def beets_update(library: Path, runs: int) -> float:
    """Median seconds of ``beet update`` over the imported, unchanged library."""
    python = beets_python()
    files = sum(len(names) for _, _, names in os.walk(library))
    home = WORK / "beets-home"
    stamp = home / "imported"
    beet = [str(python.parent / "beet"), "update"]
    if stamp.exists() and stamp.read_text() == f"{library}\n{files}":
        return timed(beet, _beets_env(home), home, runs)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "config.yaml").write_text(
        f"directory: {library}\nlibrary: {home / 'library.db'}\n"
        "import:\n  copy: no\n  move: no\n  write: no\n  autotag: no\n"
        "  quiet: yes\n  log:\nplugins: []\n",
        encoding="utf-8",
    )
    env = _beets_env(home)
    subprocess.run(
        [str(python), "-c", _BEETS_ADD, str(library), str(home / "library.db")],
        env=env, cwd=home, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    stamp.write_text(f"{library}\n{files}")
    return timed(beet, env, home, runs)


def _beets_env(home: Path) -> dict[str, str]:
    return {**os.environ, "BEETSDIR": str(home)}


def supysonic_rescan(library: Path, runs: int) -> float:
    """Median seconds of supysonic's foreground rescan of the unchanged library."""
    from tests.connectors.media_servers.subsonic.server import (
        START,
        VENV_CACHE,
        start_server,
    )

    files = sum(len(names) for _, _, names in os.walk(library))
    root = WORK / "supysonic-home"  # its first scan is kept between runs
    stamp = WORK / "supysonic-home.scanned"
    if not (stamp.exists() and stamp.read_text() == f"{library}\n{files}"):
        shutil.rmtree(root, ignore_errors=True)
        stamp.unlink(missing_ok=True)
        start_server(root, library)  # scans the library once
        subprocess.run(
            [str(START), "--stop", str(root)], check=True, capture_output=True
        )
        stamp.write_text(f"{library}\n{files}")
    cli = VENV_CACHE / "bin" / "supysonic-cli"
    if not cli.exists():  # start.sh built a venv of its own
        cli = root / "venv" / "bin" / "supysonic-cli"
    env = {**os.environ, "HOME": str(root)}
    return timed([str(cli), "folder", "scan", "--foreground", "Music"], env, root, runs)


def compare(library: Path, runs: int, ours: float) -> None:
    """Print beets' and supysonic's unchanged rescans beside ours (``ours`` s)."""
    beets = beets_update(library, runs)
    print(f"{'beet update (beets 2.14.1)':<34} {beets:6.2f} s wall")
    supysonic = supysonic_rescan(library, runs)
    print(f"{'supysonic 0.7.9 folder scan':<34} {supysonic:6.2f} s wall")
    print(
        f"medialake fast path vs beet update: {beets / ours:.1f}x faster; "
        f"vs supysonic: {supysonic / ours:.1f}x faster"
    )
