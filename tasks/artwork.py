"""Prefect tasks of the ``artwork`` flow: plan the items that need a picture, then
work out a batch of them (hundreds of movies, shows or albums per task).

For each item the sources are tried in this order, the first picture that passes
wins:

1. ``server``: the picture the item's own media server shows for it (Plex ``thumb``,
   Jellyfin ``Primary`` image, Subsonic ``getCoverArt``), when that server is
   configured and its kind has one. It comes first because it is what the owner sees
   (and may have chosen) in their server's apps, and it belongs to this very item,
   not to an identification that may be wrong.
2. the picture enrichment downloaded for the item's accepted identity (a TMDb poster,
   a Cover Art Archive cover);
3. art embedded in the item's file (files of a folder server).

Each picture is checked by content, stored once by its sha256 and shrunk to a
thumbnail (:mod:`connectors.metadata.images`). An item without one gets a ``none`` row
(the Library shows a placeholder); a refused picture gets its reason in ``error``.
When a server failed in a way that may pass (5xx, timeout), the next source is used
and the row's ``basis`` is marked, so the next run asks the server again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.errors import ConnectorError, NotFound, TransientError
from connectors.media_servers.base import MediaServerClient, Unsupported
from connectors.metadata import images
from medialake.runtime import settings
from medialake.settings import SettingsError
from tasks.context import engine, logger, warehouse
from warehouse import artwork as store

RETRY_MARK = "|retry-server"


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
    servers = _servers()
    rows = [
        artwork_row(
            item,
            home,
            cfg.artwork_max_bytes,
            cfg.artwork_thumb_px,
            servers.get(item["server_id"]),
        )
        for item in items
    ]
    with warehouse().write() as con:
        store.store(con, rows)
    counts: dict[str, int] = {}
    for row in rows:
        name = "failed" if row["error"] and row["source"] == "none" else row["source"]
        counts[name] = counts.get(name, 0) + 1
    return counts


def _servers() -> dict[str, MediaServerClient]:
    """The configured media servers by name (none when the settings have none)."""
    try:
        return {client.name: client for client in engine().clients()}
    except (ValueError, SettingsError) as exc:
        logger().info("artwork: no server pictures (%s)", exc)
        return {}


def artwork_row(
    item: dict[str, Any],
    home: Path,
    max_bytes: int,
    thumb_px: int,
    server: MediaServerClient | None = None,
) -> dict[str, Any]:
    """The ``item_artwork`` row of one planned item (``server``: the item's own
    media server, when it is configured)."""
    row: dict[str, Any] = {k: item[k] for k in ("entity", "server_id", "native_id")}
    row.update(basis=item["basis"], source="none", error=None)
    errors: list[str] = []
    for source, data in _sources(item, home, server, max_bytes, errors, row):
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


def _sources(
    item: dict[str, Any],
    home: Path,
    server: MediaServerClient | None,
    max_bytes: int,
    errors: list[str],
    row: dict[str, Any],
) -> Any:
    """(source, bytes) of each picture the item may have, best first; read lazily.
    A server that fails adds to ``errors`` (and marks ``row`` for a retry when the
    failure may pass)."""
    if server is not None:
        try:
            found = server.artwork(item["entity"], item["native_id"], max_bytes)
        except TransientError as exc:
            errors.append(f"server: {exc}")
            row["basis"] = item["basis"] + RETRY_MARK
        except NotFound:
            pass  # the server has no picture of it: not an error
        except ConnectorError as exc:
            errors.append(f"server: {exc}")
        else:
            if not isinstance(found, Unsupported):
                yield "server", found
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
