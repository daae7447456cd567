"""The ``artwork`` flow: give movies, shows and albums their picture and thumbnail.

Runs after ``enrich`` (which downloads TMDb posters and Cover Art Archive covers) and
after a sync (art embedded in new files); an item is looked at again only when its
sources change, so a re-run with nothing new reads no file.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from tasks import artwork as t
from tasks.flow_runs import recorded_run
from tasks.notify import on_flow_failure


@flow(
    name="artwork",
    task_runner=ThreadPoolTaskRunner(max_workers=2),  # type: ignore[arg-type]
    log_prints=True,
    on_failure=[on_flow_failure],
)
@recorded_run
def artwork() -> dict[str, Any]:
    """Work out the pictures of every item that needs one.

    Returns:
        How many items got a picture, per source (``none``: no picture found,
        ``failed``: a picture was refused, see ``item_artwork.error``).
    """
    batches = t.plan()
    futures = [t.fetch_batch.submit(batch) for batch in batches]
    totals: dict[str, int] = {"items": sum(len(b) for b in batches)}
    for future in futures:
        for name, n in future.result().items():
            totals[name] = totals.get(name, 0) + n
    return totals
