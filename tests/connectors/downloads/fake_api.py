"""What the fake slskd and the fake Lidarr share: a JSON API on 127.0.0.1 behind an API
key (``X-Api-Key`` header, or an ``apikey`` query parameter where the fake allows it),
that can be told to answer 503 to its next requests (``failing``), routed by a table of
``(method, path regex, action)``; an action is called ``action(fake, query, body,
match)`` and returns ``(status, payload)``."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from re import Match, Pattern
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

Action = Callable[[Any, dict[str, str], Any, Match[str]], tuple[int, Any]]
Route = tuple[str, Pattern[str], Action]


class FakeApi:
    """``with Fake(...) as fake: fake.url``."""

    key_in_query = False  # also accept ``?apikey=``
    unauthorized: Any = None  # the payload of a 401

    def __init__(self, api_key: str, routes: list[Route]) -> None:
        self.api_key, self.routes = api_key, routes
        self.failing = 0  # answer 503 to this many requests
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        """The server's web root."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Self:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(
        self, method: str, target: str, key: str | None, raw: bytes
    ) -> tuple[int, Any]:
        """The status and payload for one request."""
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if self.key_in_query:
            key = key or query.get("apikey")
        if key != self.api_key:
            return 401, self.unauthorized
        if self.failing > 0:
            self.failing -= 1
            return 503, None
        for route_method, pattern, action in self.routes:
            match = pattern.match(parts.path)
            if route_method == method and match:
                return action(self, query, json.loads(raw) if raw else None, match)
        return 404, None


def _handler(fake: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._route()

        def do_POST(self) -> None:
            self._route()

        def do_DELETE(self) -> None:
            self._route()

        def _route(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            key = self.headers.get("X-Api-Key")  # header names ignore case
            status, payload = fake.answer(self.command, self.path, key, raw)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
