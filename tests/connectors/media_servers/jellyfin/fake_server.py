"""A fake Jellyfin server on 127.0.0.1 that holds itself to the official OpenAPI spec.

It serves a generated library (the sample library's plan, or N synthetic tracks, plus
movies, a series and episodes) over the endpoints the client uses, in a background
thread (uvicorn on a free port), and behaves like the real server where a client can
get it wrong:

- requests are judged against the spec of the chosen version (10.11.11 or 12.0.0):
  an unknown path, method, query parameter or malformed value or body is a 400 (and a
  recorded problem); auth follows the spec's ``security`` (401 without a valid token,
  403 for a non-administrator on elevated endpoints);
- auth is the ``Authorization: MediaBrowser ..., Token="..."`` header or ``ApiKey``;
  the legacy forms (``X-Emby-Token``, ``X-MediaBrowser-Token``, the ``Emby`` scheme,
  ``api_key``) count only in 10.11 mode, as ``EnableLegacyAuthorization`` defaults;
- :class:`SpecValidator` (a test-only ASGI middleware) checks every answer against the
  documented status and schema; a break becomes a 500 and a recorded problem;
- faults on demand: the next N requests answer 500, every answer is slow, or the
  library is empty. ``log`` keeps every request (items served included).

Run standalone (the benchmark does) with ``python -m
tests.connectors.media_servers.jellyfin.fake_server --tracks N``: it prints its port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from tests.connectors.media_servers.jellyfin import library as lib
from tests.connectors.media_servers.jellyfin.handlers import (
    IMPLEMENTED,
    Handlers,
    Principal,
    User,
    auth_result,
    system_info,
)
from tests.connectors.media_servers.jellyfin.spec import ApiSpec, Operation, load

API_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
USERNAME, PASSWORD = "alice", "correct horse battery"
LEGACY_HEADERS = ("x-emby-token", "x-mediabrowser-token", "x-emby-authorization")
_PAIRS = re.compile(r'(\w+)="([^"]*)"')


@dataclass(slots=True)
class Logged:
    """One request as the fake saw it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    authorization: str | None
    legacy_auth: bool
    status: int = 0
    items: int = 0


@dataclass(slots=True)
class Faults:
    """Failures to inject: the next ``fail`` requests answer ``status``; each request
    waits ``delay`` seconds first."""

    fail: int = 0
    status: int = 500
    delay: float = 0.0


@dataclass
class FakeJellyfin:
    """The fake server (see the module docstring). Use as a context manager."""

    library: lib.Library
    version: str = "12.0.0"
    validate: bool = True
    api_key: str = API_KEY
    log: list[Logged] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        self.spec: ApiSpec = load(self.version)
        self.user = User(lib.guid("user", USERNAME), USERNAME, PASSWORD, admin=True)
        self.handlers = Handlers(self.library, self.version, [self.user])
        self.sessions: dict[str, Principal] = {}
        self.lock = threading.Lock()
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Any:
        """The ASGI app, wrapped in the spec validator when ``validate`` is on."""
        return SpecValidator(self._asgi, self) if self.validate else self._asgi

    def start(self) -> FakeJellyfin:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(),
            log_level="warning",
            access_log=False,
            lifespan="off",
            interface="asgi3",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Jellyfin did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeJellyfin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- controls for tests -----------------------------------------------------------
    def fail_next(self, count: int, status: int = 500) -> None:
        self.faults.fail, self.faults.status = count, status

    def set_empty(self, empty: bool = True) -> None:
        self.handlers.empty = empty

    def touch(self, fraction: float) -> list[str]:
        """Re-tag ``fraction`` of the tracks, spread over the library; their ids."""
        with self.lock:
            tracks = [i for i in self.library.items.values() if i.type == "Audio"]
            step = max(1, round(1 / fraction)) if fraction > 0 else len(tracks) + 1
            changed = tracks[step // 2 :: step]
            now = datetime.now(UTC)
            for item in changed:
                item.dto["Name"] = f"{item.dto['Name']} (retagged)"
                item.saved = now
            self.library.version += 1
            return [i.id for i in changed]

    def add_album(self, tracks: int, created: datetime | None = None) -> list[str]:
        """A new album of ``tracks`` tracks, created now (or at ``created``)."""
        with self.lock:
            moment = created or datetime.now(UTC)
            name = f"New Album {len(self.library.items)}"
            album = self.library.album(name, "New Artist", 2025, "Pop", None)
            self.library.items[album["Id"]].created = moment
            ids = []
            for n in range(tracks):
                item = self.library.track(
                    f"/media/new/{name}/{n + 1:02d}.mp3",
                    f"Fresh {n + 1}",
                    "New Artist",
                    album,
                    n + 1,
                    1,
                    200.0,
                    {},
                )
                item.created = moment + timedelta(seconds=n)
                item.dto["DateCreated"] = lib.jf_date(item.created)
                ids.append(item.id)
            return ids

    def served(self, since: int = 0) -> int:
        """Library items served in listings since log entry ``since`` (play-data and
        playlist reads left out)."""
        return sum(
            entry.items
            for entry in self.log[since:]
            if not {k.lower() for k, _ in entry.query} & {"isplayed"}
            and ("includeItemTypes", "Playlist") not in entry.query
        )

    # -- request handling -------------------------------------------------------------
    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        body = await request.body()
        if self.faults.delay:
            await asyncio.sleep(self.faults.delay)
        with self.lock:
            response = self._dispatch(request, body, scope)
        await response(scope, receive, send)

    def _dispatch(
        self, request: Request, body: bytes, scope: dict[str, Any]
    ) -> Response:
        headers = request.headers
        entry = Logged(
            request.method,
            request.url.path,
            list(request.query_params.multi_items()),
            headers.get("authorization"),
            any(h in headers for h in LEGACY_HEADERS)
            or (headers.get("authorization") or "").startswith("Emby ")
            or "api_key" in {k.lower() for k in request.query_params},
        )
        self.log.append(entry)
        response = self._answer(request, body, scope, entry)
        entry.status = response.status_code
        return response

    def _answer(
        self, request: Request, body: bytes, scope: dict[str, Any], entry: Logged
    ) -> Response:
        if self.faults.fail > 0:
            self.faults.fail -= 1
            scope["fake.deliberate"] = "injected fault"
            return Response(status_code=self.faults.status)
        op = self.spec.find(request.method, request.url.path)
        if not isinstance(op, Operation):
            what = "path" if op is None else f"method (allowed: {op})"
            return self._reject(
                scope,
                404 if op is None else 405,
                f"unknown {what}: {request.method} {request.url.path}",
            )
        auth_params = {"apikey"} | (
            {"api_key"} if self.version.startswith("10.") else set()
        )
        values, problems = self.spec.check_parameters(
            op, list(request.query_params.multi_items()), auth_params
        )
        problems += self.spec.check_body(
            op, request.headers.get("content-type", ""), body
        )
        unimplemented = (
            set(values)
            - IMPLEMENTED.get(op.template, set(values))
            - set(op.path_params)
        )
        if problems:
            return self._reject(
                scope, 400, f"{op.method} {op.template}: " + "; ".join(problems)
            )
        if unimplemented:
            return self._reject(
                scope, 501, f"{op.template}: the fake ignores {sorted(unimplemented)}"
            )
        principal = self._principal(request)
        if op.secured and principal is None:
            scope["fake.deliberate"] = "unauthorized"
            return Response(status_code=401)
        if op.elevated and principal is not None and not principal.admin:
            scope["fake.deliberate"] = "forbidden"
            return Response(status_code=403)
        status, doc = self._route(op, values, body, request, principal)
        if status in (400, 401) and op.template == "/Users/AuthenticateByName":
            scope["fake.deliberate"] = (
                "login refused"  # as Jellyfin answers, undocumented
            )
        if isinstance(doc, dict) and isinstance(doc.get("Items"), list):
            entry.items = len(doc["Items"])
        if doc is None:
            return Response(status_code=status)
        if isinstance(doc, bytes):  # a picture
            return Response(doc, status_code=status, media_type="image/jpeg")
        return Response(
            json.dumps(doc),
            status_code=status,
            media_type="application/json; charset=utf-8",
        )

    def _reject(self, scope: dict[str, Any], status: int, problem: str) -> Response:
        self.problems.append(problem)
        scope["fake.deliberate"] = "rejected request"
        doc = {
            "type": "about:blank",
            "title": "Bad Request",
            "status": status,
            "detail": problem,
        }
        return Response(
            json.dumps(doc), status_code=status, media_type="application/json"
        )

    def _principal(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization") or ""
        token = None
        if header.startswith("MediaBrowser "):
            token = dict(_PAIRS.findall(header)).get("Token")
        token = token or request.query_params.get("ApiKey")
        if token is None and self.version.startswith("10."):
            legacy = [
                request.headers.get(h) for h in ("x-emby-token", "x-mediabrowser-token")
            ]
            token = next((t for t in legacy if t), None) or request.query_params.get(
                "api_key"
            )
        if token == self.api_key:
            return Principal(token, None, admin=True)
        return self.sessions.get(token or "")

    def _route(
        self,
        op: Operation,
        v: dict[str, Any],
        body: bytes,
        request: Request,
        who: Principal | None,
    ) -> tuple[int, Any]:
        h, t, m = self.handlers, op.template, op.method
        doc = (
            json.loads(body)
            if body and "json" in request.headers.get("content-type", "")
            else None
        )
        assert who is not None or not op.secured
        if t == "/Users/AuthenticateByName":
            return self._login(request, doc or {})
        if t == "/System/Info" or t == "/System/Info/Public":
            return 200, lib_info(self)
        if t == "/Users":
            return 200, [h.user_dto(u) for u in h.users.values()]
        if t == "/Users/Me":
            if who is None or who.user is None:
                return 400, {"detail": "Token is not owned by a user."}
            return 200, h.user_dto(who.user)
        if t == "/Items":
            return h.listing("items", v, who)
        if t in ("/Artists", "/Artists/AlbumArtists"):
            return h.listing("artists", v, who)
        if t == "/Items/{itemId}":
            return (
                h.get_item(v["itemId"], v, who)
                if m == "GET"
                else h.update_item(v["itemId"], doc or {})
            )
        if t == "/Items/{itemId}/Images/{imageType}" and m == "GET":
            return h.get_image(v["itemId"], v["imageType"])
        if t == "/Items/{itemId}/Images/{imageType}":
            return h.set_image(v["itemId"], v["imageType"], body)
        if t == "/Library/Refresh":
            return h.refresh()
        if t == "/ScheduledTasks":
            return h.tasks()
        if t == "/Playlists":
            return h.create_playlist(v, doc, who)
        if t == "/Playlists/{playlistId}":
            return h.playlist(v["playlistId"])
        if t == "/Playlists/{playlistId}/Items":
            return h.playlist_items(m, v["playlistId"], v, who)
        self.problems.append(f"the fake does not implement {m} {t}")
        return 501, {"detail": "not implemented by the fake"}

    def _login(self, request: Request, doc: dict[str, Any]) -> tuple[int, Any]:
        header = request.headers.get("authorization") or ""
        pairs = (
            dict(_PAIRS.findall(header)) if header.startswith("MediaBrowser ") else {}
        )
        if not all(pairs.get(k) for k in ("Client", "Device", "DeviceId", "Version")):
            self.problems.append("login without Client, Device, DeviceId and Version")
            return 400, {"detail": "Client, Device, DeviceId and Version are required."}
        user = next(
            (u for u in self.handlers.users.values() if u.name == doc.get("Username")),
            None,
        )
        if user is None or user.password != doc.get("Pw"):
            return 401, None
        token = lib.guid("token", len(self.sessions), time.monotonic())
        self.sessions[token] = Principal(token, user, user.admin)
        return 200, auth_result(self.handlers, user, token)


def lib_info(fake: FakeJellyfin) -> dict[str, Any]:
    return system_info(fake.library, fake.version, fake.port)


class SpecValidator:
    """Test-only ASGI middleware: every answer must match the spec, or it becomes a 500
    and a recorded problem (so a schema break fails the test that caused it)."""

    def __init__(self, app: Any, fake: FakeJellyfin) -> None:
        self.app, self.fake = app, fake

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        messages: list[dict[str, Any]] = []

        async def capture(message: dict[str, Any]) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        start = messages[0]
        body = b"".join(m.get("body", b"") for m in messages[1:])
        problems = self._check(scope, start, body)
        if problems:
            self.fake.problems.extend(problems)
            await Response("response breaks the spec: " + "; ".join(problems), 500)(
                scope, receive, send
            )
            return
        for message in messages:
            await send(message)

    def _check(
        self, scope: dict[str, Any], start: dict[str, Any], body: bytes
    ) -> list[str]:
        if scope.get("fake.deliberate"):
            return []
        op = self.fake.spec.find(scope["method"], scope["path"])
        if not isinstance(op, Operation):
            return [f"answered an unknown operation {scope['method']} {scope['path']}"]
        headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
        found = self.fake.spec.check_response(
            op, start["status"], headers.get("content-type", ""), body
        )
        return [f"{op.method} {op.template} -> {start['status']}: {p}" for p in found]


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--version", default="12.0.0")
    parser.add_argument("--validate", action="store_true")
    args = parser.parse_args()
    library = lib.synthetic(args.tracks, lib.guid("server", "bench"))
    fake = FakeJellyfin(library, version=args.version, validate=args.validate)
    fake.start()
    print(fake.port, flush=True)
    try:
        for line in iter(input, "quit"):
            command, _, arg = line.partition(" ")
            if command == "touch":
                print(len(fake.touch(float(arg))), flush=True)
    except EOFError:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    _main()
