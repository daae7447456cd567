"""Shared mode on a real PostgreSQL server: a PostgreSQL catalog and a data folder that
several processes ("machines") share, the advisory write lock, writers killed in the
middle of their transactions, and a server restarted under a process that holds the
warehouse."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.lake import holding
from tests.pg import PostgresServer
from warehouse.db import Warehouse, WarehouseBusy, close_all
from warehouse.migrate import migrate, migrations

# Every script gets the lake's URL, data folder and extension folder, then its own args.
PRELUDE = """
import sys
from pathlib import Path
from warehouse.db import Warehouse
url, data, extensions = sys.argv[1:4]
args = sys.argv[4:]
wh = Warehouse(url, lock_timeout_s=60, data_path=Path(data),
               extension_dir=Path(extensions))
"""

# Another machine: its own HOME and extension folder; only the URL and data are shared.
OTHER_MACHINE = (
    PRELUDE
    + """
with wh.read() as con:
    print(con.execute("SELECT server_id FROM servers ORDER BY 1").fetchall())
with wh.write() as con:
    con.execute("INSERT INTO servers (server_id, kind) VALUES ('there', 'plex')")
print("written", flush=True)
"""
)

HOLD_WRITE = (
    PRELUDE
    + """
import time
with wh.write() as con:
    con.execute("INSERT INTO servers (server_id, kind) VALUES ('held', 'filesystem')")
    print("holding", flush=True)
    time.sleep(float(args[0]))
"""
)

RACER = (
    PRELUDE
    + """
import polars as pl
from warehouse.upsert import merge_frame
for batch in range(int(args[0])):
    keys = [f"t{(batch * 7 + i) % 50}" for i in range(20)]
    frame = pl.DataFrame({"server_id": ["s"] * 20, "native_id": keys,
                          "title": [f"{args[1]}-{batch}"] * 20})
    with wh.write() as con:
        merge_frame(con, "tracks", frame)
print("done", flush=True)
"""
)

# Waits for its go file, then writes batches: each upserts keys that other writers'
# batches share plus one key of its own, the evidence that the batch was committed.
# "begin N" is printed under the lock, "commit N" once the batch is committed.
WRITER = (
    PRELUDE
    + """
import os, time
import polars as pl
from warehouse.upsert import merge_frame
name, batches, go = args[0], int(args[1]), Path(args[2])
with wh.read() as con:  # attached before the first transaction
    con.execute("SELECT count(*) FROM tracks").fetchall()
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
for batch in range(batches):
    keys = [f"t{(batch * 7 + i) % 30}" for i in range(10)] + [f"{name}-{batch}"]
    frame = pl.DataFrame({"server_id": ["s"] * 11, "native_id": keys,
                          "title": [f"{name}-{batch}"] * 11})
    with wh.write() as con:
        print("begin", batch, flush=True)
        merge_frame(con, "tracks", frame)
    print("commit", batch, flush=True)
print("done", flush=True)
"""
)

# One long-lived warehouse in one process; the test restarts the server at each step.
SURVIVOR = (
    PRELUDE
    + """
import duckdb
from warehouse.db import WarehouseError

def step(name):
    print(name, flush=True)
    sys.stdin.readline()

def insert(server_id):
    with wh.write() as con:
        con.execute("INSERT INTO servers (server_id, kind) VALUES (?, 'plex')",
                    [server_id])

def ids():
    with wh.read() as con:
        rows = con.execute("SELECT server_id FROM servers ORDER BY 1").fetchall()
    return [r[0] for r in rows]

insert("a")
print(ids(), flush=True)
step("restart")  # between transactions
insert("b")
print(ids(), flush=True)
try:  # a read open across a restart
    with wh.read() as con:
        con.execute("SELECT count(*) FROM servers").fetchall()
        step("restart")
        con.execute("SELECT * FROM servers").fetchall()
    print("read survived", flush=True)
except duckdb.Error:
    print("read failed", flush=True)
print(ids(), flush=True)
try:  # a write that had used the lake before the restart
    with wh.write() as con:
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('x', 'plex')")
        step("restart")
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('y', 'plex')")
    print("write committed", flush=True)
except (duckdb.Error, WarehouseError):
    print("write failed", flush=True)
try:  # a write that holds the lock but has not used the lake yet
    with wh.write() as con:
        step("restart")
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('z', 'plex')")
    print("write committed", flush=True)
except (duckdb.Error, WarehouseError) as exc:
    print("write failed:", str(exc).splitlines()[0], flush=True)
insert("c")
print(ids(), flush=True)
with wh.write() as con:  # the write lock, taken again after the restarts
    con.execute("INSERT INTO servers (server_id, kind) VALUES ('d', 'plex')")
    step("holding")
print(ids(), flush=True)
"""
)

# Starting Python, Polars and DuckDB costs seconds of CPU per process, so the writers
# that race or get killed are forked from one process that imported them already.
# Each child prints into its own file, its PID first.
FORKER = """
import json, os, signal, sys, traceback
import duckdb, numpy, pandas, polars, psycopg, pyarrow  # what the writers use
import warehouse.db, warehouse.upsert
def reap(*_):
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
signal.signal(signal.SIGCHLD, reap)
print("ready", flush=True)
for line in sys.stdin:
    out, script, *args = json.loads(line)
    if os.fork() == 0:
        os.dup2(os.open(out, os.O_WRONLY | os.O_APPEND), 1)
        sys.argv = ["writer", *args]
        print(os.getpid(), flush=True)
        try:
            exec(compile(script, "<writer>", "exec"), {"__name__": "__main__"})
        except BaseException:
            traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
        os._exit(0)
"""


class Child:
    """A forked writer: its PID and what it printed."""

    def __init__(self, out: Path, pid: int) -> None:
        self.out = out
        self.pid = pid

    def lines(self) -> list[str]:
        return self.out.read_text().splitlines()[1:]

    def wait_for(self, line: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while line not in (lines := self.lines()):
            assert "Traceback (most recent call last):" not in lines, "\n".join(lines)
            assert time.monotonic() < deadline, f"no {line!r} in {lines}"
            time.sleep(0.005)

    def kill(self) -> None:
        """SIGKILL, then wait until the process is gone."""
        os.kill(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{self.pid}").exists():
            assert time.monotonic() < deadline, f"PID {self.pid} outlived SIGKILL"
            time.sleep(0.002)


class Forker:
    """One warmed-up Python process that forks writers on demand."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.children: list[Child] = []
        self.process = subprocess.Popen(
            [sys.executable, "-c", FORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline() == "ready\n"

    def fork(self, script: str, wh: Warehouse, *args: str) -> Child:
        out = self.folder / f"child-{len(self.children) + 1}.out"
        out.touch()
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps([str(out), script, *argv(wh), *args]))
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + 30
        while not (text := out.read_text()).endswith("\n"):
            assert time.monotonic() < deadline, "the forker started no child"
            time.sleep(0.002)
        self.children.append(Child(out, int(text.split()[0])))
        return self.children[-1]

    def close(self) -> None:
        """End every child still running (a test that failed), then the forker."""
        for child in self.children:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
        self.process.kill()
        self.process.wait()


def argv(wh: Warehouse) -> list[str]:
    location = wh.location
    return [location.catalog, str(location.data_path), str(location.extension_dir)]


def start(
    script: str, wh: Warehouse, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *argv(wh), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture(scope="module")
def forker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forker]:
    forker = Forker(tmp_path_factory.mktemp("forked"))
    yield forker
    forker.close()


@pytest.fixture(scope="module")
def extensions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This machine's extension folder, shared by the tests (installing costs 2 s)."""
    return tmp_path_factory.mktemp("extensions")


@pytest.fixture(scope="module")
def migrated(
    postgres_server: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
    extensions: Path,
) -> Warehouse:
    """A shared warehouse migrated once, the template of each test's warehouse."""
    template = Warehouse(
        postgres_server.database(),
        data_path=tmp_path_factory.mktemp("template") / "lake",
        extension_dir=extensions,
    )
    assert migrate(template) == [v for v, _, _ in migrations()]
    close_all()  # a template database may have no session open
    return template


@pytest.fixture
def wh(
    postgres_server: PostgresServer, migrated: Warehouse, tmp_path: Path
) -> Iterator[Warehouse]:
    """A fresh, migrated shared warehouse: a copy of the template's catalog and data."""
    data = tmp_path / "lake"
    shutil.copytree(migrated.location.data_path, data)
    warehouse = Warehouse(
        postgres_server.database(template=migrated.location.catalog),
        lock_timeout_s=10,
        data_path=data,
        extension_dir=migrated.location.extension_dir,
    )
    yield warehouse
    close_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_wh(
    request: pytest.FixtureRequest, empty_lake: Path, tmp_path: Path
) -> Iterator[Warehouse]:
    """A fresh, migrated warehouse on each catalog: the embedded SQLite one (a copy of
    the session's empty lake) and the shared PostgreSQL one."""
    if request.param == "postgresql":
        yield request.getfixturevalue("wh")
        return
    from tests.lake import catalog, copy_lake

    copy_lake(empty_lake, tmp_path / "home")
    yield Warehouse(catalog(tmp_path / "home"), lock_timeout_s=10)
    close_all()


def query(wh: Warehouse, sql: str) -> list[tuple[object, ...]]:
    with wh.read() as con:
        return con.execute(sql).fetchall()


def servers(wh: Warehouse) -> list[str]:
    return [str(r[0]) for r in query(wh, "SELECT server_id FROM servers ORDER BY 1")]


def duplicates(wh: Warehouse) -> list[tuple[object, ...]]:
    return query(
        wh,
        "SELECT server_id, native_id, count(*) FROM tracks GROUP BY ALL"
        " HAVING count(*) > 1",
    )


def test_a_shared_warehouse_keeps_its_catalog_in_postgresql(wh: Warehouse) -> None:
    assert wh.location.shared
    assert migrate(wh) == []
    with wh.write() as con:
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('here', 'plex')")
    assert servers(wh) == ["here"]
    with psycopg.connect(wh.location.catalog) as pg:
        tables = pg.execute("SELECT table_name FROM ducklake_table").fetchall()
        [(snapshots,)] = pg.execute("SELECT count(*) FROM ducklake_snapshot")
    assert ("servers",) in tables
    assert snapshots > 1


def test_another_machine_writes_and_this_one_sees_it(
    wh: Warehouse, tmp_path: Path
) -> None:
    with wh.write() as con:
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('here', 'plex')")
    assert servers(wh) == ["here"]  # this process now holds the lake attached
    home = tmp_path / "other"
    other = Warehouse(
        wh.location.catalog,
        data_path=wh.location.data_path,
        extension_dir=home / "extensions",
    )
    machine = start(OTHER_MACHINE, other, env={**os.environ, "HOME": str(home)})
    out, _ = machine.communicate(timeout=60)
    assert machine.returncode == 0
    assert out.splitlines() == ["[('here',)]", "written"]
    assert servers(wh) == ["here", "there"]
    assert list((home / "extensions").rglob("*.duckdb_extension"))


def test_a_lock_held_too_long_names_the_process_that_holds_it(wh: Warehouse) -> None:
    impatient = Warehouse(
        wh.location.catalog,
        lock_timeout_s=0.5,
        data_path=wh.location.data_path,
        extension_dir=wh.location.extension_dir,
    )
    with holding(HOLD_WRITE, *argv(wh), "30", kill=True) as holder:
        with pytest.raises(WarehouseBusy, match=rf"PID {holder.pid}\b.*127\.0\.0\.1"):
            with impatient.write():
                pass
        started = time.monotonic()
        assert servers(wh) == []  # readers never wait for a writer
        assert time.monotonic() - started < 2
    with impatient.write() as con:  # a killed writer's session and lock are gone
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('a', 'plex')")
    assert servers(wh) == ["a"]  # and so is its uncommitted row


def test_racing_writers_never_leave_a_duplicate_key(
    any_wh: Warehouse, forker: Forker
) -> None:
    wh = any_wh
    racers = [forker.fork(RACER, wh, "10", name) for name in ("a", "b", "c")]
    for racer in racers:
        racer.wait_for("done")
    assert query(wh, "SELECT count(*) FROM tracks") == [(50,)]
    assert duplicates(wh) == []


def test_writers_killed_mid_transaction_lose_no_commit_and_leave_no_duplicate(
    any_wh: Warehouse, forker: Forker, tmp_path: Path
) -> None:
    wh = any_wh
    kills = 20
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    committed: set[str] = set()
    in_transaction = 0

    def fork(n: int) -> tuple[Child, Path]:
        go = tmp_path / f"go-{n}"
        batches = 1000 if n < kills else 5  # the last one is not killed
        return forker.fork(WRITER, wh, f"w{n}", str(batches), str(go)), go

    # While one writer writes, the next two attach (in parallel: it saves time).
    writers = [fork(0), fork(1)]
    writers[0][1].touch()
    for n in range(kills):
        if n + 2 <= kills:
            writers.append(fork(n + 2))
        current, (following, following_go) = writers[n][0], writers[n + 1]
        # Killed at a random point after one of its first transactions began, while
        # the next writer races it for the lock.
        current.wait_for(f"begin {rng.randrange(3)}")
        following.wait_for("ready")
        following_go.touch()
        time.sleep(rng.uniform(0.0, 0.15))
        current.kill()
        lines = current.lines()
        assert "done" not in lines
        committed |= {f"w{n}-{line.split()[1]}" for line in lines if "commit" in line}
        in_transaction += lines[-1].startswith("begin")
    current = writers[kills][0]
    current.wait_for("done")
    assert [line for line in current.lines() if "commit" in line] == [
        f"commit {batch}" for batch in range(5)
    ]
    committed |= {f"w{kills}-{batch}" for batch in range(5)}

    present = {str(r[0]) for r in query(wh, "SELECT native_id FROM tracks")}
    lost = committed - present
    assert not lost, f"committed batches lost (seed {seed}): {sorted(lost)}"
    assert duplicates(wh) == [], f"seed {seed}"
    # Most kills landed inside a transaction (after its "begin", before "commit").
    assert in_transaction >= kills // 2, f"seed {seed}"


def test_a_restarted_server_fails_at_most_the_running_transaction(
    wh: Warehouse, postgres_server: PostgresServer
) -> None:
    assert servers(wh) == []  # this process, too, holds the lake across the restarts
    survivor = start(SURVIVOR, wh)
    stdin, stdout = survivor.stdin, survivor.stdout
    assert stdin is not None
    assert stdout is not None

    def line() -> str:
        return stdout.readline().strip()

    def go_on() -> None:
        stdin.write("\n")
        stdin.flush()

    def restart() -> str:
        assert line() == "restart"
        postgres_server.restart()
        go_on()
        return line()

    try:
        assert line() == "['a']"
        assert restart() == "['a', 'b']"  # the next transaction simply works
        assert restart() == "read failed"  # the read running during the restart
        assert line() == "['a', 'b']"  # and the process lives on
        assert restart() == "write failed"  # the write running during the restart
        # A writer whose lock went with the server must not commit: another writer
        # may have taken the lock meanwhile.
        assert restart().startswith("write failed: the warehouse's write lock was lost")
        assert line() == "['a', 'b', 'c']"
        assert line() == "holding"
        impatient = Warehouse(
            wh.location.catalog,
            lock_timeout_s=0.5,
            data_path=wh.location.data_path,
            extension_dir=wh.location.extension_dir,
        )
        with pytest.raises(WarehouseBusy, match=rf"PID {survivor.pid}\b"):
            with impatient.write():
                pass
        go_on()
        assert line() == "['a', 'b', 'c', 'd']"
        assert survivor.wait(30) == 0
    finally:
        survivor.kill()
        survivor.wait()
    with wh.write() as con:
        con.execute("INSERT INTO servers (server_id, kind) VALUES ('e', 'plex')")
    assert servers(wh) == ["a", "b", "c", "d", "e"]
