"""The DownloadEngine: job state, limits, retries, fallback, quality and import.

The engine owns everything a source plugin does not: the job's states (searching,
downloading, imported, failed, cancelled; a wanted item without a running job is
queued; verification runs while the job still says downloading) kept in an injected
:class:`~connectors.downloads.store.JobStore` (the warehouse), per-source concurrency
slots and request spacing asked of an injected :class:`~connectors.downloads.gate.Gate`
(Prefect's global limits in flows, an in-process
:class:`~connectors.downloads.gate.LocalGate` otherwise), the fallback chain over
sources for search and for download, the quality filter and dedup of results, the
duplicate check against the library, verification, tagging, naming and the atomic move
into the library.

Retry policy, in one place: inside one run, a failing candidate falls back to the next
candidate and then to the next source; a run that ends without a file leaves the item
wanted with an exponential backoff (``retry_base_s`` doubling up to ``retry_max_s``)
until ``max_attempts``, then the item is failed. A file that fails verification
blocklists its candidate. A cancelled item stays cancelled.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.downloads.gate import LocalGate
from connectors.downloads.importer import (
    naming_fields,
    place,
    render_name,
    tag_file,
)
from connectors.downloads.quality import QualityPrefs, choose
from connectors.downloads.records import Kind, Request
from connectors.downloads.verify import VerificationFailed, probe, verify_file
from connectors.errors import ConnectorError, NotFound

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path

    from connectors.downloads.base import DownloadSource
    from connectors.downloads.gate import Gate
    from connectors.downloads.records import Candidate, Fetched
    from connectors.downloads.store import JobStore
    from connectors.downloads.verify import Probe
    from medialake.settings import DownloadsSettings

log = logging.getLogger(__name__)
TRIES_PER_SOURCE = 3


class Cancelled(Exception):
    """The user cancelled the job while it ran."""


@dataclass(slots=True)
class Outcome:
    """How one run of a wanted item ended.

    ``status``: imported, duplicate, wanted (will be retried), failed (gave up),
    cancelled, or skipped (not due, already running or cancelled); the task layer
    adds ``error`` for an unexpected fault (also recorded on the job).
    """

    wanted_id: str
    status: str
    reason: str | None = None
    job_id: str | None = None
    source: str | None = None
    path: Path | None = None


@dataclass(slots=True)
class _Job:
    engine: DownloadEngine
    job_id: str
    wanted_id: str
    request: Request
    attempts: int
    blocked: set[tuple[str, str]]
    last_write: float = 0.0

    def blocked_for(self, source: str) -> set[str]:
        """Keys ``source`` must not pick: its own, and every blocked URL."""
        return {
            key
            for name, key in self.blocked
            if name == source or key.startswith(("http://", "https://"))
        }

    def progress(self, done: int, total: int | None) -> None:
        """Report progress; store it at most every heartbeat; raise if cancelled."""
        engine = self.engine
        if engine.on_progress:
            engine.on_progress(self.label, done, total or 0)
        now = time.monotonic()
        if now - self.last_write < engine.heartbeat_s:
            return
        self.last_write = now
        if not engine.store.progress(self.job_id, done, total):
            raise Cancelled(self.wanted_id)

    @property
    def label(self) -> str:
        return self.request.title or self.request.text or self.request.url or "download"


class DownloadEngine:
    """Runs wanted items through the source chain into the library.

    Args:
        sources: the fallback chain, in order.
        store: where the state lives (the warehouse's ``DownloadStore``).
        settings: the ``[downloads]`` settings.
        library_root: the filesystem library files are moved into.
        staging_root: where downloads are written until verified.
        gate: per-source slots and request spacing (the task layer passes Prefect's
            global limits); by default a :class:`LocalGate`, which holds only inside
            this process.
        on_progress: ``(label, done, total)`` for a progress bar in this process.
        lease_s: a job silent for this long is considered dead by other processes.
        heartbeat_s: the least time between two progress writes of a job.
    """

    def __init__(
        self,
        sources: Sequence[DownloadSource],
        store: JobStore,
        settings: DownloadsSettings,
        *,
        library_root: Path,
        staging_root: Path,
        gate: Gate | None = None,
        on_progress: Callable[[str, int, int], None] | None = None,
        lease_s: float = 120.0,
        heartbeat_s: float = 1.0,
    ) -> None:
        self.sources = list(sources)
        self.store = store
        self.settings = settings
        self.prefs = QualityPrefs.from_settings(settings)
        self.library_root = library_root
        self.staging_root = staging_root
        self.gate: Gate = gate or LocalGate(settings)
        self.on_progress = on_progress
        self.lease_s = lease_s
        self.heartbeat_s = heartbeat_s

    # -- what callers use ------------------------------------------------------------
    def submit(self, request: Request) -> tuple[str, str, bool]:
        """Add ``request`` to the wanted list: (wanted id, its status, newly added)."""
        return self.store.add_wanted(request.key(), request.as_row())

    def cancel(self, wanted_id: str) -> bool:
        """Cancel a wanted item (and its running job); it stays cancelled."""
        return self.store.cancel(wanted_id)

    def run(self, wanted_id: str, force: bool = False) -> Outcome:
        """Try to acquire one wanted item now (``force`` ignores its backoff)."""
        tolerance = self.settings.duration_tolerance_s
        claim = self.store.claim(wanted_id, self.lease_s, force, tolerance)
        row = claim["row"]
        if row is None:
            raise KeyError(f"no wanted item {wanted_id!r}")
        if claim["duplicate"]:
            return Outcome(wanted_id, "duplicate", claim["duplicate"])
        job_id = claim["job_id"]
        if job_id is None:
            return Outcome(wanted_id, "skipped", f"not due (status {row['status']})")
        request = Request.from_row(row)
        job = _Job(
            self, job_id, wanted_id, request, row["attempts"] + 1, claim["blocked"]
        )
        try:
            return self._acquire(job)
        except Cancelled:
            shutil.rmtree(self.staging_root / wanted_id, ignore_errors=True)
            return Outcome(wanted_id, "cancelled", "cancelled by the user", job_id)
        except Exception as exc:
            self._retry_later(job, f"internal error: {type(exc).__name__}: {exc}")
            raise

    # -- the run ---------------------------------------------------------------------
    def _acquire(self, job: _Job) -> Outcome:
        reasons: list[str] = []  # the claim started the job searching
        for source in self._chain(job.request, reasons):
            try:
                candidates = self._search(source, job)
            except ConnectorError as exc:
                reasons.append(f"{source.name}: {exc.detail}")
                continue
            if not candidates:
                reasons.append(f"{source.name}: nothing acceptable found")
                continue
            for candidate in candidates[:TRIES_PER_SOURCE]:
                duplicate = self._duplicate(job, _meta(candidate), source.name)
                if duplicate:
                    return duplicate
                try:
                    return self._download(job, source, candidate)
                except VerificationFailed as exc:
                    why = f"failed verification: {exc}"
                    self.store.add_to_blocklist(source.name, candidate.key, why)
                    job.blocked.add((source.name, candidate.key))
                    reasons.append(f"{source.name}: {candidate.title}: {why}")
                except (ConnectorError, OSError) as exc:
                    reasons.append(f"{source.name}: {candidate.title}: {_why(exc)}")
                self._state(job, "searching")
        return self._retry_later(job, "; ".join(reasons) or "no source can serve it")

    def _chain(self, request: Request, reasons: list[str]) -> list[DownloadSource]:
        chain = []
        for source in self.sources:
            if request.source and source.name != request.source:
                continue
            if not source.accepts(request):
                continue
            if source.is_configured():
                chain.append(source)
            elif request.source:
                reasons.append(f"{source.name}: not configured")
        if not chain and not reasons:
            reasons.append(f"no enabled, configured source serves a {request.kind}")
        return chain

    def _search(self, source: DownloadSource, job: _Job) -> list[Candidate]:
        self.gate.pace(source.name)
        try:
            found = source.search_raw(job.request)
        except NotFound:
            if job.request.url:  # the address itself is not there: say so (404)
                raise
            return []
        return choose(found, job.request, self.prefs, job.blocked_for(source.name))

    def _duplicate(
        self, job: _Job, meta: dict[str, Any], source: str | None
    ) -> Outcome | None:
        """For a request by URL only: is what the source or the file says already
        there? (A request with a title was checked before its job started.)"""
        if job.request.title or not (meta.get("title") and meta.get("artist")):
            return None  # checked with the request, or too little to tell
        row = {"kind": str(job.request.kind), **meta}
        existing = self.store.find_existing(row, self.settings.duration_tolerance_s)
        if not existing:
            return None
        reason = f"already in the library: {existing}"
        self.store.mark_duplicate(job.wanted_id, job.job_id, reason)
        return Outcome(job.wanted_id, "duplicate", reason, job.job_id, source)

    def _download(
        self, job: _Job, source: DownloadSource, candidate: Candidate
    ) -> Outcome:
        staging = self.staging_root / job.wanted_id
        staging.mkdir(parents=True, exist_ok=True)
        with self._slot(source.name, job, candidate):
            try:
                fetched = source.download_raw(candidate, staging, job.progress)
            except Cancelled:
                source.cancel_raw(candidate)
                raise
        if fetched.path is None:
            return self._record_source_import(job, source, candidate, fetched)
        if job.request.kind is Kind.ARTICLE:
            return self._import_article(job, candidate, fetched)
        return self._import(job, candidate, fetched)

    def _import_article(
        self, job: _Job, source: Candidate, fetched: Fetched
    ) -> Outcome:
        """An article: placed and recorded by ``articles.import_and_record``."""
        from connectors.downloads.articles import import_and_record

        if self.store.cancelled(job.job_id):
            raise Cancelled(job.wanted_id)
        template = self.settings.article_template
        final = import_and_record(
            self.store, job.job_id, fetched, self.library_root, template
        )
        shutil.rmtree(self.staging_root / job.wanted_id, ignore_errors=True)
        return Outcome(
            job.wanted_id, "imported", None, job.job_id, source.source, final
        )

    def _import(self, job: _Job, candidate: Candidate, fetched: Fetched) -> Outcome:
        assert fetched.path is not None
        try:
            info = verify_file(
                fetched.path,
                announced_size=fetched.announced_size,
                expected_duration_s=job.request.duration_s or candidate.duration_s,
                tolerance_s=self.settings.duration_tolerance_s,
            )
        except VerificationFailed:
            fetched.path.unlink(missing_ok=True)
            raise
        audio_only = info.has_audio and not info.has_video
        fields = naming_fields(job.request, candidate, fetched, audio_only)
        meta = {**fields, "duration_s": info.duration_s}
        duplicate = self._duplicate(job, meta, candidate.source)
        if duplicate:
            shutil.rmtree(self.staging_root / job.wanted_id, ignore_errors=True)
            return duplicate
        if audio_only:
            tag_file(fetched.path, fields)
        if self.store.cancelled(job.job_id):  # the last look before the library
            raise Cancelled(job.wanted_id)
        template = self._template(job.request.kind, info)
        relative = render_name(template, fields, fetched.path.suffix or info.container)
        final = place(fetched.path, self.library_root, relative)
        self._finish_imported(job, candidate.source, final, info, fields)
        shutil.rmtree(self.staging_root / job.wanted_id, ignore_errors=True)
        return Outcome(
            job.wanted_id, "imported", None, job.job_id, candidate.source, final
        )

    def _record_source_import(
        self, job: _Job, source: DownloadSource, candidate: Candidate, fetched: Fetched
    ) -> Outcome:
        """A source that imports itself (Lidarr): probe what is visible, record it."""
        visible = [p for p in fetched.imported_paths if p.exists()]
        for path in visible:
            probe(path)  # raises VerificationFailed for a file that does not play
        folder = visible[0].parent if visible else None
        fields = naming_fields(job.request, candidate, fetched)
        reason = (
            None if visible else f"imported by {source.name}; files not visible here"
        )
        self.store.finish(
            job.job_id, "imported", "imported", reason, wanted_id=job.wanted_id,
            final_path=str(folder) if folder else None,
            artist=fields["artist"], title=fields["title"],
        )  # fmt: skip
        return Outcome(
            job.wanted_id, "imported", reason, job.job_id, source.name, folder
        )

    def _finish_imported(
        self, job: _Job, source: str, final: Path, info: Probe, fields: dict[str, Any]
    ) -> None:
        self.store.finish(
            job.job_id, "imported", "imported", None, wanted_id=job.wanted_id,
            final_path=str(final), size=info.size, duration_s=info.duration_s,
            container=info.container, artist=fields["artist"], title=fields["title"],
            bytes_done=info.size, progress=1.0,
        )  # fmt: skip
        log.info("imported %s from %s", final.name, source)

    def _retry_later(self, job: _Job, reason: str) -> Outcome:
        settings = self.settings
        if job.attempts >= settings.max_attempts:
            why = f"gave up after {job.attempts} attempts: {reason}"
            self.store.finish(
                job.job_id, "failed", "failed", why, wanted_id=job.wanted_id
            )
            return Outcome(job.wanted_id, "failed", why, job.job_id)
        delay = min(
            settings.retry_base_s * 2 ** (job.attempts - 1), settings.retry_max_s
        )
        self.store.finish(
            job.job_id, "failed", "wanted", reason, delay, wanted_id=job.wanted_id
        )
        return Outcome(job.wanted_id, "wanted", reason, job.job_id)

    # -- helpers ---------------------------------------------------------------------
    def _state(self, job: _Job, state: str | None = None, **fields: Any) -> None:
        if not self.store.update_job(job.job_id, state, **fields):
            raise Cancelled(job.wanted_id)

    def _template(self, kind: Kind, info: Probe) -> str:
        if kind is Kind.EPISODE:
            return self.settings.podcast_template
        if kind in (Kind.TRACK, Kind.ALBUM) or not info.has_video:
            return self.settings.music_template
        return self.settings.video_template

    @contextlib.contextmanager
    def _slot(self, source: str, job: _Job, candidate: Candidate) -> Iterator[None]:
        """Hold one of the source's slots from the gate; the job is downloading
        inside. Verification follows without a state write of its own (one
        transaction less per job): the job stays ``downloading`` until it is
        imported or fails, and a cancel is looked for before the file is placed."""
        with self._held(source, job):
            if not self.store.update_job(
                job.job_id, "downloading", source=source,
                candidate_key=candidate.key, candidate_title=candidate.title[:500],
                bytes_total=candidate.size, started_at=datetime.now(UTC),
            ):  # fmt: skip
                raise Cancelled(job.wanted_id)
            job.last_write = time.monotonic()
            yield

    def _held(self, source: str, job: _Job) -> contextlib.ExitStack:
        """Wait for a slot in steps, renewing the job's heartbeat between them (so
        it does not look dead to other processes while it waits) and noticing a
        cancel; the returned stack holds the slot until it closes."""
        step = max(1.0, min(30.0, self.lease_s / 4))
        while True:
            stack = contextlib.ExitStack()
            try:
                stack.enter_context(self.gate.slot(source, step))
            except TimeoutError:
                self._state(job, source=source)
                continue
            return stack


def _meta(candidate: Candidate) -> dict[str, Any]:
    return {
        "artist": candidate.artist,
        "title": candidate.title,
        "album": candidate.album,
        "duration_s": candidate.duration_s,
    }


def _why(exc: BaseException) -> str:
    if isinstance(exc, ConnectorError):
        return exc.detail
    return f"{type(exc).__name__}: {exc}"
