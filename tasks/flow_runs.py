"""Every flow run gets its row in ``flow_runs``, whatever ends it.

:func:`recorded_run` wraps a flow's function (under ``@flow``): the run is recorded
``running`` before its body runs, and ``succeeded`` or ``failed`` with a readable
reason when it ends, whatever raised (a task's exception, a server's 500, a bad
parameter). When the warehouse refuses the row (its write lock held past
``lock_timeout_s``, or it cannot be opened) the final row goes to the spool beside it
(:mod:`warehouse.spool`), and the next process that reaches the warehouse records it.
A process killed mid-run leaves its row ``running``; the next run on the same machine
finds that process gone and closes the row ``failed`` ("interrupted: ...").

One mechanism for every flow; the flows' own tables (``sync_runs``,
``enrichment_runs``, ``transcode_jobs``, ...) keep the details of what a run did.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import os
import socket
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import psutil

from tasks.context import flow_run_id, logger, warehouse
from warehouse import flow_runs, spool
from warehouse.current import build
from warehouse.db import QueryTimeout, Warehouse, WarehouseError

if TYPE_CHECKING:
    from collections.abc import Callable

P = ParamSpec("P")
R = TypeVar("R")
PARAMS_MAX = 2000  # characters of the parameters kept on the row
# The longest a run waits for the write lock to record its start or its end: a run the
# warehouse refuses is not kept waiting twice more; a refused end goes to the spool.
WAIT_S = 5.0


def recorded_run(fn: Callable[P, R]) -> Callable[P, R]:
    """Record every run of the flow function ``fn`` in ``flow_runs``."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = signature.bind_partial(*args, **kwargs)
        record = _Run(_flow_name(fn), _params(bound.arguments))
        record.begin()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            record.end("failed", exc)
            raise
        record.end("succeeded")
        return result

    return run


def reason(exc: BaseException) -> str:
    """A failure's reason as a person reads it: what refused or raised, and why."""
    if _refused(exc):
        cause = exc.__context__
        text = f"{cause}; then {exc}" if cause and str(cause) != str(exc) else f"{exc}"
        return f"the warehouse refused the run: {text}"
    text = str(exc).strip()
    if not isinstance(exc, Exception):  # SIGTERM, Ctrl-C: the run was stopped
        return f"stopped: {type(exc).__name__}{': ' + text if text else ''}"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Run:
    """One run's row: recorded at the start, closed at the end (written whole when
    its start was refused), spooled when the warehouse refuses it."""

    def __init__(self, flow: str, params: str | None) -> None:
        self.run_id = uuid.uuid4().hex
        self.flow = flow
        self.params = params
        self.flow_run_id = flow_run_id()
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.started_at = datetime.now(UTC)
        self.started = False  # its ``running`` row is written

    def begin(self) -> None:
        """Record the run ``running``, close the rows of runs on this machine whose
        process is gone, and record runs spooled earlier. Never raises: a warehouse
        that refuses (waited on for at most :data:`WAIT_S`) is the body's to meet;
        the end records the run whole."""
        try:
            wh = _impatient()
            with wh.write() as con:
                gone = [
                    (run_id, pid)
                    for run_id, pid, started in flow_runs.running_on(con, self.host)
                    if not _alive(pid, started)
                ]
                flow_runs.close_interrupted(con, gone, self.host)
                flow_runs.start(
                    con,
                    self.run_id,
                    self.flow,
                    self.params,
                    flow_run_id=self.flow_run_id,
                    host=self.host,
                    pid=self.pid,
                    started_at=self.started_at,
                )
            self.started = True
        except WarehouseError as exc:
            logger().warning(
                "%s: run %s not recorded yet: %s", self.flow, self.run_id, exc
            )
        except Exception as exc:  # bookkeeping must not stop the run
            logger().error("%s: run %s not recorded: %s", self.flow, self.run_id, exc)
        else:
            if gone:
                logger().warning(
                    "%d earlier run(s) on this machine were interrupted", len(gone)
                )
            try:
                spool.replay(wh)  # runs refused earlier, while the warehouse answers
            except WarehouseError as exc:
                logger().warning("failed runs stay spooled for now: %s", exc)

    def end(self, status: str, exc: BaseException | None = None) -> None:
        """Merge the run's final row; when the warehouse refuses it, or refused the run
        itself, spool it. Never raises: the run's own outcome (its result or its
        exception) is what the caller gets."""
        error = reason(exc) if exc is not None else None
        row = flow_runs.final_row(
            self.run_id,
            self.flow,
            self.params,
            status,
            error,
            flow_run_id=self.flow_run_id,
            host=self.host,
            pid=self.pid,
            started_at=self.started_at,
        )
        if _refused(exc):  # refused just now: do not wait again
            self._spool(row)
            return
        try:
            with _impatient().write() as con:
                if self.started:
                    flow_runs.finish(con, row)
                else:  # its start was refused: the whole row
                    flow_runs.merge_rows(con, [row])
        except WarehouseError as refused:
            if error is None:
                row["error"] = f"recorded late: {reason(refused)}"
            self._spool(row)
        except Exception as failure:
            logger().error(
                "%s: run %s not recorded: %s", self.flow, self.run_id, failure
            )

    def _spool(self, row: dict[str, Any]) -> None:
        try:
            spool.spool_row(build().location, "flow_runs", row)
        except Exception as exc:  # a data folder that cannot be written at all
            logger().error("%s: run %s lost: %s (%s)", self.flow, self.run_id, exc, row)
            return
        logger().error(
            "%s: run %s (%s) was spooled until the warehouse takes it: %s",
            self.flow,
            self.run_id,
            row["status"],
            row["error"],
        )


def _impatient() -> Warehouse:
    """This process's warehouse, waiting at most :data:`WAIT_S` for the write lock."""
    wh = copy.copy(warehouse())
    wh.lock_timeout_s = min(wh.lock_timeout_s, WAIT_S)
    return wh


def _refused(exc: BaseException | None) -> bool:
    """Whether the warehouse refused the run (busy, or not reachable), as opposed to
    a query of the run that it stopped."""
    return isinstance(exc, WarehouseError) and not isinstance(exc, QueryTimeout)


def _flow_name(fn: Callable[..., object]) -> str:
    """The Prefect flow's name inside a run, else the function's, dashed."""
    from prefect.runtime import flow_run

    name = flow_run.flow_name
    return str(name) if name else fn.__name__.replace("_", "-")


def _params(arguments: dict[str, object]) -> str | None:
    if not arguments:
        return None
    text = json.dumps(arguments, default=str, sort_keys=True)
    return text if len(text) <= PARAMS_MAX else text[: PARAMS_MAX - 3] + "..."


def _alive(pid: int | None, started_at: datetime) -> bool:
    """Whether the process that recorded a run is still that run's process (a pid
    reused by a process started after the run is not)."""
    if pid is None:
        return True  # cannot tell: leave the row
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        created = process.create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # access denied: it exists, nothing more is known
        return True
    return created <= started_at.timestamp() + 1.0
