"""Every Prefect global concurrency and rate limit medialake uses, from settings, made
by one function.

The limits live on the Prefect server, so they hold across processes and machines:

- ``medialake-download-<source>``: transfers of a download source at once
  (``[downloads] concurrency`` / ``default_concurrency``);
- ``medialake-download-<source>-rate``: a rate limit (one slot that decays in
  ``min_interval_s``) spacing the source's requests, for each source with
  ``[downloads] min_interval_s``;
- ``medialake-rip``: one disc or image rip at a time;
- ``medialake-ffmpeg``: transcodes at once (``[transcode] max_parallel``).

:func:`ensure_limits` creates missing limits and sets existing ones back to the
settings (size, decay, active); it is idempotent and runs at ``medialake up`` (as
``python -m tasks.limits``) and at the start of every flow that takes a limit. The
settings own the limits: a size changed in the Prefect UI lasts until the next run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tasks.errors import TaskError

if TYPE_CHECKING:
    from uuid import UUID

    import httpx
    from prefect.client.orchestration import SyncPrefectClient

    from medialake.settings import Settings

log = logging.getLogger(__name__)

FFMPEG_LIMIT = "medialake-ffmpeg"
RIP_LIMIT = "medialake-rip"


def download_limit(source: str) -> str:
    """The concurrency limit of a download source's transfers."""
    return f"medialake-download-{source}"


def download_rate_limit(source: str) -> str:
    """The rate limit spacing a download source's requests."""
    return f"medialake-download-{source}-rate"


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit as the settings want it (``decay`` > 0 makes it a rate limit)."""

    name: str
    limit: int
    decay: float = 0.0


def wanted_limits(current: Settings) -> list[Limit]:
    """The limits the settings ask for, in a stable order."""
    downloads = current.downloads
    found = [Limit(download_limit(s), downloads.limit(s)) for s in downloads.sources]
    for source, interval in sorted(downloads.min_interval_s.items()):
        if interval > 0:
            found.append(Limit(download_rate_limit(source), 1, 1.0 / interval))
    found.append(Limit(RIP_LIMIT, 1))
    found.append(Limit(FFMPEG_LIMIT, current.transcode.max_parallel))
    return found


def ensure_limits(current: Settings | None = None) -> dict[str, int]:
    """Create or update every limit from the settings; return name -> size.

    Safe to run from several processes at once: a limit another process created
    first is read back and updated instead.
    """
    from prefect.client.orchestration import get_client

    if current is None:
        from medialake.runtime import settings

        current = settings()
    wanted = wanted_limits(current)
    with get_client(sync_client=True) as client:
        existing = _existing(client)
        for limit in wanted:
            _apply(client, limit, existing.get(limit.name))
    return {limit.name: limit.limit for limit in wanted}


def _existing(client: SyncPrefectClient) -> dict[str, tuple[int, float, bool]]:
    """Every limit on the server: name -> (size, decay, active)."""
    found: dict[str, tuple[int, float, bool]] = {}
    page = 200
    while True:
        batch = client.read_global_concurrency_limits(limit=page, offset=len(found))
        for limit in batch:
            found[limit.name] = (limit.limit, limit.slot_decay_per_second, limit.active)
        if len(batch) < page:
            return found


def _apply(
    client: SyncPrefectClient, limit: Limit, have: tuple[int, float, bool] | None
) -> None:
    from prefect.client.schemas.actions import (
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
    )
    from prefect.exceptions import ObjectAlreadyExists

    if have == (limit.limit, limit.decay, True):
        return
    if have is None:
        try:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(
                    name=limit.name, limit=limit.limit,
                    slot_decay_per_second=limit.decay, active=True,
                )
            )  # fmt: skip
            return
        except ObjectAlreadyExists:  # another process was first: update it
            pass
    client.update_global_concurrency_limit(
        limit.name,
        GlobalConcurrencyLimitUpdate(
            limit=limit.limit, slot_decay_per_second=limit.decay, active=True
        ),
    )


class MissingLimit(TaskError):
    """A limit the settings ask for is not on the Prefect server."""


class Leases:
    """Slots of Prefect global concurrency limits, taken with a lease, through one
    Prefect client kept by this process (see :func:`leases`).

    What ``prefect.concurrency.sync.concurrency`` does per slot (a queue service
    on Prefect's event loop thread, a new client and a renewal thread that renews
    at once, a new client for the release, two events) cost about 0.1 s of CPU per
    slot; here a slot is one request to take it and one to give it back on a kept
    HTTP connection. One thread renews every held lease every quarter of its
    duration, so a transfer shorter than that is never renewed; a process that dies
    stops renewing and its slots come free when their lease runs out. Taking and
    giving back emit no Prefect events.
    """

    def __init__(self, lease_s: float) -> None:
        from prefect.client.orchestration import get_client

        self.lease_s = lease_s
        self.client = get_client(sync_client=True)
        self.client.__enter__()
        self._held: dict[UUID, str] = {}
        self._lock = threading.Lock()
        self._renewer: threading.Thread | None = None

    def take(self, name: str, timeout_s: float | None) -> UUID:
        """One slot of the limit ``name``; waits as the server's ``Retry-After``
        says.

        Raises:
            TimeoutError: no slot came free within ``timeout_s``.
            MissingLimit: there is no such limit (strict: never run unlimited).
        """
        from uuid import UUID

        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        answer = self._ask(
            self.client.increment_concurrency_slots_with_lease,
            name, deadline, mode="concurrency", lease_duration=self.lease_s,
        )  # fmt: skip
        body = answer.json()
        if not body.get("limits"):
            raise MissingLimit(_missing(name))
        lease = UUID(str(body["lease_id"]))
        with self._lock:
            self._held[lease] = name
            if self._renewer is None:
                self._renewer = threading.Thread(
                    target=self._renew, name="medialake-lease-renewal", daemon=True
                )
                self._renewer.start()
        return lease

    def give_back(self, lease: UUID) -> None:
        """Free the slot now (if this fails, the lease runs out by itself)."""
        with self._lock:
            self._held.pop(lease, None)
        try:
            self.client.release_concurrency_slots_with_lease(lease)
        except Exception as exc:
            log.warning("slot not given back (it frees when its lease ends): %s", exc)

    def token(self, name: str) -> None:
        """Wait for a token of the rate limit ``name``."""
        call = self.client.increment_concurrency_slots
        answer = self._ask(call, name, None, mode="rate_limit")
        if not answer.json():
            raise MissingLimit(_missing(name))

    def _ask(
        self, call: Any, name: str, deadline: float | None, **kwargs: Any
    ) -> httpx.Response:
        """``call`` for one slot of ``name`` until the server grants it."""
        import httpx

        while True:
            try:
                return call(names=[name], slots=1, **kwargs)
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 423:  # 423: all taken, try later
                    raise
                wait = float(exc.response.headers.get("Retry-After") or 1.0)
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no free slot of {name}")
                wait = min(wait, left)
            time.sleep(wait)

    def _renew(self) -> None:
        while True:
            time.sleep(self.lease_s / 4)
            with self._lock:
                held = list(self._held.items())
            for lease, name in held:
                try:
                    self.client.renew_concurrency_lease(lease, self.lease_s)
                except Exception as exc:
                    log.warning("the lease of a %s slot was not renewed: %s", name, exc)


_leases: dict[tuple[int, str, float], Leases] = {}
_leases_lock = threading.Lock()


def leases(lease_s: float) -> Leases:
    """This process's :class:`Leases` for the Prefect API in use."""
    from prefect.settings import PREFECT_API_URL

    key = (os.getpid(), str(PREFECT_API_URL.value()), lease_s)
    with _leases_lock:
        found = _leases.get(key)
        if found is None:
            found = _leases[key] = Leases(lease_s)
        return found


def _missing(name: str) -> str:
    return (
        f"the Prefect limit {name!r} does not exist; 'medialake up' (or "
        f"'python -m tasks.limits') makes it from the settings"
    )


def main() -> None:
    """``python -m tasks.limits``: make the limits and print them (``medialake up``)."""
    from medialake.runtime import prepare_environment

    prepare_environment()
    for name, size in ensure_limits().items():
        print(f"{name}: {size}")


if __name__ == "__main__":
    main()
