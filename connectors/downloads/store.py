"""The job store the engine keeps its state in: an interface, implemented elsewhere.

Connectors do not import DuckDB, so the engine depends on this protocol and the task
layer injects the warehouse's implementation (``warehouse.downloads.DownloadStore``),
which satisfies it structurally. Every method is one short transaction there, so the
state holds across processes. Slots and rate limits are not here: they are the
engine's gate (``connectors.downloads.gate``).

Rows cross this boundary as plain dicts and tuples (the warehouse does not import
connectors, so it cannot build connector records).
"""

from __future__ import annotations

from typing import Any, Protocol


class JobStore(Protocol):
    """Where wanted items, download jobs and the blocklist live."""

    def add_wanted(
        self, request_key: str, row: dict[str, Any]
    ) -> tuple[str, str, bool]:
        """Add a wanted item (or find the one with this key): (id, status, created)."""
        ...

    def claim(
        self,
        wanted_id: str,
        stale_after_s: float,
        force: bool = False,
        tolerance_s: float = 5.0,
    ) -> dict[str, Any]:
        """Check and start a wanted item in one transaction.

        Returns ``{"row": the item or None, "duplicate": why or None, "job_id": the
        new job (state queued) or None, "blocked": the blocklist as (source, key)
        pairs}``. An item whose request is already satisfied
        (an earlier import, or a library track/episode found by id, else by normalized
        artist/title/duration) is marked duplicate. An item is claimable when wanted
        and due (``force``: even before its retry time); one another process works on
        is claimable only when its job has been silent for ``stale_after_s`` (that
        process died): the old job is failed as interrupted.
        """
        ...

    def find_existing(self, row: dict[str, Any], tolerance_s: float) -> str | None:
        """What already satisfies this request (library item or earlier import)."""
        ...

    def mark_duplicate(self, wanted_id: str, job_id: str | None, reason: str) -> None:
        """Record that the item is already there (and end its job, if any)."""
        ...

    def update_job(self, job_id: str, state: str | None = None, **fields: Any) -> bool:
        """Change a job's state/fields; False when the job was cancelled meanwhile."""
        ...

    def progress(self, job_id: str, done: int, total: int | None) -> bool:
        """Store progress (and the job's heartbeat); False when it was cancelled."""
        ...

    def finish(
        self,
        job_id: str,
        state: str,
        wanted_status: str,
        reason: str | None,
        retry_in_s: float | None = None,
        *,
        wanted_id: str,
        **fields: Any,
    ) -> None:
        """End a job and set its wanted item's (``wanted_id``) status (and next
        attempt time)."""
        ...

    def cancelled(self, job_id: str) -> bool:
        """Whether the job was cancelled meanwhile (a read, no write)."""
        ...

    def finish_article(self, job_id: str, row: dict[str, Any], **fields: Any) -> None:
        """Record an imported article (merged on its URL) and end its job as imported,
        in one transaction."""
        ...

    def blocklist(self, source: str) -> set[str]:
        """Candidate keys of ``source`` that must never be picked."""
        ...

    def add_to_blocklist(self, source: str, key: str, reason: str) -> None:
        """Never pick this candidate again."""
        ...

    def cancel(self, wanted_id: str) -> bool:
        """Cancel the item and its running job; it stays cancelled."""
        ...
