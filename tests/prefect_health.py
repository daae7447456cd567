"""A stand-in for a running Prefect API where only its health check matters (how a
command finds and waits for the background server): ``GET /api/health`` answers
``true``, anything else 404."""

from __future__ import annotations

import http.server
import threading


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args: object) -> None:
        pass


def health_server(port: int = 0) -> http.server.ThreadingHTTPServer:
    """Serve the health check on 127.0.0.1 (``port`` 0: a free one) from a daemon
    thread; ``shutdown()`` stops it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
