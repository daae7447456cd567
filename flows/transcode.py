"""The ``transcode`` flow: an HLS asset for every video without a current one.

It sweeps what killed runs left, finds the sources that need an asset (none yet, or the
file changed since), decides per source (direct play, remux or transcode, recorded with
the reason) in batches, and builds the assets. ffmpeg runs are bounded by the Prefect
global concurrency limit ``medialake-ffmpeg`` (set from ``transcode.max_parallel`` by
``tasks.limits.ensure_limits`` at the start of each run), whichever flow runs or
processes start them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from flows.errors import FlowError
from tasks import transcode as t
from tasks.flow_runs import recorded_run
from tasks.limits import ensure_limits
from tasks.notify import on_flow_failure
from tasks.report import publish

if TYPE_CHECKING:
    from collections.abc import Iterator

    from prefect.futures import PrefectFuture

DECIDE_BATCH = 200


class TranscodeFailed(FlowError):
    """At least one transcode failed (each is recorded in ``transcode_jobs``)."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


@flow(
    name="transcode",
    task_runner=ThreadPoolTaskRunner(max_workers=4),  # type: ignore[arg-type]
    log_prints=True,
    on_failure=[on_flow_failure],
)
@recorded_run
def transcode(
    item: str | None = None, media: str = "video", force: bool = False
) -> dict[str, Any]:
    """Build HLS assets for the sources that need one.

    Args:
        item: only this file or item id, or titles/paths containing this text.
        media: ``video`` (default), ``audio`` (music: audio-only renditions) or ``all``.
        force: rebuild sources that already have a current asset.

    Returns:
        Counts (``sources``, ``missing``, ``unplayable``, ``published``, ``failed``) and
        one entry per job.

    Raises:
        TranscodeFailed: a transcode failed; the others still ran and were recorded.
    """
    if media not in {"video", "audio", "all"}:
        raise ValueError("media must be video, audio or all")
    slots = ensure_limits()[t.FFMPEG_LIMIT]
    t.sweep()
    sources = t.find_sources(item, media, force)
    readable = [s for s in sources if s.abs_path]
    planned: list[t.Planned] = []
    for start in range(0, len(readable), DECIDE_BATCH):
        planned += t.decide_sources(readable[start : start + DECIDE_BATCH])
    if any(p.decision.mode == "ladder" for p in planned):
        t.detect_encoder()  # once, before the first encode: trial encodes take seconds
    jobs = [_outcome(p, future) for p, future in _run_windowed(planned, max(1, slots))]
    failures = [f"{j['title']}: {j['error']}" for j in jobs if j["status"] == "failed"]
    summary = {
        "sources": len(sources),
        "missing": len(sources) - len(readable),
        "unplayable": len(readable) - len(planned),
        "published": len(planned) - len(failures),
        "failed": len(failures),
        "jobs": jobs,
    }
    counts = ", ".join(f"{k} {v}" for k, v in summary.items() if k != "jobs")
    publish(
        "transcode",
        f"transcode ({media}): {counts}",
        jobs,
        ("title", "decision", "status", "error"),
        [f"failed: {text}" for text in failures],
    )
    if failures:
        raise TranscodeFailed("; ".join(failures), summary)
    return summary


def _outcome(p: t.Planned, future: PrefectFuture[dict[str, Any]]) -> dict[str, Any]:
    """One job's line of the summary, from its finished task."""
    if future.state.is_completed():
        return {**future.result(), "status": "succeeded"}
    return {
        "job_id": p.job_id,
        "title": p.source.title,
        "decision": p.decision.action,
        "status": "failed",
        "error": _error_text(future.state),
    }


def _run_windowed(
    planned: list[t.Planned], window: int
) -> Iterator[tuple[t.Planned, PrefectFuture[dict[str, Any]]]]:
    """Submit builds so that at most ``window`` are in flight; yield each when done.

    The global limit bounds ffmpeg across every flow and process; the window keeps this
    flow's own queued builds from polling Prefect for a slot they cannot get yet.
    """
    queue = list(planned)
    running: dict[PrefectFuture[dict[str, Any]], t.Planned] = {}
    while queue or running:
        while queue and len(running) < window:
            p = queue.pop(0)
            running[t.transcode_source.submit(p)] = p
        oldest = next(iter(running))
        oldest.wait()
        yield running.pop(oldest), oldest


def _error_text(state: Any) -> str:
    try:
        state.result(raise_on_failure=True)
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return state.message or "failed"
