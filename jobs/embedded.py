"""The embedded default backend: each job runs in a detached background process.

:func:`start` launches ``python -m jobs.runner`` (:mod:`jobs.runner`), which runs the
deployment's entrypoint in a child process and closes the job with the outcome; its
output goes to ``<data folder>/logs/jobs/<job id>.log``. A cancel sends SIGTERM to that
runner (it stops its flow and closes the job), and kills the process group if the
runner does not close the job in time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import psutil

from jobs.base import CANCEL_REASON, Started, close_cancelled, project_dir
from medialake.runtime import settings
from warehouse.queries import jobs

if TYPE_CHECKING:
    from jobs.base import FlowSpec
    from warehouse.db import Warehouse

CANCEL_WAIT_S = 15.0
_children: dict[str, subprocess.Popen[bytes]] = {}


class EmbeddedBackend:
    """Jobs as background processes on this machine."""

    name = "embedded"

    def start(
        self,
        wh: Warehouse,
        spec: FlowSpec,
        params: dict[str, Any],
        retry_of: str | None,
        requested_by: str = "dashboard",
    ) -> Started:
        """Record the job, then start its runner in a new session."""
        job_id = jobs.new_job_id()
        log_path = settings().home / "logs" / "jobs" / f"{job_id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with wh.write() as con:
            jobs.record_job(
                con,
                job_id,
                spec.name,
                params,
                self.name,
                host=socket.gethostname(),
                log_path=str(log_path),
                retry_of=retry_of,
                requested_by=requested_by,
            )
        command = [
            sys.executable,
            "-m",
            "jobs.runner",
            job_id,
            spec.entrypoint,
            json.dumps(params),
        ]
        with log_path.open("ab") as log:
            child = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=project_dir(),
                start_new_session=True,
            )
        _children[job_id] = child
        with wh.write() as con:
            jobs.update_job(con, job_id, pid=child.pid)
        return Started(
            job_id,
            self.name,
            f"started {spec.name} in a background process (pid {child.pid}); "
            f"its output goes to {log_path}",
        )

    def cancel(self, wh: Warehouse, job: dict[str, Any]) -> str:
        """Ask the runner to stop; kill its group if it does not close the job."""
        pid = job.get("pid")
        if pid and _alive(pid) and job.get("host") == socket.gethostname():
            os.kill(pid, signal.SIGTERM)  # the runner stops its flow, closes the job
            waited = _wait_closed(wh, job["job_id"], CANCEL_WAIT_S)
            if waited and _closed(wh, job["job_id"]):
                return f"cancelled job {job['job_id'][:8]}"
            _kill_group(pid)  # (a runner still starting up ends without closing)
        with wh.write() as con:
            close_cancelled(con, job, CANCEL_REASON)
        return f"cancelled job {job['job_id'][:8]}"

    def refresh(self, wh: Warehouse, job: dict[str, Any]) -> None:
        """Close a job whose runner on this machine ended without closing it."""
        if job.get("host") != socket.gethostname() or not job.get("pid"):
            return
        if _alive(job["pid"]):
            return
        with wh.write() as con:
            jobs.finish_job(
                con,
                job["job_id"],
                "failed",
                error="the background process ended without reporting a result",
            )


def reap() -> None:
    """Forget (and reap) the runners this process started that have ended."""
    for job_id, child in list(_children.items()):
        if child.poll() is not None:
            del _children[job_id]


def _wait_closed(wh: Warehouse, job_id: str, timeout_s: float) -> bool:
    child = _children.get(job_id)
    if child is not None:
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        psutil.Process(_job_pid(wh, job_id)).wait(timeout=timeout_s)
    except psutil.TimeoutExpired:
        return False
    except (psutil.NoSuchProcess, ValueError):
        pass
    return True


def _closed(wh: Warehouse, job_id: str) -> bool:
    with wh.read() as con:
        job = jobs.get_job(con, job_id)
    return bool(job and job.get("status") != "running")


def _job_pid(wh: Warehouse, job_id: str) -> int:
    with wh.read() as con:
        job = jobs.get_job(con, job_id)
    if not job or not job.get("pid"):
        raise ValueError(job_id)
    return int(job["pid"])


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
