"""A real PostgreSQL server for the tests of shared mode (a PostgreSQL catalog).

One server per test session, in a temporary folder, listening on 127.0.0.1 on a free
port with password authentication. Each test asks for a fresh database
(``server.database()``, or call the server) and may stop and start the server again.
As root, the server runs as the ``postgres`` user that Debian's package creates (the
server refuses to run as root). The binaries come from ``/usr/lib/postgresql/*/bin``
(Debian keeps them off ``PATH``) or ``PATH``; the fixture skips, naming what to install,
when there are none.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

USER = "medialake"
PASSWORD = "lake-pw"  # a throwaway server on 127.0.0.1


def bin_dir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: the newest Debian version, or PATH."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: _version(p.parent.name),
    )
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def _unprivileged_user() -> pwd.struct_passwd:
    """Who runs the server when the tests run as root: the ``postgres`` user that
    Debian's package creates, or ``nobody``."""
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root, and there is no postgres or nobody user")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in ``root``; ``database()`` makes a fresh database."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.host = "127.0.0.1"
        self._names = itertools.count(1)
        self.owner: pwd.struct_passwd | None = None
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self.owner = _unprivileged_user()
            os.chown(root, self.owner.pw_uid, self.owner.pw_gid)
            self._as = ["runuser", "-u", self.owner.pw_name, "--"]

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [*self._as, str(self.bindir / tool), *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{tool} {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}{tail}"
            )

    def init(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if self.owner is not None:
            os.chown(pwfile, self.owner.pw_uid, self.owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            USER,
            f"--pwfile={pwfile}",
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )

    def start(self) -> None:
        """Start the server (again), on the same port, and wait until it answers."""
        options = " ".join(
            [
                f"-h {self.host}",
                f"-p {self.port}",
                f"-k {self.root}",
                "-c max_connections=300",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )
        self._run(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``fast`` ends every session, as a restart does."""
        self._run("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.data))

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{USER}:{PASSWORD}@{self.host}:{self.port}/{dbname}"

    def database(self, template: str | None = None) -> str:
        """A new database, empty or a copy of the database at URL ``template``; its
        ``postgresql://`` URL."""
        import psycopg

        name = f"lake_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            if template is None:
                con.execute(f'CREATE DATABASE "{name}"')
            else:
                source = template.rsplit("/", 1)[1]
                # A template may have no other session: end the ones left over.
                con.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [source],
                )
                con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return self.url(name)

    __call__ = database

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the duration of the block; skips when there is none."""
    bindir = bin_dir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL is not installed (initdb and pg_ctl are neither in "
            "/usr/lib/postgresql/*/bin nor on PATH): run 'make setup-tests' or "
            "'apt-get install postgresql'"
        )
    # Under /tmp itself: the postgres user cannot enter pytest's root-only folders.
    server = PostgresServer(bindir, Path(tempfile.mkdtemp(prefix="medialake-pg-")))
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session: call it for a fresh database's
    URL; ``stop()``, ``start()`` and ``restart()`` it to test lost connections."""
    with running_server() as server:
        yield server
