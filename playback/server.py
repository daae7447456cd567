"""Running the playback service with uvicorn, and making player links.

uvicorn's own access log is off (it would print the query string, which holds the
token); :mod:`playback.app` logs requests without it. Titles for the player page come
from the warehouse, read-only with a short lock timeout, and are optional.
"""

from __future__ import annotations

import logging
import sys
from functools import lru_cache
from typing import TYPE_CHECKING

from playback.app import PlaybackConfig, create_app
from playback.tokens import issue, load_key
from warehouse import hls
from warehouse.current import warehouse
from warehouse.db import WarehouseError

if TYPE_CHECKING:
    from medialake.settings import Settings


def config_from_settings(settings: Settings) -> PlaybackConfig:
    """The service's configuration: assets folder, key, token lifetime, title lookup."""
    wh = warehouse()

    @lru_cache(maxsize=1024)
    def title_of(asset_id: str) -> str | None:
        try:
            with wh.read() as con:
                asset = hls.get_asset(con, asset_id)
        except (WarehouseError, OSError, RuntimeError):
            return None
        return str(asset["title"]) if asset and asset.get("title") else None

    return PlaybackConfig(
        assets_root=settings.assets_path,
        key=load_key(settings),
        token_ttl_s=settings.playback.token_ttl_s,
        title_of=title_of,
    )


def base_url(settings: Settings) -> str:
    """Where browsers reach the service (``playback.public_url`` or host and port)."""
    if settings.playback.public_url:
        return settings.playback.public_url.rstrip("/")
    host = settings.playback.host
    shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
    return f"http://{shown}:{settings.playback.port}"


def player_link(settings: Settings, asset_id: str) -> str:
    """A signed player URL for an asset, valid for the token lifetime."""
    token = issue(load_key(settings), asset_id, settings.playback.token_ttl_s)
    return f"{base_url(settings)}/watch/{asset_id}?t={token.value}"


def _access_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s playback %(message)s"))
    logger = logging.getLogger("medialake.playback.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the service until interrupted."""
    import uvicorn

    _access_logging()
    from playback.metrics import install as install_metrics
    from playback.sessions.service import SessionService

    playback = config_from_settings(settings)
    sessions = SessionService.from_settings(settings, playback)
    metrics = install_metrics(warehouse, lambda: sessions.engine.sessions)
    routes = [*sessions.routes(), metrics.route()]
    app = metrics.wrap(sessions.wrap(create_app(playback, extra_routes=routes)))
    config = uvicorn.Config(
        app,
        host=host or settings.playback.host,
        port=port or settings.playback.port,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        log_level="warning",
        ws_max_size=64 * 1024,
    )
    uvicorn.Server(config).run()
