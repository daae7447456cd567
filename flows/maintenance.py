"""The ``warehouse-maintenance`` flow: compact the lake and expire old snapshots."""

from __future__ import annotations

from prefect import flow, task

from medialake.runtime import settings
from tasks.context import logger, warehouse
from tasks.flow_runs import recorded_run
from tasks.notify import on_flow_failure
from warehouse.maintenance import maintain, snapshot_count


@task(name="maintain-warehouse")
def maintain_warehouse() -> dict[str, float]:
    """Flush, merge, expire and clean up; log what it did and how long it took."""
    wh = warehouse()
    before = snapshot_count(wh)
    took = maintain(wh, settings().warehouse.snapshot_retention_days * 86400)
    after = snapshot_count(wh)
    steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in took.items())
    logger().info("warehouse maintenance: snapshots %d -> %d; %s", before, after, steps)
    return took


@flow(name="warehouse-maintenance", log_prints=True, on_failure=[on_flow_failure])
@recorded_run
def warehouse_maintenance() -> dict[str, float]:
    """Keep the warehouse fast: merge files, expire snapshots, delete old files."""
    return maintain_warehouse()
