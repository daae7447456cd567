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

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

    from medialake.settings import Settings

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


def main() -> None:
    """``python -m tasks.limits``: make the limits and print them (``medialake up``)."""
    from medialake.runtime import prepare_environment

    prepare_environment()
    for name, size in ensure_limits().items():
        print(f"{name}: {size}")


if __name__ == "__main__":
    main()
