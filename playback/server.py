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

from playback import paths
from playback.app import PlaybackConfig, create_app
from playback.auth import Accounts
from playback.limits import header_deadline_protocol
from playback.tokens import issue, load_key
from warehouse import hls
from warehouse import sessions as session_tables
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

    @lru_cache(maxsize=1024)
    def duration_of(asset_id: str) -> float | None:
        try:
            return paths.asset_duration(settings.assets_path, asset_id)
        except (OSError, ValueError):
            return None

    def titles() -> list[tuple[str, str]]:
        try:
            with wh.read() as con:
                found = session_tables.playable_assets(con)
        except (WarehouseError, OSError, RuntimeError):
            return []
        return [(str(a["asset_id"]), str(a["title"])) for a in found]

    return PlaybackConfig(
        assets_root=settings.assets_path,
        key=load_key(settings),
        token_ttl_s=settings.playback.token_ttl_s,
        title_of=title_of,
        accounts=accounts_from_settings(settings),
        cors_origins=tuple(o.rstrip("/") for o in settings.playback.cors_origins),
        max_viewing_s=settings.playback.max_viewing_hours * 3600,
        duration_of=duration_of,
        titles=titles,
    )


def secure_cookies(settings: Settings) -> bool:
    """Cookies need TLS (and HSTS is sent) behind an https public URL, or when set."""
    if settings.auth.secure_cookies is not None:
        return settings.auth.secure_cookies
    return (settings.playback.public_url or "").startswith("https://")


def accounts_from_settings(settings: Settings) -> Accounts:
    """The sign-in rules of this installation (the service and the dashboard)."""
    return Accounts(
        warehouse=warehouse(),
        home=settings.home,
        session_ttl_s=int(settings.auth.session_ttl_hours * 3600),
        secure=secure_cookies(settings),
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
    token = settings.playback.metrics_token
    metrics = install_metrics(
        warehouse,
        lambda: sessions.engine.sessions,
        token.get_secret_value() if token else None,
    )
    routes = [*sessions.routes(), metrics.route()]
    app = metrics.wrap(sessions.wrap(create_app(playback, extra_routes=routes)))
    notice = (
        playback.accounts.setup_notice(base_url(settings))
        if playback.accounts
        else None
    )
    if notice:
        print(f"playback: {notice}", file=sys.stderr, flush=True)
    config = uvicorn.Config(
        app,
        host=host or settings.playback.host,
        port=port or settings.playback.port,
        http=header_deadline_protocol(settings.playback.header_timeout_s),
        limit_concurrency=settings.playback.max_connections,
        timeout_keep_alive=5,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        log_level="warning",
        ws_max_size=64 * 1024,
    )
    uvicorn.Server(config).run()
