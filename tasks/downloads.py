"""Prefect tasks of acquisition: queue requests, check podcast feeds, download a batch
of wanted items, and ask the media server to rescan after imports.

This is where the download engine (``connectors.downloads``) meets the warehouse and
Prefect: the engine gets ``warehouse.downloads.DownloadStore`` as its job store and
:class:`PrefectGate` as its gate, so each transfer holds a slot of the source's Prefect
global concurrency limit and each search takes a token of its rate limit (both made by
``tasks.limits.ensure_limits``; a missing limit fails loudly instead of silently
running unlimited), both through one kept Prefect client (``tasks.limits.leases``).
The engine retries with its own policy (fallback, then backoff on the wanted list), so
these tasks are not retried by Prefect.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError

from connectors.downloads.base import build_sources
from connectors.downloads.engine import DownloadEngine, Outcome
from connectors.downloads.records import Kind, Request
from connectors.media_servers.base import Unsupported
from medialake import progress
from medialake.runtime import settings
from tasks.context import engine as media_servers
from tasks.context import warehouse
from tasks.limits import download_limit, download_rate_limit, leases
from warehouse import acquisition
from warehouse.downloads import DownloadStore

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from connectors.downloads.base import DownloadSource
    from connectors.downloads.podcasts import PodcastSource
    from connectors.downloads.store import JobStore

MAX_WORKERS = 8
LEASE_S = 60.0  # a killed worker's slot comes free after this (Prefect's least)


def run_logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """Prefect's run logger inside a run, the module logger outside (``task.fn``)."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


def library_root() -> Path:
    """Where downloads and rips are moved to (the filesystem server's library)."""
    current = settings()
    return current.downloads.library_root or current.library_root


def staging_root() -> Path:
    """Where downloads are written until they are verified."""
    current = settings()
    path = current.downloads.staging_dir
    if path is None:
        return current.home / "staging"
    return path if path.is_absolute() else current.home / path


class PrefectGate:
    """The engine's gate on Prefect's global limits (they hold across processes and
    machines): a slot of ``medialake-download-<source>`` around each transfer, a token
    of ``medialake-download-<source>-rate`` before each search of a source that has a
    ``min_interval_s``. Both go through this process's one Prefect client
    (:func:`tasks.limits.leases`): two requests per transfer."""

    def __init__(self, min_interval_s: dict[str, float]) -> None:
        self.paced = {source for source, s in min_interval_s.items() if s > 0}

    @contextlib.contextmanager
    def slot(self, source: str, timeout_s: float) -> Iterator[None]:
        """One slot of the source's limit (strict: a missing limit fails); its lease
        is renewed while held and runs out :data:`LEASE_S` after a crash."""
        held = leases(LEASE_S)
        lease = held.take(download_limit(source), timeout_s)
        try:
            yield
        finally:
            held.give_back(lease)

    def pace(self, source: str) -> None:
        """Wait for a token of the source's rate limit (none without an interval)."""
        if source in self.paced:
            leases(LEASE_S).token(download_rate_limit(source))


def build_engine(
    store: JobStore | None = None, *, flow_run_id: str | None = None
) -> DownloadEngine:
    """The engine over the configured sources, keeping its state in the warehouse and
    taking its slots and request spacing from Prefect."""
    current = settings()
    return DownloadEngine(
        build_sources(current.downloads),
        store or DownloadStore(warehouse(), flow_run_id),
        current.downloads,
        library_root=library_root(),
        staging_root=staging_root(),
        gate=PrefectGate(current.downloads.min_interval_s),
        on_progress=progress.report,
    )


def parse_request(spec: dict[str, Any]) -> Request:
    """A request from a flow parameter: ``{"text": URL or query, "kind": ..., ...}``."""
    fields = {k: v for k, v in spec.items() if k not in ("text", "kind") and v}
    kind = Kind(spec["kind"]) if spec.get("kind") else None
    return Request.parse(str(spec.get("text") or ""), kind, **fields)


@task(name="acquire-submit", cache_policy=NO_CACHE)
def submit_requests(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add requests to the wanted list; the same request twice is one item."""
    engine = build_engine()
    added = []
    for spec in specs:
        wanted_id, status, created = engine.submit(parse_request(spec))
        added.append({"wanted_id": wanted_id, "status": status, "new": created})
    return added


@task(name="acquire-due", cache_policy=NO_CACHE)
def due_items(limit: int, ids: list[str] | None = None) -> list[str]:
    """Wanted items whose retry time has come (or the given ones, if still wanted)."""
    return DownloadStore(warehouse()).due_wanted(limit, ids)


@task(name="acquire-download-batch", cache_policy=NO_CACHE)
def download_batch(wanted_ids: list[str], force: bool = False) -> list[dict[str, Any]]:
    """Run a batch of wanted items concurrently; per-source limits hold inside."""
    from prefect.runtime import flow_run

    engine = build_engine(flow_run_id=flow_run.id)
    workers = min(MAX_WORKERS, max(1, len(wanted_ids)))

    def run(wanted_id: str) -> Outcome:
        try:
            return engine.run(wanted_id, force)
        except Exception as exc:  # recorded on the job; the batch goes on
            return Outcome(wanted_id, "error", f"{type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(workers, thread_name_prefix="download") as pool:
        outcomes = list(pool.map(run, wanted_ids))
    for source in engine.sources:
        source.close()
    log = run_logger()
    for outcome in outcomes:
        log.info("%s: %s %s", outcome.wanted_id, outcome.status, outcome.reason or "")
    return [{**asdict(outcome), "path": _text(outcome.path)} for outcome in outcomes]


def _text(path: Path | None) -> str | None:
    return str(path) if path else None


def scan_answer() -> str:
    """Ask the active media server to rescan its library; say what it answered.

    A server kind that cannot scan (a plain folder) answers ``Unsupported``: the
    files are in place and the next library sync reads them.
    """
    try:
        answer = media_servers().call("trigger_library_scan")
    except Exception as exc:  # the import is done either way; record why not scanned
        return f"scan request failed: {exc}"
    if isinstance(answer, Unsupported):
        return f"{answer}; the next library sync picks the files up"
    return "scan requested" if answer else "the server refused the scan"


@task(name="acquire-trigger-scan", cache_policy=NO_CACHE)
def trigger_scan(job_ids: list[str]) -> str:
    """Ask the active media server to rescan after imports; record its answer."""
    result = scan_answer()
    DownloadStore(warehouse()).set_scan_result(job_ids, result)
    run_logger().info("library scan: %s", result)
    return result


@task(name="acquire-check-feeds", cache_policy=NO_CACHE)
def check_feeds(feed_urls: list[str] | None = None, keep_latest: int = 5) -> int:
    """Subscribe to ``feed_urls`` (if any), then queue new episodes of every feed."""
    wh = warehouse()
    with wh.write() as con:
        for url in feed_urls or []:
            acquisition.subscribe(con, url, keep_latest)
    with wh.read() as con:
        feeds = acquisition.subscriptions(con)
    source = _podcast_source(build_sources(settings().downloads))
    engine = build_engine()
    queued = 0
    for feed in feeds:
        queued += _check_feed(engine, source, feed)
    return queued


def _podcast_source(sources: list[DownloadSource]) -> PodcastSource:
    from connectors.downloads.podcasts import PodcastSource

    for source in sources:
        if isinstance(source, PodcastSource):
            return source
    return PodcastSource(settings().downloads)


def _check_feed(
    engine: DownloadEngine, source: PodcastSource, feed: dict[str, Any]
) -> int:
    url = feed["feed_url"]
    try:
        parsed = source.episodes(url)
    except Exception as exc:  # one broken feed must not stop the others
        with warehouse().write() as con:
            acquisition.record_feed_check(con, url, None, None, 0, str(exc))
        return 0
    newest = feed["newest_published"]
    episodes = [
        e for e in parsed.episodes if not newest or (e.published or "") > newest
    ]
    if not newest:
        episodes = episodes[: feed["keep_latest"]]
    created = 0
    for episode in episodes:
        request = Request(
            kind=Kind.EPISODE, query=episode.title, title=episode.title,
            album=parsed.title, feed_url=url, episode_guid=episode.key,
            published=episode.published, duration_s=episode.duration_s,
            source=source.name,
        )  # fmt: skip
        created += engine.submit(request)[2]
    top = max((e.published or "" for e in episodes), default=None) or None
    with warehouse().write() as con:
        acquisition.record_feed_check(con, url, parsed.title, top, created, None)
    return created
