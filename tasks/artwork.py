"""Prefect tasks of the ``artwork`` flow: plan the items that need a picture, then
work out a batch of them (hundreds of movies, shows or albums per task).

For each item the picture enrichment downloaded for its identity (TMDb poster, Cover
Art Archive cover) comes first, then art embedded in its file. Each picture is checked
by content, stored once by its sha256 and shrunk to a thumbnail
(:mod:`connectors.metadata.images`). An item without one gets a ``none`` row (the
Library shows a placeholder); a refused picture gets its reason in ``error``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.metadata import images
from medialake.runtime import settings
from tasks.context import logger, warehouse
from warehouse import artwork as store


@task(name="artwork-plan", cache_policy=NO_CACHE)
def plan() -> list[list[dict[str, Any]]]:
    """Items whose picture is not worked out yet (or whose sources changed), in
    batches of ``enrichment.artwork_batch_size``."""
    with warehouse().read() as con:
        todo = store.to_fetch(con)
    size = settings().enrichment.artwork_batch_size
    logger().info("artwork: %d items to look at", len(todo))
    return [todo[n : n + size] for n in range(0, len(todo), size)]


@task(name="artwork-batch", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def fetch_batch(items: list[dict[str, Any]]) -> dict[str, int]:
    """Work out the pictures of one batch and record them; return counts by source."""
    cfg, home = settings().enrichment, settings().home
    rows = [
        artwork_row(item, home, cfg.artwork_max_bytes, cfg.artwork_thumb_px)
        for item in items
    ]
    with warehouse().write() as con:
        store.store(con, rows)
    counts: dict[str, int] = {}
    for row in rows:
        name = "failed" if row["error"] and row["source"] == "none" else row["source"]
        counts[name] = counts.get(name, 0) + 1
    return counts


def artwork_row(
    item: dict[str, Any], home: Path, max_bytes: int, thumb_px: int
) -> dict[str, Any]:
    """The ``item_artwork`` row of one planned item."""
    row: dict[str, Any] = {k: item[k] for k in ("entity", "server_id", "native_id")}
    row.update(basis=item["basis"], source="none", error=None)
    errors = []
    for source, data in _sources(item, home):
        try:
            kept = images.store(data, home, max_bytes, thumb_px)
        except images.NotAnImage as exc:
            errors.append(f"{source}: {exc}")
            continue
        except OSError as exc:  # the data folder: not the picture's fault
            errors.append(f"{source}: could not store the picture ({exc})")
            continue
        row.update(
            source=source,
            digest=kept.digest,
            image_path=kept.image_path,
            thumb_path=kept.thumb_path,
            width=kept.width,
            height=kept.height,
            size_bytes=kept.size_bytes,
            error="; ".join(errors) or None,  # a better source that was refused
        )
        return row
    if errors:
        row["error"] = "; ".join(errors)
    return row


def _sources(item: dict[str, Any], home: Path) -> Any:
    """(source, bytes) of each picture the item may have, best first; read lazily."""
    if item.get("image"):
        path = home / item["image"]
        try:
            yield item["image_source"], path.read_bytes()
        except OSError:
            pass
    if item.get("path"):
        path = Path(item["path"])
        if path.is_file():
            cover = images.embedded_cover(path)
            if cover is not None:
                yield "embedded", cover
