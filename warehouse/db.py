"""The one way to reach the warehouse: DuckLake, one long-lived attachment per process.

The warehouse is a DuckLake (a catalog database plus Parquet files): a SQLite catalog in
the data folder by default, a PostgreSQL catalog when several machines share it. Every
process keeps one DuckDB instance with the lake attached twice, read-write for writers
and read-only for readers (an ATTACH costs tenths of a second; a transaction then costs
milliseconds). A user's notebook, DBeaver or DuckDB CLI may attach the same lake and
keep it open: it no longer stops anybody.

Writers take the warehouse's write lock before ``BEGIN`` and hold it until ``COMMIT``:
a file lock beside the SQLite catalog, or a PostgreSQL advisory lock when the catalog is
shared, so writers on every process and machine take turns. Two writers therefore never
race on a key (DuckLake has no PRIMARY KEY or UNIQUE: uniqueness holds because every
write is a ``MERGE`` on its key under this lock) and never conflict at commit. A writer
that waits longer than ``lock_timeout_s`` gets :class:`WarehouseBusy`, which names the
process holding the lock. Readers take no lock and never wait for writers.

A lost catalog connection (the PostgreSQL server restarted) fails the transaction that
was running; the next one attaches again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

LAKE = "lake"
LAKE_RO = "lake_ro"
_DISCONNECTED = (
    "connection",
    "server closed",
    "could not connect",
    "terminating",
    "ssl syscall",
    "broken pipe",
    "no connection",
)


class WarehouseError(RuntimeError):
    """Base of the warehouse's errors."""


class WarehouseBusy(WarehouseError):
    """Another writer held the write lock for longer than the lock timeout."""


class WarehouseMissing(WarehouseError):
    """A reader asked for a warehouse that has not been created yet."""


class QueryTimeout(WarehouseError):
    """A query ran longer than its statement timeout and was interrupted."""


def extension_path(name: str) -> Path:
    """The signed extension binary shipped by the ``duckdb-extension-<name>`` wheel."""
    import importlib

    module = importlib.import_module(f"duckdb_extension_{name}")
    base = Path(module.__file__ or "").parent / "extensions" / f"v{duckdb.__version__}"
    return base / f"{name}.duckdb_extension"


def is_shared(catalog: str) -> bool:
    """A PostgreSQL catalog (shared mode) rather than a SQLite file."""
    return catalog.startswith(("postgresql://", "postgres://"))


@dataclass(frozen=True, slots=True)
class Location:
    """Where a lake lives: its catalog (a SQLite file or a PostgreSQL URL), the folder
    of its Parquet files, and this machine's folder of DuckDB extensions."""

    catalog: str
    data_path: Path
    extension_dir: Path

    @classmethod
    def of(
        cls,
        catalog: str | Path,
        data_path: Path | None = None,
        extension_dir: Path | None = None,
    ) -> Location:
        text = str(catalog)
        if is_shared(text):
            if data_path is None:
                raise WarehouseError(
                    "a PostgreSQL catalog needs [warehouse] data_path: a folder every "
                    "machine mounts at the same place"
                )
            data = Path(data_path).absolute()
            return cls(
                text, data, Path(extension_dir or data / "extensions").absolute()
            )
        path = Path(text).absolute()
        data = Path(data_path or path.with_suffix(".files")).absolute()
        return cls(str(path), data, Path(extension_dir or path.parent / "extensions"))

    @property
    def shared(self) -> bool:
        return is_shared(self.catalog)

    def attach_sql(self, alias: str = LAKE, *, read_only: bool = False) -> str:
        """The ``ATTACH`` statement for this lake (also printed for notebooks)."""
        # The data folder is where this machine finds it now (a home folder that
        # moved, a share mounted elsewhere): file paths in the catalog are relative.
        options = [
            f"DATA_PATH {_quote(str(self.data_path) + os.sep)}",
            "OVERRIDE_DATA_PATH true",
        ]
        if self.shared:
            target = f"ducklake:postgres:{_libpq(self.catalog)}"
        else:
            target = f"ducklake:sqlite:{self.catalog}"
            if not read_only:
                options += ["META_JOURNAL_MODE 'WAL'", "META_BUSY_TIMEOUT 10000"]
        if read_only:
            options.insert(0, "READ_ONLY")
        return f"ATTACH {_quote(target)} AS {alias} ({', '.join(options)})"

    def exists(self) -> bool:
        return self.shared or Path(self.catalog).exists()


def attach_script(location: Location) -> str:
    """SQL that attaches the warehouse read-only from the DuckDB CLI, Python or a
    notebook, with the extensions medialake installed (no download needed)."""
    meta = "postgres" if location.shared else "sqlite"
    return "\n".join(
        [
            f"-- medialake warehouse, read-only (DuckDB {duckdb.__version__})",
            f"SET extension_directory = {_quote(str(location.extension_dir))};",
            f"LOAD {meta}; LOAD ducklake;",
            location.attach_sql("medialake", read_only=True) + ";",
            "USE medialake;",
        ]
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _libpq(url: str) -> str:
    """``postgresql://user:pw@host:port/db`` as the key=value string DuckDB's postgres
    extension takes."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    fields = {
        "host": parts.hostname,
        "port": parts.port,
        "dbname": parts.path.lstrip("/") or None,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }
    return " ".join(
        f"{k}={_libpq_value(v)}" for k, v in fields.items() if v is not None
    )


def _libpq_value(value: object) -> str:
    """A value of a libpq key=value string, quoted (a password may hold anything)."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def open_instance(
    location: Location, *, writable: bool = True, sandbox: bool = False
) -> Any:
    """A fresh in-memory DuckDB instance with the lake attached (``USE``d) and the
    extensions loaded from their wheels; nothing is fetched from the network.

    A sandboxed instance (for ad-hoc SQL) is read-only and can reach no file, database
    or network but the lake's own data files.
    """
    location.extension_dir.mkdir(parents=True, exist_ok=True)
    names = ("postgres" if location.shared else "sqlite", "ducklake")
    db = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "extension_directory": str(location.extension_dir),
            # See _load_from_wheels; ad-hoc SQL keeps DuckDB's signature check.
            "allow_unsigned_extensions": not sandbox,
        }
    )
    if sandbox:
        for name in names:
            try:
                db.execute(f"LOAD {name}")
            except duckdb.Error:  # not installed in this folder yet: from the wheel
                db.execute(f"INSTALL {_quote(str(extension_path(name)))}")
                db.execute(f"LOAD {name}")
    else:
        _load_from_wheels(db, location, names)
    if writable:
        location.data_path.mkdir(parents=True, exist_ok=True)
        db.execute(location.attach_sql(LAKE))
    db.execute(location.attach_sql(LAKE_RO, read_only=True))
    db.execute(f"USE {LAKE if writable else LAKE_RO}")
    if sandbox:
        db.execute("SET allowed_directories = ?", [[f"{location.data_path}{os.sep}"]])
        db.execute("SET enable_external_access = false")
        db.execute("SET lock_configuration = true")
    return db


# The name of each extension's entry point; DuckDB takes it from the file's name.
_ENTRY_POINTS = {"sqlite": "sqlite_scanner", "postgres": "postgres_scanner"}


def _load_from_wheels(db: Any, location: Location, names: Sequence[str]) -> None:
    """Load ``names`` straight from the extension wheels of this environment.

    DuckDB checks an extension's signature on every ``LOAD`` (a hash of its 35 MB):
    0.26 CPU-s of each process that opens the warehouse, more than the rest of an
    unchanged sync's warehouse work. These files are the ones uv installed from the
    lock file, whose hashes it checked, in the same environment as medialake's own
    code: the instance loads them by path without the check
    (``allow_unsigned_extensions``, for this instance only; it never runs a user's
    SQL, autoloading stays off, and nothing is loaded from the data folder). A
    copy is installed in the data folder's extension folder once, for the DuckDB
    CLI and notebooks (:func:`attach_script`).
    """
    with tempfile.TemporaryDirectory(prefix="medialake-ext-") as links:
        for name in names:
            entry = _ENTRY_POINTS.get(name, name)
            link = os.path.join(links, f"{entry}.duckdb_extension")
            os.symlink(extension_path(name), link)
            db.execute(f"LOAD {_quote(link)}")
    version = f"v{duckdb.__version__}"
    for name in names:
        entry = _ENTRY_POINTS.get(name, name)
        installed = location.extension_dir.glob(f"{version}/*/{entry}.duckdb_extension")
        if not any(installed):
            db.execute(f"INSTALL {_quote(str(extension_path(name)))}")


class _WriteLock:
    """A cross-process, cross-machine lock of one lake: the write lock (``name`` is
    empty), or a named one (one sync per server)."""

    def __init__(self, location: Location, name: str = "") -> None:
        self.location = location
        self.key = "medialake-warehouse" + (f":{name}" if name else "")
        self.path = Path(
            self.location.catalog + (f".{_safe(name)}" if name else "") + ".lock"
        )
        self._fd: int | None = None
        self._pg: Any = None

    def acquire(self, deadline: float, timeout_s: float) -> None:
        delay = 0.005
        while not self._try():
            if time.monotonic() + delay > deadline:
                raise WarehouseBusy(
                    f"the warehouse is busy: {self._holder()} has been writing for "
                    f"more than {timeout_s:g} s; try again when it is done"
                )
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.05)

    def _try(self) -> bool:
        if self.location.shared:
            return self._try_pg()
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, _whoami().encode(), 0)
        self._fd = fd
        return True

    def _try_pg(self) -> bool:
        import psycopg

        for attempt in range(2):
            try:
                if self._pg is None or self._pg.closed:
                    self._pg = psycopg.connect(
                        self.location.catalog, autocommit=True, connect_timeout=10
                    )
                    self._pg.execute(
                        "SELECT set_config('application_name', %s, false)",
                        [_whoami()[:60]],
                    )
                row = self._pg.execute(
                    "SELECT pg_try_advisory_lock(hashtext(%s))",
                    [self.key],
                ).fetchone()
                return bool(row and row[0])
            except psycopg.OperationalError:
                self._pg = None
                if attempt:
                    raise
        return False

    def confirm(self) -> None:
        """Raise if the lock was lost while held: its PostgreSQL session ended (the
        server restarted), so another writer may have written since this one began."""
        if self._pg is None or not self.location.shared:
            return
        try:
            self._pg.execute("SELECT 1")
        except Exception as exc:
            self._pg = None
            raise WarehouseError(
                "the warehouse's write lock was lost (the PostgreSQL server restarted "
                "or the connection dropped); nothing was written, try again"
            ) from exc

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._pg is not None:
            try:
                self._pg.execute("SELECT pg_advisory_unlock(hashtext(%s))", [self.key])
            except Exception:
                self._pg = None  # the session ended: PostgreSQL released the lock

    def _holder(self) -> str:
        if self.location.shared:
            try:
                row = self._pg.execute(
                    "SELECT a.application_name, a.client_addr FROM pg_locks l"
                    " JOIN pg_stat_activity a USING (pid) WHERE l.locktype ="
                    " 'advisory' AND l.granted AND l.objid::int = hashtext(%s)",
                    [self.key],
                ).fetchone()
            except Exception:
                row = None
            if row:
                return f"{row[0]} (on {row[1] or 'this host'})"
            return "another writer"
        try:
            text = self.path.read_text().strip()
        except OSError:
            text = ""
        return text or "another writer"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _whoami() -> str:
    try:
        cmd = Path("/proc/self/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        cmd = "python"
    name = " ".join(
        Path(part).name if "/" in part else part for part in cmd.split()[:3]
    )
    return f"{name} (PID {os.getpid()})"


class _Engine:
    """One process's DuckDB instances and write lock for one lake."""

    def __init__(self, location: Location) -> None:
        self.location = location
        self.pid = os.getpid()
        # By kind: "main", "sandbox" (ad-hoc SQL), "small" (one thread; see
        # Warehouse.write), each opened when first asked for.
        self.instances: dict[str, Any] = {}
        self.lock = _WriteLock(location)
        self.mutex = threading.RLock()
        self._open = threading.Lock()
        # Idle connections of the instances, by (schema, kind): a new one costs
        # about 10 ms (its USE reads the catalog), a reused one nothing.
        self._idle: dict[tuple[str, str], list[duckdb.DuckDBPyConnection]] = {}

    def checkout(self, schema: str, kind: str = "main") -> duckdb.DuckDBPyConnection:
        """A connection to the ``kind`` instance with ``schema`` in use, idle or new."""
        with self._open:
            idle = self._idle.get((schema, kind))
            if idle:
                return idle.pop()
            db = self.instances.get(kind)
            if db is None:
                db = self.instances[kind] = open_instance(
                    self.location, writable=kind != "sandbox", sandbox=kind == "sandbox"
                )
                if kind == "small":
                    db.execute("SET threads = 1")
            con = db.cursor()
        con.execute(f"USE {schema}")
        return con

    def checkin(
        self, con: duckdb.DuckDBPyConnection, schema: str, kind: str = "main"
    ) -> None:
        """Give back a connection whose transaction has ended."""
        with self._open:
            idle = self._idle.setdefault((schema, kind), [])
            if kind in self.instances and len(idle) < 8:
                idle.append(con)
                return
        con.close()

    def drop(self) -> None:
        """Forget the instances (after a lost catalog connection)."""
        with self._open:
            dbs = list(self.instances.values())
            self.instances.clear()
            self._idle.clear()
        for db in dbs:
            with contextlib.suppress(Exception):
                db.close()


_engines: dict[Location, _Engine] = {}
_engines_lock = threading.Lock()
_local = threading.local()


def _engine(location: Location) -> _Engine:
    with _engines_lock:
        engine = _engines.get(location)
        if engine is None or engine.pid != os.getpid():
            engine = _engines[location] = _Engine(location)
        return engine


def close_all() -> None:
    """Close every lake this process attached (tests; a forked child)."""
    with _engines_lock:
        for engine in _engines.values():
            if engine.pid == os.getpid():
                engine.drop()
        _engines.clear()


class Warehouse:
    """A DuckLake warehouse and its connection policy."""

    def __init__(
        self,
        catalog: str | Path,
        lock_timeout_s: float = 30.0,
        *,
        data_path: Path | None = None,
        extension_dir: Path | None = None,
    ) -> None:
        self.location = Location.of(catalog, data_path, extension_dir)
        self.lock_timeout_s = lock_timeout_s

    def __repr__(self) -> str:
        where = (
            "PostgreSQL" if self.location.shared else Path(self.location.catalog).name
        )
        return f"Warehouse({where!r})"

    @property
    def path(self) -> Path:
        """The SQLite catalog file (embedded mode)."""
        return Path(self.location.catalog)

    @contextmanager
    def write(self, *, small: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """One read-write transaction under the write lock: committed on success,
        rolled back on error. A nested call joins the transaction already open.

        ``small``: for a transaction of a few single-row statements (a job's claim,
        state or finish), on this process's one-thread instance. With DuckLake
        1.5.5 every table scan of an instance with several threads costs tens of
        ms of CPU while its threads wait for the scan's file list (ducklake#1344);
        one thread halves a small transaction. Bulk work keeps every thread.
        """
        open_tx = getattr(_local, "tx", None)
        if open_tx is not None and open_tx[0] == self.location:
            yield open_tx[1]
            return
        engine = _engine(self.location)
        kind = "small" if small else "main"
        deadline = time.monotonic() + self.lock_timeout_s
        if not engine.mutex.acquire(timeout=self.lock_timeout_s):
            raise WarehouseBusy(
                f"the warehouse is busy: another thread of this process has been "
                f"writing for more than {self.lock_timeout_s:g} s"
            )
        try:
            engine.lock.acquire(deadline, self.lock_timeout_s)
            try:
                con = self._connect(engine, LAKE, kind)
                lost = False
                try:
                    con.begin()
                    _local.tx = (self.location, con)
                    try:
                        yield con
                    finally:
                        _local.tx = None
                    engine.lock.confirm()
                    con.commit()
                except BaseException as exc:
                    _rollback(con)
                    lost = _disconnected(exc)
                    raise
                finally:
                    if lost:  # only now: closing an instance with a transaction
                        con.close()  # still open on it aborts the process
                        engine.drop()
                    else:
                        engine.checkin(con, LAKE, kind)
            finally:
                engine.lock.release()
        finally:
            engine.mutex.release()

    @contextmanager
    def exclusive(self, name: str, timeout_s: float = 0.0) -> Iterator[None]:
        """Hold the lake's lock called ``name`` (held by one process of every machine
        at a time, released when the process ends however it ends), for work longer
        than a transaction, such as one server's sync. Raises :class:`WarehouseBusy`,
        naming the holder, when it is still held after ``timeout_s``."""
        lock = _WriteLock(self.location, name)
        try:
            lock.acquire(time.monotonic() + timeout_s, timeout_s)
        except WarehouseBusy as exc:
            raise WarehouseBusy(
                str(exc).replace("has been writing", f"has held {name!r}")
            ) from None
        try:
            yield
        finally:
            lock.release()
            if lock._pg is not None:
                with contextlib.suppress(Exception):
                    lock._pg.close()

    @contextmanager
    def read(
        self,
        timeout_s: float | None = None,
        *,
        sandbox: bool = False,
        small: bool = False,
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection on one consistent snapshot; no lock is taken.

        Args:
            timeout_s: a statement still running after that long is interrupted and
                raises :class:`QueryTimeout`.
            sandbox: for SQL a person typed: an instance that reaches no file,
                database or network beyond the lake.
            small: a read of a few rows, on the one-thread instance (see
                :meth:`write`).
        """
        if not self.location.exists():
            raise WarehouseMissing(
                "there is no warehouse yet: run 'medialake sync' first"
            )
        engine = _engine(self.location)
        kind = "sandbox" if sandbox else "small" if small else "main"
        con = self._connect(engine, LAKE_RO, kind)
        timer = None
        expired = threading.Event()
        if timeout_s:

            def interrupt() -> None:
                expired.set()
                con.interrupt()

            timer = threading.Timer(timeout_s, interrupt)
            timer.daemon = True
            timer.start()
        lost = False
        try:
            con.begin()
            yield con
        except Exception as exc:
            lost = _disconnected(exc)
            if expired.is_set():
                raise QueryTimeout(
                    f"the query ran longer than {timeout_s:g} s and was stopped"
                ) from None
            raise
        finally:
            if timer is not None:
                timer.cancel()
            _rollback(con)
            if lost or expired.is_set():  # after the rollback: see write()
                con.close()
                if lost:
                    engine.drop()
            else:
                engine.checkin(con, LAKE_RO, kind)

    def _connect(
        self, engine: _Engine, schema: str, kind: str = "main"
    ) -> duckdb.DuckDBPyConnection:
        for attempt in range(2):
            try:
                return engine.checkout(schema, kind)
            except duckdb.Error as exc:
                if attempt or not _disconnected(exc):
                    raise
                engine.drop()
        raise AssertionError("unreachable")


def _disconnected(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and any(w in text for w in _DISCONNECTED)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.rollback()
    except duckdb.Error:
        pass  # no transaction open, or it was already aborted by the error raised
