"""Acquisition flows: ``acquire`` (downloads and the wanted-list retries), ``rip`` (one
disc or image) and ``watch-rips`` (the watcher: drives and the watch folder).

Each flow first makes every Prefect limit match the settings
(``tasks.limits.ensure_limits``: per-source transfer slots and request rates, the rip
limit; the transfers take them strictly). ``acquire`` then queues the requests it was
given, optionally checks the podcast subscriptions, then runs the requested items at
once and the wanted items whose retry time has come, in batches. After imports it asks
the active media server to rescan, once per run. Scheduled in ``prefect.yaml``: the
wanted-list retry and the podcast check every 30 minutes, the rip watcher every 5
minutes.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks import audiocd
from tasks import downloads as d
from tasks import rips as r
from tasks.flow_runs import recorded_run
from tasks.limits import RIP_LIMIT, ensure_limits
from tasks.notify import notify_done, on_flow_failure
from tasks.report import publish

BATCH = 50


@flow(name="acquire", log_prints=True, on_failure=[on_flow_failure])
@recorded_run
def acquire(
    requests: list[dict[str, Any]] | None = None,
    retry_wanted: bool = True,
    check_feeds: bool = False,
    subscribe: list[str] | None = None,
    limit: int = 200,
) -> dict[str, Any]:
    """Queue ``requests``, then download them and the due wanted items.

    Args:
        requests: ``{"text": URL or "Artist - Title", "kind": "track"|"album"|
            "episode"|"video"|"file", "source": ..., "artist"/"title"/"album": ...}``.
        retry_wanted: also run wanted items whose retry time has come.
        check_feeds: check podcast subscriptions for new episodes first.
        subscribe: podcast feed URLs to subscribe to (implies ``check_feeds``).
        limit: at most this many due wanted items per run.

    Returns:
        The submitted items and one outcome per item run (status, reason, path).
    """
    ensure_limits()
    submitted = d.submit_requests(requests) if requests else []
    queued = d.check_feeds(subscribe) if (check_feeds or subscribe) else 0
    requested = list(dict.fromkeys(item["wanted_id"] for item in submitted))
    due = [w for w in d.due_items(limit) if w not in requested] if retry_wanted else []
    outcomes: list[dict[str, Any]] = []
    if requested:
        outcomes += d.download_batch(requested, force=True)
    for start in range(0, len(due), BATCH):
        outcomes += d.download_batch(due[start : start + BATCH])
    imported = [o["job_id"] for o in outcomes if o["status"] == "imported"]
    scan = d.trigger_scan(imported) if imported else None
    done = [o for o in outcomes if o["status"] == "imported"]
    notify_done("downloaded", done, "downloads finished")
    publish(
        "acquire",
        f"downloads: {len(done)} imported of {len(outcomes)}",
        outcomes,
        ("wanted_id", "status", "source", "path", "reason"),
    )
    return {
        "submitted": submitted,
        "episodes_queued": queued,
        "outcomes": outcomes,
        "scan": scan,
    }


@flow(name="rip", log_prints=True, on_failure=[on_flow_failure])
@recorded_run
def rip(
    source: str,
    title: str | None = None,
    year: int | None = None,
    title_index: int | None = None,
) -> dict[str, Any]:
    """Rip ``source`` (drive, ISO, VIDEO_TS/BDMV folder or video file) into the library.

    The main feature is picked unless ``title_index`` names the title; the film is
    named ``Title (Year)`` from ``title``/``year`` or from the source's name.
    """
    ensure_limits()
    queued = r.queue_rip(source, title, year, title_index)
    if not queued["new"] and queued["state"] != "queued":
        return {**queued, "skipped": True}
    result = _rip_queued([queued["rip_id"]])[0]
    return {**queued, **result}


@flow(name="watch-rips", log_prints=True, on_failure=[on_flow_failure])
@recorded_run
def watch_rips() -> list[dict[str, Any]]:
    """Queue new discs and images the watcher sees, then rip everything queued;
    audio CDs (and CUE images) go to the audio CD rip."""
    ensure_limits()
    return _rip_queued(r.watch_sources()) + _rip_audio_cds(audiocd.watch_audio_cds())


def _rip_audio_cds(sources: list[str]) -> list[dict[str, Any]]:
    """Rip each audio CD the watcher saw, one at a time under the rip limit."""
    from prefect.concurrency.sync import concurrency

    from connectors.rips.audiocd import DiscError

    results = []
    for source in sources:
        with concurrency(RIP_LIMIT, occupy=1, strict=True):
            try:
                results.append(audiocd.rip_audio_cd(source))
            except DiscError as exc:  # one unreadable disc must not stop the others
                results.append({"state": "failed", "path": source, "reason": str(exc)})
    return [r for r in results if r["state"] != "skipped"]


def _rip_queued(rip_ids: list[str]) -> list[dict[str, Any]]:
    """Rip one at a time (HandBrake uses every core), under the strict rip limit."""
    from prefect.concurrency.sync import concurrency

    results = []
    for rip_id in rip_ids:
        with concurrency(RIP_LIMIT, occupy=1, strict=True):
            results.append(r.rip_one(rip_id))
    done = [x for x in results if x.get("state") == "imported"]
    notify_done("ripped", done, "rips finished")
    imported = [x["rip_id"] for x in done]
    if imported:
        r.trigger_scan(imported)
    return results
