"""Per-source transfer slots and request spacing: the gate the engine asks.

The engine does not keep limits itself. Before each search it asks the gate to
``pace`` the source (its ``min_interval_s``), and around each transfer it holds one of
the source's slots (``concurrency``/``default_concurrency``). Two gates satisfy
:class:`Gate`:

- the Prefect gate (``tasks.downloads.PrefectGate``): Prefect global concurrency and
  rate limits, server-side, so they hold across processes and machines. Flows always
  use it.
- :class:`LocalGate`: threading semaphores and a monotonic clock, shared by every
  engine of this process and by nothing else. It is the engine's default, used only
  where no Prefect API is involved (an engine built directly, as the engine tests and
  ``bench.downloads`` do); it does not hold across processes.

A slot is asked for with a timeout, so a waiting job can renew its heartbeat (and
notice a cancel) between tries instead of looking dead to other processes.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator
    from contextlib import AbstractContextManager

    from medialake.settings import DownloadsSettings


class Gate(Protocol):
    """Slots and request spacing per download source."""

    def slot(self, source: str, timeout_s: float) -> AbstractContextManager[None]:
        """Hold one transfer slot of ``source`` inside the block.

        Raises:
            TimeoutError: no slot came free within ``timeout_s`` (try again).
        """
        ...

    def pace(self, source: str) -> None:
        """Wait until ``source`` may start its next request (no wait without a
        ``min_interval_s``)."""
        ...


_LOCK = threading.Lock()
_SEMAPHORES: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_NEXT_START: dict[tuple[str, float], float] = {}


class LocalGate:
    """Slots and spacing held in this process only (every engine here shares them)."""

    def __init__(self, settings: DownloadsSettings) -> None:
        self.settings = settings

    def _semaphore(self, source: str) -> threading.BoundedSemaphore:
        key = (source, self.settings.limit(source))
        with _LOCK:
            return _SEMAPHORES.setdefault(key, threading.BoundedSemaphore(key[1]))

    @contextlib.contextmanager
    def slot(self, source: str, timeout_s: float) -> Iterator[None]:
        """One of the source's slots, shared with every engine of this process."""
        semaphore = self._semaphore(source)
        if not semaphore.acquire(timeout=timeout_s):
            raise TimeoutError(f"no free download slot of {source}")
        try:
            yield
        finally:
            semaphore.release()

    def pace(self, source: str) -> None:
        """Book the source's next start in this process; sleep until it comes."""
        interval = self.settings.min_interval_s.get(source, 0.0)
        if interval <= 0:
            return
        key = (source, interval)
        with _LOCK:
            now = time.monotonic()
            start = max(now, _NEXT_START.get(key, now))
            _NEXT_START[key] = start + interval
        if start > now:
            time.sleep(start - now)
