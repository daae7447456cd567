"""The background process of a job started from the dashboard (embedded default).

``python -m jobs.runner JOB_ID ENTRYPOINT PARAMS_JSON`` supervises one flow
run: it starts the flow (``ENTRYPOINT`` as in ``prefect.yaml``, e.g.
``flows/library_sync.py:library_sync``) in a child process, waits, and closes the job
row with the outcome. On SIGTERM (the dashboard's Cancel) it stops the child and
everything the child started (a Prefect server for that run only included; the shared
background server is not the child's and stays), marks the job
``cancelled`` and the sync runs it left ``running`` as ``cancelled``.

``python -m jobs.runner --run ENTRYPOINT PARAMS_JSON`` is that child.
"""

from __future__ import annotations

import importlib
import json
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobs.base import CANCEL_REASON, close_cancelled, stop_tree
from medialake.runtime import connect_prefect, prepare_environment
from warehouse import flow_runs
from warehouse.current import warehouse
from warehouse.queries import jobs

if TYPE_CHECKING:
    from types import FrameType

    import duckdb


def run_flow(entrypoint: str, params: dict[str, Any]) -> None:
    """Import ``path/to/module.py:function`` (relative to the working folder) and
    call it with ``params``."""
    prepare_environment()
    connect_prefect()
    path, _, name = entrypoint.partition(":")
    module = importlib.import_module(
        Path(path).with_suffix("").as_posix().replace("/", ".")
    )
    getattr(module, name)(**params)


class _Supervisor:
    """Runs the child and remembers whether a cancel arrived."""

    def __init__(self, job_id: str, entrypoint: str, params_json: str) -> None:
        self.job_id = job_id
        self.params: dict[str, Any] = json.loads(params_json)
        self.cancelled = False
        self.started_at = datetime.now(UTC)
        self.child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jobs.runner",
                "--run",
                entrypoint,
                params_json,
            ],
            stdin=subprocess.DEVNULL,
        )

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.cancelled = True
        print(f"jobrunner: signal {signum}: stopping the flow", flush=True)
        stop_tree(self.child.pid)

    def wait(self) -> int:
        while True:
            try:
                return self.child.wait()
            except InterruptedError:  # pragma: no cover - PEP 475 retries for us
                continue


def supervise(job_id: str, entrypoint: str, params_json: str) -> int:
    """Run the job's flow in a child process and record how it ended."""
    prepare_environment()
    wh = warehouse()
    print(f"jobrunner: job {job_id}: {entrypoint} with {params_json}", flush=True)
    supervisor = _Supervisor(job_id, entrypoint, params_json)
    signal.signal(signal.SIGTERM, supervisor.on_signal)
    signal.signal(signal.SIGINT, supervisor.on_signal)
    code = supervisor.wait()
    stop_tree(supervisor.child.pid, grace_s=1.0)  # whatever the flow left behind
    with wh.write() as con:
        job = jobs.get_job(con, job_id)
        _close_flow_runs(con, supervisor, code)
        if supervisor.cancelled:
            closing = job or {"job_id": job_id, "params": supervisor.params}
            close_cancelled(con, closing, CANCEL_REASON, exit_code=code)
        elif code == 0:
            jobs.finish_job(con, job_id, "succeeded", exit_code=0)
        else:
            reason = _last_error(job.get("log_path") if job else None)
            jobs.finish_job(
                con,
                job_id,
                "failed",
                exit_code=code,
                error=reason or (f"the flow exited with {code}"),
            )
    print(f"jobrunner: job {job_id} ended (exit code {code})", flush=True)
    return 0


def _close_flow_runs(
    con: duckdb.DuckDBPyConnection, supervisor: _Supervisor, code: int
) -> None:
    """The flow runs of the child that it could not close (stopped or killed):
    ``cancelled`` after a Cancel, else ``failed``."""
    pid = supervisor.child.pid
    error = (
        CANCEL_REASON
        if supervisor.cancelled
        else f"interrupted: the flow's process (PID {pid}) ended with exit code {code}"
    )
    flow_runs.close_process(
        con,
        socket.gethostname(),
        pid,
        supervisor.started_at,
        error,
        cancelled=supervisor.cancelled,
    )


def _last_error(log_path: str | None) -> str | None:
    """The last line of the log that names an error (a traceback's last line)."""
    if not log_path or not Path(log_path).exists():
        return None
    lines = Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines()
    for line in reversed(lines):
        text = line.strip()
        if (
            text
            and not text.startswith("jobrunner:")
            and ("Error" in text or "Failed" in text)
        ):
            return text[:500]
    return None


def main(argv: list[str] | None = None) -> int:
    """Command-line entry (see the module docstring)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "--run":
        run_flow(args[1], json.loads(args[2]))
        return 0
    if len(args) == 3:
        return supervise(*args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
