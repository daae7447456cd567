"""Local HTTP stand-ins for the Subsonic tests, on 127.0.0.1.

:class:`Stub` is a small threaded HTTP server that records every request and can

- fail the next N requests with a status (500 by default) or answer slowly,
- forward everything else to a real server (a fault-injecting proxy in front of
  supysonic), or
- answer from an app callable: :class:`OpenSubsonicFake` is a Navidrome-like
  OpenSubsonic server built at run time from the payloads recorded from supysonic in
  ``../shared/peers/supysonic/responses``, with the fields the OpenSubsonic spec adds
  (``openSubsonic``, ``playCount``, ``played``), token auth checked
  (``t == md5(password + s)``), the ``formPost`` extension, and real paging.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

RESPONSES = (
    Path(__file__).resolve().parents[4]
    / ".."
    / "shared"
    / "peers"
    / "supysonic"
    / "responses"
)

App = Callable[[str, dict[str, list[str]]], dict[str, Any] | bytes]


@dataclass(slots=True)
class Seen:
    """One request as the stub received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]

    def param(self, name: str) -> str | None:
        values = self.form.get(name) or self.query.get(name)
        return values[0] if values else None


@dataclass
class Stub:
    """A recording HTTP server with injected faults; see the module docstring."""

    upstream: str | None = None
    app: App | None = None
    fail_next: int = 0
    status: int = 500
    delay: float = 0.0
    body: bytes | None = None
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Stub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def answer(
        self, seen: Seen, raw_path: str, raw_body: bytes
    ) -> tuple[int, bytes, str]:
        """The status, body and content type for one request."""
        with self._lock:
            self.seen.append(seen)
            failing = self.fail_next > 0
            self.fail_next -= 1 if failing else 0
        if self.delay:
            time.sleep(self.delay)
        if failing:
            return self.status, b"Internal Server Error", "text/plain"
        if self.body is not None:
            return 200, self.body, "text/html"
        if self.upstream:
            return self._forward(seen.method, raw_path, raw_body)
        if self.app:
            method = seen.path.rsplit("/", 1)[-1].removesuffix(".view")
            params = {**seen.query, **seen.form}
            found = self.app(method, params)
            if isinstance(found, bytes):  # a picture (getCoverArt)
                return 200, found, "image/jpeg"
            payload = {"subsonic-response": found}
            return 200, json.dumps(payload).encode(), "application/json"
        return 404, b"", "text/plain"

    def _forward(
        self, method: str, raw_path: str, body: bytes
    ) -> tuple[int, bytes, str]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        reply = httpx.request(
            method,
            f"{self.upstream}{raw_path}",
            content=body,
            headers=headers,
            timeout=30,
        )
        kind = reply.headers.get("content-type", "application/octet-stream")
        return reply.status_code, reply.content, kind


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            seen = Seen(
                self.command,
                parts.path,
                parse_qs(parts.query, keep_blank_values=True),
                parse_qs(raw.decode(), keep_blank_values=True),
            )
            status, body, kind = stub.answer(seen, self.path, raw)
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (a timeout test)
                pass

        do_GET = do_POST = _serve  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def _recorded(name: str) -> dict[str, Any]:
    return json.loads((RESPONSES / name).read_text())["subsonic-response"]


class OpenSubsonicFake:
    """A Navidrome-like OpenSubsonic server over the recorded supysonic library.

    Songs come from ``search3.json`` (the 20 songs of the recorded 4 albums), albums
    from ``getAlbumList2.json``. Song ``i`` has ``playCount = i % 4``; a played song has
    ``played`` = ``now - i hours`` (albums carry the newest ``played`` of their songs).
    """

    USER, PASSWORD = "alice", "sesame"
    MAX_PAGE = 500

    def __init__(self, now: datetime | None = None) -> None:
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self.songs = copy.deepcopy(_recorded("search3.json")["searchResult3"]["song"])
        self.albums = copy.deepcopy(
            _recorded("getAlbumList2.json")["albumList2"]["album"]
        )
        for index, song in enumerate(self.songs):
            if index % 4:
                song["playCount"] = index % 4
                song["played"] = self._stamp(self.now - timedelta(hours=index))
        for album in self.albums:
            plays = [s["played"] for s in self.songs_of(album["id"]) if "played" in s]
            if plays:
                album["played"] = max(plays)

    @staticmethod
    def _stamp(when: datetime) -> str:
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    def songs_of(self, album_id: str) -> list[dict[str, Any]]:
        return [s for s in self.songs if s["albumId"] == album_id]

    def __call__(
        self, method: str, params: dict[str, list[str]]
    ) -> dict[str, Any] | bytes:
        one = {k: v[0] for k, v in params.items() if v}
        base: dict[str, Any] = {"status": "ok", "version": "1.16.1"}
        base.update(type="navidrome", serverVersion="0.53.3", openSubsonic=True)
        if not self._authorized(one):
            error = {"code": 40, "message": "Wrong username or password"}
            return {**base, "status": "failed", "error": error}
        if method == "getCoverArt":
            return self._cover(one, base)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return {**base, "status": "failed", "error": {"code": 0, "message": "nope"}}
        return {**base, **handler(one)}

    def _authorized(self, one: dict[str, str]) -> bool:
        if one.get("u") != self.USER:
            return False
        if "t" in one:
            want = hashlib.md5((self.PASSWORD + one.get("s", "")).encode()).hexdigest()
            return one["t"] == want
        return one.get("p") == "enc:" + self.PASSWORD.encode().hex()

    def _ping(self, one: dict[str, str]) -> dict[str, Any]:
        return {}

    def _getOpenSubsonicExtensions(self, one: dict[str, str]) -> dict[str, Any]:  # noqa: N802
        names = ("formPost", "transcodeOffset", "songLyrics")
        return {"openSubsonicExtensions": [{"name": n, "versions": [1]} for n in names]}

    def _page(
        self, items: list[Any], offset: str | None, size: str | None
    ) -> list[Any]:
        start, count = int(offset or 0), min(int(size or 10), self.MAX_PAGE)
        return items[start : start + count]

    def _search3(self, one: dict[str, str]) -> dict[str, Any]:
        query = one.get("query", "").casefold()
        hits = [s for s in self.songs if query in s["title"].casefold()]
        page = self._page(hits, one.get("songOffset"), one.get("songCount", "20"))
        return {"searchResult3": {"song": page}}

    def _getAlbumList2(self, one: dict[str, str]) -> dict[str, Any]:  # noqa: N802
        albums = self.albums
        if one.get("type") == "recent":
            albums = sorted(
                (a for a in albums if "played" in a),
                key=lambda a: a["played"],
                reverse=True,
            )
        return {
            "albumList2": {
                "album": self._page(albums, one.get("offset"), one.get("size"))
            }
        }

    def _getAlbum(self, one: dict[str, str]) -> dict[str, Any]:  # noqa: N802
        album = next((a for a in self.albums if a["id"] == one.get("id")), None)
        if album is None:
            return {"status": "failed", "error": {"code": 70, "message": "not found"}}
        return {
            "album": {
                **album,
                "coverArt": f"al-{album['id']}",  # as Navidrome names covers
                "song": self.songs_of(album["id"]),
            }
        }

    def _cover(
        self, one: dict[str, str], base: dict[str, Any]
    ) -> dict[str, Any] | bytes:
        """``getCoverArt``: a small JPEG per album, or error 70."""
        known = {f"al-{a['id']}" for a in self.albums}
        if one.get("id") not in known:
            error = {"code": 70, "message": "Artwork not found"}
            return {**base, "status": "failed", "error": error}
        from tests.connectors.metadata.pictures import jpeg

        return jpeg(60, 60, "olive")
