"""HTTP side of watch sessions: the dashboard's API, the join page, the sync script.

- ``POST /api/sessions`` (``{"asset_id", "mode"?, "buffering"?}``), ``GET
  /api/sessions``, ``GET /api/sessions/{id}``, ``POST /api/sessions/{id}/control``
  (``{"action": "play"|"pause"|"seek"|"end", "position"?}``): bearer token only
  (:func:`playback.sessions.keys.api_token`); the dashboard acts as the host.
- ``GET /join/{id}``: the page a join link opens. It is the same page for every id;
  its script reads the invite from the link's fragment (never sent to a server, never
  in a log or a ``Referer``) and posts it to ``POST /sessions/enter``, which answers a
  player URL with a fresh token, or one refusal whatever was wrong.
- ``GET /sessions/sync.js``: the player's sync script (public code, no secrets).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.responses import HTMLResponse, JSONResponse, Response

from playback import auth, paths
from playback.sessions import keys
from playback.sessions.contracts import Refused

if TYPE_CHECKING:
    from starlette.requests import Request

    from playback.sessions.service import SessionService

SYNC_JS = Path(__file__).resolve().parents[1] / "static" / "sync.js"
MAX_BODY_BYTES = 4096
_NO_STORE = {"cache-control": "no-store"}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": code, "message": message}, status_code=status, headers=_NO_STORE
    )


async def _json_body(request: Request) -> dict[str, Any] | None:
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        return None
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


class SessionsApi:
    """Request handlers over one :class:`SessionService`."""

    def __init__(self, service: SessionService) -> None:
        self.service = service
        self.engine = service.engine
        self.key = service.playback.key
        self.sync_js = SYNC_JS.read_bytes() if SYNC_JS.exists() else b""

    def _authorized(self, request: Request) -> bool:
        return keys.bearer_ok(self.key, request.headers.get("authorization"))

    def _base(self, request: Request) -> str:
        public = self.service.config.public_url
        return public.rstrip("/") if public else str(request.base_url).rstrip("/")

    def links(self, request: Request, session_id: str) -> dict[str, str]:
        """The invite link (guests) and the host link of a session."""
        invite = keys.invite_code(self.key, session_id)
        host = keys.host_key(self.key, session_id)
        join = f"{self._base(request)}/join/{session_id}"
        return {
            "invite_code": invite,
            "invite_url": f"{join}#invite={invite}",
            "host_url": f"{join}#invite={invite}&host={host}",
        }

    async def create(self, request: Request) -> Response:
        """Create a session for an asset (dashboard)."""
        await self.service.ensure_started()
        if not self._authorized(request):
            return _error(401, "unauthorized", "a valid API token is needed")
        body = await _json_body(request)
        asset_id = body.get("asset_id") if body else None
        if not isinstance(asset_id, str) or not paths.ASSET_ID.match(asset_id):
            return _error(400, "bad-request", "asset_id: an asset id is needed")
        if paths.asset_folder(self.service.playback.assets_root, asset_id) is None:
            return _error(404, "not-found", "no such asset")
        assert body is not None
        mode, buffering = body.get("mode"), body.get("buffering")
        if mode not in (None, "host", "collaborative"):
            return _error(400, "bad-request", "mode: host or collaborative")
        if buffering not in (None, "wait", "catchup"):
            return _error(400, "bad-request", "buffering: wait or catchup")
        session = self.engine.create(
            asset_id,
            self.service.title_of(asset_id),
            self.service.duration_of(asset_id),
            mode=mode,
            buffering=buffering,
            created_by=str(body.get("created_by") or "api")[:64],
        )
        payload = {
            **session.public(self.engine.clock()),
            **self.links(request, session.session_id),
        }
        return JSONResponse(payload, status_code=201, headers=_NO_STORE)

    async def index(self, request: Request) -> Response:
        """Live sessions with their members (dashboard)."""
        await self.service.ensure_started()
        if not self._authorized(request):
            return _error(401, "unauthorized", "a valid API token is needed")
        now = self.engine.clock()
        found = [
            {**s.public(now), **self.links(request, s.session_id)}
            for s in self.engine.sessions.values()
            if s.state != "ended"
        ]
        return JSONResponse({"sessions": found}, headers=_NO_STORE)

    async def detail(self, request: Request) -> Response:
        """One session (dashboard)."""
        await self.service.ensure_started()
        if not self._authorized(request):
            return _error(401, "unauthorized", "a valid API token is needed")
        session = self.engine.sessions.get(request.path_params["session_id"])
        if session is None:
            return _error(404, "not-found", "no such session")
        payload = {
            **session.public(self.engine.clock()),
            **self.links(request, session.session_id),
            "lead_ms": round(self.engine.lead(session) * 1000),
        }
        return JSONResponse(payload, headers=_NO_STORE)

    async def control(self, request: Request) -> Response:
        """Play, pause, seek or end, as the host (dashboard)."""
        await self.service.ensure_started()
        if not self._authorized(request):
            return _error(401, "unauthorized", "a valid API token is needed")
        session = self.engine.live(request.path_params["session_id"])
        if session is None:
            return _error(404, "not-found", "no such session, or it has ended")
        body = await _json_body(request)
        if body is None:
            return _error(400, "bad-request", "a JSON object is needed")
        try:
            kind = self.engine.control(
                session, str(body.get("action")), None, body.get("position")
            )
        except Refused as exc:
            return _error(400, exc.code, str(exc))
        return JSONResponse(
            {"result": kind, **session.public(self.engine.clock())},
            headers=_NO_STORE,
        )

    async def enter(self, request: Request) -> Response:
        """Trade a valid invite for a player URL; one refusal for anything else."""
        await self.service.ensure_started()
        body = await _json_body(request) or {}
        sid = body.get("session")
        sid = sid if isinstance(sid, str) and keys.SESSION_ID.match(sid) else "0" * 16
        valid = keys.matches(keys.invite_code(self.key, sid), body.get("invite"))
        session = self.engine.live(sid)
        if not valid or session is None:
            return _error(403, "invalid-invite", "this invite is not valid")
        response = JSONResponse(
            {"watch": f"/watch/{session.asset_id}"}, headers=_NO_STORE
        )
        accounts = self.service.playback.accounts
        auth.give_guest_pass(
            response,
            self.key,
            session.asset_id,
            secure=bool(accounts and accounts.secure),
        )
        return response

    async def join_page(self, request: Request) -> Response:
        """The page behind a join link (identical for every session id)."""
        nonce = secrets.token_urlsafe(16)
        page = _JOIN_PAGE.replace("@NONCE@", nonce)
        csp = (
            "default-src 'none'; "
            f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'"
        )
        return HTMLResponse(page, headers={**_NO_STORE, "content-security-policy": csp})

    async def script(self, request: Request) -> Response:
        """The player's sync script."""
        if not self.sync_js:
            return Response("sync.js is missing", status_code=503)
        return Response(
            self.sync_js,
            media_type="text/javascript",
            headers={"cache-control": "no-cache"},
        )


_JOIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Joining a watch session · medialake</title>
<style nonce="@NONCE@">
body{margin:0;background:#111;color:#eee;font:16px system-ui,sans-serif}
main{max-width:640px;margin:15vh auto;padding:12px}
</style></head>
<body><main><h1>Watch session</h1><p id="status">Joining…</p></main>
<script nonce="@NONCE@">
(async function () {
  "use strict";
  const status = document.getElementById("status");
  const fragment = new URLSearchParams(location.hash.slice(1));
  const session = location.pathname.split("/").pop();
  try {
    const r = await fetch("/sessions/enter", {
      method: "POST", cache: "no-store", referrerPolicy: "no-referrer",
      headers: {"content-type": "application/json"},
      body: JSON.stringify({session: session, invite: fragment.get("invite") || ""}),
    });
    if (!r.ok) { status.textContent = "This invite is not valid (or the session" +
      " has ended). Ask the host for a new link."; return; }
    const body = await r.json();
    fragment.set("session", session);
    location.replace(body.watch + "#" + fragment.toString());
  } catch (e) {
    status.textContent = "The playback service cannot be reached: try again.";
  }
})();
</script></body></html>
"""
