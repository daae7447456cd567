"""A rate limit that holds across threads *and* processes: a lock file and a timestamp.

MusicBrainz allows one request per second per client, and a run may have several
concurrent tasks in several processes (a Prefect worker runs flows in subprocesses). A
caller takes its turn with :meth:`ProcessRateLimiter.turn`: an exclusive ``flock`` on a
file in the data folder, a sleep until ``interval`` has passed since the time written
there, the request itself, and then the time the answer came back is written. Because
the time is taken *after* the answer, the next request leaves at least ``interval``
after the previous one reached the server, whatever the network's delays; waiting
callers queue on the lock.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the limit holds per process only
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class ProcessRateLimiter:
    """One request at a time, ``interval`` seconds apart, machine-wide.

    Args:
        path: the lock-and-timestamp file (shared by every process of an installation).
        interval: minimum seconds between one answer and the next request.
    """

    def __init__(self, path: Path, interval: float) -> None:
        self.path = path
        self.interval = interval
        self._lock = threading.Lock()

    @contextmanager
    def turn(self) -> Iterator[float]:
        """Hold the turn for one request; yields the seconds waited for it."""
        if self.interval <= 0:
            yield 0.0
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    yield self._wait(fd)
                finally:  # a failed request was still a request
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, repr(time.time()).encode(), 0)
            finally:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _wait(self, fd: int) -> float:
        try:
            last = float(os.pread(fd, 64, 0).decode() or 0)
        except ValueError:
            last = 0.0
        delay = min(last + self.interval - time.time(), self.interval)  # clock jumps
        if delay > 0:
            time.sleep(delay)
        return max(delay, 0.0)
