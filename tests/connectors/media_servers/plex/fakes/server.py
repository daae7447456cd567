"""A fake Plex Media Server on 127.0.0.1 that plexapi talks to unchanged.

It checks ``X-Plex-Token`` (header or query parameter) and answers 401 without it,
pages with ``X-Plex-Container-Start``/``-Size`` (headers or parameters) and answers
``size``/``totalSize``/``offset``, and can be told to fail (``fail_next``), to be slow
(``delay``) or to list an empty library (``empty``). Every request is logged, so tests
can see what a client asked for.
"""

from __future__ import annotations

import hmac
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.connectors.media_servers.plex.fakes import queries, routes, user_routes
from tests.connectors.media_servers.plex.fakes.library import FakeLibrary, Item
from tests.connectors.media_servers.plex.fakes.render import to_bytes

ROUTES: list[tuple[str, str, Callable[..., routes.Answer]]] = [
    ("GET", r"/", routes.root),
    ("GET", r"/identity", routes.identity),
    ("GET", r"/library", routes.library),
    ("GET", r"/accounts", user_routes.accounts),
    ("GET", r"/library/sections/?", routes.sections),
    ("GET", r"/library/sections/(\d+)", routes.section_browse),
    ("GET", r"/library/sections/(\d+)/all", routes.section_listing),
    ("PUT", r"/library/sections/(\d+)/all", routes.section_edit),
    ("GET", r"/library/sections/(\d+)/sorts", routes.sorts),
    ("GET", r"/library/sections/(\d+)/collections", routes.collections),
    ("GET|DELETE", r"/library/sections/(\d+|all)/refresh", routes.refresh),
    ("GET", r"/library/metadata/([\d,]+)", routes.metadata),
    ("GET", r"/library/metadata/(\d+)/children", routes.children),
    (
        "GET",
        r"/library/metadata/(\d+)/allLeaves",
        lambda f, r, k: routes.children(f, r, k, True),
    ),
    ("POST", r"/library/metadata/(\d+)/posters", routes.posters),
    ("GET", r"/library/metadata/(\d+)/thumb(?:/\d+)?", routes.thumb),
    ("PUT", r"/library/metadata/(\d+)/refresh", lambda f, r, k: (200, None)),
    ("GET", r"/:/scrobble", user_routes.scrobble),
    ("GET", r"/:/unscrobble", lambda f, r: user_routes.scrobble(f, r, undo=True)),
    ("GET", r"/status/sessions/history/all", user_routes.history),
    ("GET|POST", r"/playlists", user_routes.playlists),
    ("GET|DELETE", r"/playlists/(\d+)", user_routes.playlist),
    ("GET|PUT|DELETE", r"/playlists/(\d+)/items", user_routes.playlist_items),
    ("DELETE", r"/playlists/(\d+)/items/(\d+)", user_routes.playlist_items),
]
_COMPILED = [(m.split("|"), re.compile(p + r"/?"), h) for m, p, h in ROUTES]
_HTML = "<html><head><title>{0} {1}</title></head><body><h1>{0} {1}</h1></body></html>"
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(slots=True)
class Logged:
    """One request the fake answered."""

    method: str
    path: str
    params: dict[str, str]
    start: int
    size: int | None
    status: int
    items: int
    at: float


class FakePlex:
    """The fake server: its library, its faults, its request log.

    Args:
        library: what it holds.
        token: the only ``X-Plex-Token`` it accepts.
        layout: ``nested`` (``Media > Part``, as PMS), ``flat`` (``Part`` beside
            ``Media``, as the recorded track payloads) or ``mixed`` (alternating).
    """

    version = "1.41.3.9314-a0bfb8370"

    def __init__(
        self,
        library: FakeLibrary,
        token: str = "fake-plex-token-4f9a2c",
        layout: str = "nested",
    ) -> None:
        self.library = library
        self.token = token
        self.layout = layout
        self.machine_id = "4f9a2c0be1d84c7d9a3e5b6f7a8c9d0e1f2a3b4c"
        self.delay = 0.0
        self.empty = False
        self.scan_seconds = 0.3
        self.started_at = int(time.time())
        self.log: list[Logged] = []
        self._faults: list[list[Any]] = []
        self._scans: dict[int, float] = {}
        self._lock = threading.Lock()
        self._listing_lock = threading.Lock()
        self._cache: dict[tuple[Any, ...], list[Item]] = {}
        self._http: ThreadingHTTPServer | None = None
        self.url = ""

    # -- controls --------------------------------------------------------------------
    def fail_next(self, count: int, status: int = 500, path: str = "") -> None:
        """Answer ``status`` to the next ``count`` requests for paths with ``path``."""
        with self._lock:
            self._faults.append([count, status, path])

    def heal(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            self._faults.clear()

    def served(self, path: str = "", method: str = "GET") -> list[Logged]:
        """Logged requests whose path contains ``path``."""
        with self._lock:
            return [r for r in self.log if path in r.path and r.method == method]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def scan(self, section: int, cancel: bool = False) -> None:
        with self._lock:
            self._scans[section] = (
                0.0 if cancel else time.monotonic() + self.scan_seconds
            )

    def refreshing(self, section: int) -> bool:
        return time.monotonic() < self._scans.get(section, 0.0)

    def scanned_at(self, section: int) -> int:
        return self.started_at

    def listing(
        self,
        section: int,
        type_name: str,
        sort: str | None,
        params: list[tuple[str, str]],
    ) -> list[Item]:
        """A section's items of one type, filtered and sorted (cached per version)."""
        filters = tuple(
            (k, v)
            for k, v in params
            if k not in queries.NOT_FILTERS and not k.startswith("X-Plex-")
        )
        key = (self.library.version, self.empty, section, type_name, sort, filters)
        with self._listing_lock:  # one computation per listing, even when asked at once
            if key not in self._cache:
                if len(self._cache) > 64:
                    self._cache.clear()
                items = [] if self.empty else self.library.of_type(section, type_name)
                predicate = queries.build_filter(list(filters))
                self._cache[key] = queries.sort_items(
                    list(filter(predicate, items)), sort
                )
            return self._cache[key]

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> FakePlex:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._http = _Server(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        threading.Thread(
            target=self._http.serve_forever, args=(0.05,), name="fake-plex", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    # -- request handling --------------------------------------------------------------
    def take_fault(self, path: str) -> int | None:
        with self._lock:
            for fault in self._faults:
                if fault[0] > 0 and fault[2] in path:
                    fault[0] -= 1
                    return int(fault[1])
        return None

    def answer(self, req: routes.Request) -> routes.Answer:
        for methods, pattern, handler in _COMPILED:
            match = pattern.fullmatch(req.path)
            if match and req.method in methods:
                return handler(self, req, *match.groups())
        raise routes.HttpError(404, "no such endpoint")

    def token_ok(self, headers: Any, params: list[tuple[str, str]]) -> bool:
        given = headers.get("X-Plex-Token") or dict(params).get("X-Plex-Token") or ""
        return hmac.compare_digest(given.encode(), self.token.encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on a slow answer closed its socket


class _Handler(BaseHTTPRequestHandler):
    fake: FakePlex
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        params = parse_qsl(url.query, keep_blank_values=True)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        req = self._request(method, url.path or "/", params, body)
        fake = self.fake
        if fake.delay:
            time.sleep(fake.delay)
        status, payload = self._respond(req)
        with fake._lock:
            fake.log.append(
                Logged(
                    method,
                    req.path,
                    dict(params),
                    req.start,
                    req.size,
                    status,
                    req.served[0],
                    time.monotonic(),
                )
            )
        self._send(status, payload, req)

    def _request(
        self, method: str, path: str, params: list[tuple[str, str]], body: bytes
    ) -> routes.Request:
        given = dict(params)
        start = self.headers.get("X-Plex-Container-Start") or given.get(
            "X-Plex-Container-Start"
        )
        size = self.headers.get("X-Plex-Container-Size") or given.get(
            "X-Plex-Container-Size"
        )
        return routes.Request(
            method,
            path,
            params,
            int(start or 0),
            int(size) if size is not None else None,
            paged=start is not None or size is not None,
            body=body,
        )

    def _respond(self, req: routes.Request) -> tuple[int, bytes]:
        fake = self.fake
        fault = fake.take_fault(req.path)
        if fault is not None:
            return fault, _html(fault)
        if req.path != "/identity" and not fake.token_ok(self.headers, req.params):
            return 401, _html(401)
        try:
            status, root = fake.answer(req)
        except routes.HttpError as exc:
            return exc.status, _html(exc.status)
        if isinstance(root, bytes):  # a picture
            return status, root
        return status, to_bytes(root) if root is not None else b""

    def _send(self, status: int, payload: bytes, req: routes.Request) -> None:
        try:
            self.send_response(status)
            xml = payload.startswith(b"<?xml")
            kind = "text/xml;charset=utf-8" if xml else "text/html"
            if payload.startswith(b"\xff\xd8"):
                kind = "image/jpeg"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Plex-Protocol", "1.0")
            if req.paged and status == 200:
                self.send_header("X-Plex-Container-Start", str(req.start))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _html(status: int) -> bytes:
    return _HTML.format(status, _REASONS.get(status, "Error")).encode()


@contextmanager
def running(library: FakeLibrary, **options: Any) -> Iterator[FakePlex]:
    """A started fake server; stopped on exit."""
    fake = FakePlex(library, **options).start()
    try:
        yield fake
    finally:
        fake.stop()
