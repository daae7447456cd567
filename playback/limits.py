"""Connection limits of the playback service: a deadline for the request headers.

uvicorn closes idle keep-alive connections and caps concurrent requests
(``limit_concurrency``), but a client that sends its headers a byte at a time holds a
connection for as long as it likes (800 such clients held the service for 60 s). The
protocol below closes a connection whose request headers are not complete within
``header_timeout_s`` of it opening (or of the previous response).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    import asyncio


class _HeaderDeadline(H11Protocol):
    header_timeout_s = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def header_deadline_protocol(header_timeout_s: float) -> Any:
    """uvicorn's h11 protocol with a deadline for the request headers."""
    return type(
        "HeaderDeadlineH11", (_HeaderDeadline,), {"header_timeout_s": header_timeout_s}
    )
