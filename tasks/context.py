"""What every task needs, built once per process: settings, the warehouse, the
engine."""

from __future__ import annotations

import logging
from functools import cache

from connectors.media_servers.engine import MediaServerEngine
from medialake.runtime import settings
from warehouse import current
from warehouse.current import warehouse

__all__ = ["engine", "flow_run_id", "logger", "reset", "warehouse"]


@cache
def engine() -> MediaServerEngine:
    """The media-server engine over every configured server."""
    return MediaServerEngine.from_settings(settings().servers)


def logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """Prefect's run logger inside a run; the stdlib logger when called outside one
    (benchmarks call task functions directly)."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("medialake.tasks")


def flow_run_id() -> str | None:
    """The id of the Prefect flow run this code runs in, if any (for run rows)."""
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None


def reset() -> None:
    """Forget cached settings, warehouse and engine (tests change the environment)."""
    settings.cache_clear()
    current.reset()
    engine.cache_clear()
