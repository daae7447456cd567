"""Watch sessions inside the playback service: routes, start-up restore, the timer loop.

``SessionService.routes()`` go into :func:`playback.app.create_app` as ``extra_routes``
and :meth:`SessionService.wrap` hooks the service's start and stop into the ASGI
lifespan: on start the warehouse's tables are created if needed and every session that
had not ended is restored; a background loop then pings members, ends waits that took
too long, and writes what changed in batches; on stop the last batch is written. A
request that arrives before the lifespan ran (a test client without it) starts the
service itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from starlette.routing import Route, WebSocketRoute

from playback import paths
from playback.sessions.api import SessionsApi
from playback.sessions.config import SessionConfig, from_settings
from playback.sessions.engine import SyncEngine
from playback.sessions.store import SessionStore
from playback.sessions.ws import session_socket
from warehouse.db import Warehouse, WarehouseError

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
    from starlette.websockets import WebSocket

    from medialake.settings import Settings
    from playback.app import PlaybackConfig

log = logging.getLogger("medialake.playback.sessions")
TICK_S = 0.25
STOP_WAIT_S = 35.0


class SessionService:
    """The sessions feature of one playback service process."""

    def __init__(
        self,
        playback: PlaybackConfig,
        config: SessionConfig,
        warehouse: Warehouse | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.playback = playback
        self.config = config
        self.engine = SyncEngine(playback.key, config, clock)
        self.store = SessionStore(warehouse) if warehouse is not None else None
        self.api = SessionsApi(self)
        self.restored = 0
        self._started = False
        self._start_lock: asyncio.Lock | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._durations: dict[str, float | None] = {}
        self._stopping = asyncio.Event()

    @classmethod
    def from_settings(
        cls, settings: Settings, playback: PlaybackConfig
    ) -> SessionService:
        """The service as ``medialake serve`` runs it."""
        from warehouse.current import warehouse

        return cls(playback, from_settings(settings), warehouse())

    def title_of(self, asset_id: str) -> str:
        """A title for the asset (the warehouse's, else its id)."""
        title = self.playback.title_of(asset_id) if self.playback.title_of else None
        return title or asset_id

    def duration_of(self, asset_id: str) -> float | None:
        """The asset's length in seconds, read once from its playlists."""
        if asset_id not in self._durations:
            try:
                found = paths.asset_duration(self.playback.assets_root, asset_id)
            except (OSError, ValueError):
                found = None
            self._durations[asset_id] = found
        return self._durations[asset_id]

    # -- lifecycle ------------------------------------------------------------------

    async def ensure_started(self) -> None:
        """Start once: restore from the warehouse, then run the timer loop."""
        if self._started:
            return
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self._started:
                return
            await self._restore()
            self._stopping.clear()
            self._loop_task = asyncio.create_task(self._run())
            self._started = True

    async def _restore(self) -> None:
        if self.store is None:
            return
        store = self.store
        try:
            await asyncio.to_thread(store.prepare)
            rows = await asyncio.to_thread(store.load)
        except (WarehouseError, OSError, RuntimeError) as exc:
            log.warning("watch sessions not restored: %s", exc)
            return
        self.restored = store.restore(self.engine, rows)
        for session in self.engine.sessions.values():
            session.duration = self.duration_of(session.asset_id)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        flushed = loop.time()
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), TICK_S)
            try:
                self.engine.tick()
                if self.store and loop.time() - flushed >= self.config.flush_interval_s:
                    flushed = loop.time()
                    await self.store.flush(self.engine)
            except Exception:  # the loop must outlive any one bad round
                log.exception("watch sessions: timer round failed")

    async def stop(self) -> None:
        """Let the loop finish its round, then write the last batch."""
        self._stopping.set()
        if self._loop_task is not None:
            try:
                await asyncio.wait_for(self._loop_task, STOP_WAIT_S)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("watch sessions: the timer loop did not stop in time")
            self._loop_task = None
        if self.store is not None and self._started:
            await self.store.flush(self.engine)
        self._started = False

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """``app`` with this service started and stopped by the ASGI lifespan."""

        async def with_lifespan(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "lifespan":
                await app(scope, receive, send)
                return

            async def hooked() -> Message:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self.ensure_started()
                elif message["type"] == "lifespan.shutdown":
                    await self.stop()
                return message

            await app(scope, hooked, send)

        return with_lifespan

    # -- routes ---------------------------------------------------------------------

    async def _socket(self, websocket: WebSocket) -> None:
        await self.ensure_started()
        await session_socket(websocket, self.engine)

    def routes(self) -> list[BaseRoute]:
        """The sessions routes, for ``create_app(..., extra_routes=...)``."""
        api = self.api
        return [
            WebSocketRoute("/sessions/ws", self._socket),
            Route("/sessions/sync.js", api.script, methods=["GET"]),
            Route("/sessions/enter", api.enter, methods=["POST"]),
            Route("/join/{session_id}", api.join_page, methods=["GET"]),
            Route("/api/sessions", api.index, methods=["GET"]),
            Route("/api/sessions", api.create, methods=["POST"]),
            Route("/api/sessions/{session_id}", api.detail, methods=["GET"]),
            Route("/api/sessions/{session_id}/control", api.control, methods=["POST"]),
        ]
