"""The ``enrich`` flow: probe new or changed files, identify new or changed items, and
optionally write genres and covers back to the active server.

What is "new since the last run" is decided by keys in the warehouse (see
:mod:`warehouse.enrichment`): a re-run with nothing new probes nothing and asks no
service anything. ``redo=True`` looks at everything again, answered from the response
cache where it can. One ``enrichment_runs`` row per run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from medialake.runtime import settings
from tasks import enrich as t
from tasks.flow_runs import recorded_run
from tasks.notify import on_flow_failure
from tasks.report import publish

if TYPE_CHECKING:
    from prefect.futures import PrefectFuture


@flow(
    name="enrich",
    task_runner=ThreadPoolTaskRunner(max_workers=3),  # type: ignore[arg-type]
    log_prints=True,
    on_failure=[on_flow_failure],
)
@recorded_run
def enrich(
    probe: bool = True,
    identify: bool = True,
    writeback: bool | None = None,
    redo: bool = False,
) -> dict[str, Any]:
    """Enrich the library.

    Args:
        probe: run ffprobe on new or changed files.
        identify: match new or changed movies, shows and albums.
        writeback: send genres and covers to the active server (default: the
            ``enrichment.writeback`` setting).
        redo: look at every file and item again, not only new or changed ones.

    Returns:
        The run's summary: its id, status and counts.
    """
    run_id = t.open_run()
    parts: list[dict[str, int]] = []
    try:
        if probe:
            batches = t.plan_probes(run_id, redo)
            parts += _gather([t.probe_batch.submit(run_id, b) for b in batches])
        if identify:
            units = t.plan_identify(run_id, redo)
            parts += _gather([t.identify_batch.submit(run_id, u) for u in units])
        if settings().enrichment.writeback if writeback is None else writeback:
            parts.append(t.writeback(run_id))
    except Exception as exc:
        t.fail_run(run_id, f"{type(exc).__name__}: {exc}")
        raise
    summary = t.finish(run_id, parts)
    publish("enrich", "enrichment", [summary], list(summary))
    return summary


def _gather(futures: list[PrefectFuture[dict[str, int]]]) -> list[dict[str, int]]:
    """Every future's result; on a failure, wait for the rest before raising."""
    try:
        return [future.result() for future in futures]
    except Exception:
        for future in futures:
            future.wait()
        raise
