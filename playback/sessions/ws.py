"""The sessions WebSocket (``/sessions/ws``): origin check, limits, join, message loop.

A connection is refused before the handshake completes unless its ``Origin`` is the
service's own (scheme and ``Host``), ``playback.public_url``, or one of
``sessions.allowed_origins``. Its first message must be ``join`` with a valid invite,
within ``join_timeout_s``; a wrong invite and a session that does not exist get the same
answer. Every text message is at most ``max_message_bytes`` (binary frames are refused)
and a token bucket limits each connection to ``max_messages_per_s`` (burst
``burst_messages``); a client that keeps flooding is closed. Outgoing messages go
through a bounded queue, so a member that cannot keep up is closed instead of slowing
everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from playback.sessions.contracts import Refused

if TYPE_CHECKING:
    from starlette.websockets import WebSocket

    from playback.sessions.config import SessionConfig
    from playback.sessions.engine import SyncEngine
    from playback.sessions.model import Member, Session

QUEUE_SIZE = 256
MAX_STRIKES = 20
CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_UNSUPPORTED = 1008, 1009, 1003
CLOSE_REFUSED = 4403


class _Closed(Exception):
    """The peer went away, or the connection must end."""


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(websocket: WebSocket, config: SessionConfig) -> bool:
    """The ``Origin`` is this service's own page (where it listens, or its public
    URL) or an allowed one; the request's ``Host`` header is not trusted."""
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    allowed = {_origin(o) for o in (*config.own_origins, *config.allowed_origins)}
    if config.public_url:
        allowed.add(_origin(config.public_url))
    return _origin(origin) in allowed


class TokenBucket:
    """``rate`` messages a second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> bool:
        """Spend one token; False when there is none."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Connection:
    """One member's socket: the engine's outbox, and the reading side."""

    def __init__(self, websocket: WebSocket, config: SessionConfig) -> None:
        self.websocket = websocket
        self.config = config
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.closing: tuple[int, str] | None = None
        self.closed = asyncio.Event()
        self.bucket = TokenBucket(config.max_messages_per_s, config.burst_messages)
        self.strikes = 0

    def send(self, message: dict[str, Any]) -> bool:
        """Queue a message (the engine's :class:`Outbox`)."""
        if self.closing is not None:
            return False
        try:
            self.queue.put_nowait(json.dumps(message, separators=(",", ":")))
        except asyncio.QueueFull:
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        """Close after what is queued has been sent."""
        if self.closing is None:
            self.closing = (code, reason)
            self.closed.set()

    async def pump(self) -> None:
        """Send queued messages until closed, then close the socket."""
        while True:
            if self.closing is not None and self.queue.empty():
                break
            getter = asyncio.ensure_future(self.queue.get())
            closer = asyncio.ensure_future(self.closed.wait())
            done, _ = await asyncio.wait(
                {getter, closer}, return_when=asyncio.FIRST_COMPLETED
            )
            closer.cancel()
            if getter in done:
                await self.websocket.send_text(getter.result())
            else:
                getter.cancel()
        code, reason = self.closing or (1000, "")
        with contextlib.suppress(Exception):
            await self.websocket.close(code, reason)

    async def receive(self) -> dict[str, Any]:
        """The next acceptable message; limits are enforced here."""
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                raise _Closed
            text = message.get("text")
            if text is None:
                self.close(CLOSE_UNSUPPORTED, "text messages only")
                raise _Closed
            if len(text.encode("utf-8")) > self.config.max_message_bytes:
                self.close(CLOSE_TOO_BIG, "message too big")
                raise _Closed
            if not self.bucket.take():
                self._strike("rate-limited", "too many messages")
                continue
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and isinstance(parsed.get("type"), str):
                return parsed
            self._strike("bad-request", "not a message")

    def _strike(self, code: str, text: str) -> None:
        self.strikes += 1
        self.send({"type": "error", "code": code, "message": text})
        if self.strikes > MAX_STRIKES:
            self.close(CLOSE_POLICY, text)
            raise _Closed


async def session_socket(websocket: WebSocket, engine: SyncEngine) -> None:
    """Serve one WebSocket connection from handshake to close."""
    config = engine.config
    if not origin_allowed(websocket, config):
        await websocket.close(CLOSE_POLICY)
        return
    await websocket.accept()
    conn = Connection(websocket, config)
    pump = asyncio.create_task(conn.pump())
    reader = asyncio.create_task(_read(conn, engine))
    try:
        await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        reader.cancel()
        conn.close(1000, "")
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(pump, 5)


async def _read(conn: Connection, engine: SyncEngine) -> None:
    joined: tuple[Session, Member] | None = None
    try:
        first = await asyncio.wait_for(conn.receive(), engine.config.join_timeout_s)
        if first.get("type") != "join":
            raise Refused("join-first", "join the session first")
        joined = engine.join(first, conn)
        await _serve(conn, engine, *joined)
    except TimeoutError:
        conn.close(CLOSE_POLICY, "join first")
    except Refused as exc:
        conn.send({"type": "error", "code": exc.code, "message": str(exc)})
        conn.close(CLOSE_REFUSED, exc.code)
    except _Closed:
        pass
    finally:
        if joined is not None:
            engine.leave(*joined, conn, explicit=conn.closing == (1000, "left"))


async def _serve(
    conn: Connection, engine: SyncEngine, session: Session, member: Member
) -> None:
    while conn.closing is None:
        message = await conn.receive()
        received = engine.clock()
        if message["type"] == "leave":
            conn.close(1000, "left")
            return
        try:
            engine.handle(session, member, message, received)
        except Refused as exc:
            conn.send(
                {
                    "type": "error",
                    "code": exc.code,
                    "message": str(exc),
                    "request": message["type"],
                }
            )
