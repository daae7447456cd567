"""A real supysonic for the tests, started with the peer's ``start.sh``.

One server holding the sample library's music is shared by the whole test session (the
conformance factory and this folder's fixtures both use :func:`shared_server`); it is
stopped when the session ends. ``start.sh`` installs supysonic into a virtual
environment on its first run (about 10 s, PyPI needed); that environment is kept in
pytest's cache folder so later sessions start in about 2 s.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medialake.sample import SampleSummary

REPO = Path(__file__).resolve().parents[4]
PEER = REPO / ".." / "shared" / "peers" / "supysonic"
START = PEER / "start.sh"
VENV_CACHE = REPO / ".pytest_cache" / "d" / "supysonic-venv"
PIP_SPEC = ("supysonic==0.7.9", "waitress")
USER, PASSWORD = "alice", "sesame"


@dataclass
class Supysonic:
    """A running supysonic: its folder, port and music folder."""

    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def music(self) -> Path:
        return self.root / "music"

    def config(self, **extra: Any) -> dict[str, Any]:
        """A ``[servers.NAME]`` table for this server."""
        table = {"kind": "subsonic", "url": self.url, "username": USER}
        return {**table, "password": PASSWORD, **extra}

    def stop(self) -> None:
        """Stop the server and its daemon (by the PIDs start.sh recorded)."""
        if (self.root / "server.pid").exists():
            subprocess.run(
                [str(START), "--stop", str(self.root)],
                capture_output=True,
                timeout=60,
                check=False,
            )


def _cached_venv() -> Path | None:
    """A virtual environment with supysonic, built once and reused across sessions."""
    ready = VENV_CACHE / "bin" / "supysonic-server"
    python = shutil.which("python3")
    if python is None:
        return None
    VENV_CACHE.parent.mkdir(parents=True, exist_ok=True)
    with (VENV_CACHE.parent / "supysonic-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(VENV_CACHE, ignore_errors=True)
            steps = [
                [python, "-m", "venv", str(VENV_CACHE)],
                [str(VENV_CACHE / "bin" / "pip"), "install", "-q", *PIP_SPEC],
            ]
            for step in steps:
                if subprocess.run(step, capture_output=True, check=False).returncode:
                    shutil.rmtree(VENV_CACHE, ignore_errors=True)
                    return None
    return VENV_CACHE


def start_server(root: Path, music: Path | None) -> Supysonic:
    """Start supysonic in ``root`` over a copy of ``music`` (None: an empty library)."""
    target = root / "music"
    if music is None:
        target.mkdir(parents=True)
        (target / "README.txt").write_text("no music here\n")  # start.sh keeps it empty
    else:
        shutil.copytree(music, target)
    env = dict(os.environ)
    venv = _cached_venv()
    if venv is not None:
        env["SUPYSONIC_VENV"] = str(venv)
    done = subprocess.run(
        [str(START), str(root)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"start.sh failed ({done.returncode}): {done.stderr[-2000:]}"
        )
    return Supysonic(root, int(done.stdout.strip().splitlines()[-1]))


_shared: Supysonic | None = None


def shared_server(sample: SampleSummary) -> Supysonic:
    """The session's supysonic with the sample library's music (started once)."""
    global _shared
    if _shared is None:
        root = Path(tempfile.mkdtemp(prefix="medialake-supysonic-"))
        _shared = start_server(root, sample.root / "Music")
        atexit.register(stop_shared)
    return _shared


def stop_shared() -> None:
    """Stop the shared server and delete its folder (safe to call twice)."""
    global _shared
    if _shared is not None:
        _shared.stop()
        shutil.rmtree(_shared.root, ignore_errors=True)
        _shared = None
