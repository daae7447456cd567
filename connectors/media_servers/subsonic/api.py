"""The Subsonic REST transport: authentication, one request, and error mapping.

Every request carries ``u``, ``v``, ``c=medialake`` and ``f=json``. Authentication is
negotiated once per client, on the first request, with a ``ping``:

- ``token`` (``t = md5(password + salt)``, a fresh random ``s`` per request) is tried
  first; a server that answers code 10 (supysonic: "a required parameter is missing"),
  30 (older than API 1.13, which introduced tokens), 41 (tokens unsupported for this
  user) or 42 (mechanism unsupported) gets ``password`` auth (``p=enc:<hex>``) instead,
  and that choice is remembered;
- ``auth = "token"`` or ``"password"`` in the settings forces one mechanism.

The same ping tells whether the server is OpenSubsonic (``openSubsonic: true``); only
then are its extensions asked for (``getOpenSubsonicExtensions``), and only an
advertised extension is used: with ``formPost`` every request is a form ``POST``, so
credentials stay out of URLs and the server's access logs.

Subsonic reports failures as HTTP 200 with ``status: "failed"``; :func:`failure` maps
the codes once: 40/44 -> :class:`AuthError` naming ``servers.<name>.password``,
41-43 -> naming ``servers.<name>.auth``, 50 -> naming ``servers.<name>.username`` (a
missing role), 70 -> :class:`NotFound`, 0 (a generic server-side error, which is how
Navidrome reports its internal faults) -> :class:`TransientError`, the rest ->
:class:`RequestRejected`. No error text ever holds a query string, the password, its
hex form or a token.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.errors import (
    AuthError,
    ConnectorError,
    NotFound,
    RequestRejected,
    TransientError,
)
from connectors.http import HttpClient
from connectors.media_servers import art
from medialake.log import redact, register_secret

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

CLIENT_ID = "medialake"
PROBE_VERSION = "1.13.0"  # the first API version with token auth
MAX_VERSION = "1.16.1"  # the newest version this client speaks
TOKEN_FALLBACK_CODES = frozenset({10, 30, 41, 42})

Params = dict[str, Any]


def version_tuple(version: str) -> tuple[int, ...]:
    """``"1.16.1"`` -> ``(1, 16, 1)``; unparsable parts count as 0."""
    parts = []
    for part in str(version).split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def rest_url(url: str) -> str:
    """The ``.../rest/`` base of a server URL (a ``/rest`` suffix is accepted)."""
    base = url.strip().rstrip("/")
    if not base.endswith("/rest"):
        base += "/rest"
    return base + "/"


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What the server said about itself in the negotiating ``ping``."""

    auth: str
    version: str
    open_subsonic: bool = False
    server_type: str | None = None
    server_version: str | None = None
    extensions: frozenset[str] = frozenset()

    def at_least(self, version: str) -> bool:
        """Whether the server's API version is ``version`` or newer."""
        return version_tuple(self.version) >= version_tuple(version)

    @property
    def form_post(self) -> bool:
        """The server advertises the OpenSubsonic ``formPost`` extension."""
        return "formPost" in self.extensions

    def describe(self) -> str:
        """A short human description, e.g. ``navidrome 0.53 (API 1.16.1)``."""
        kind = self.server_type or "subsonic"
        release = f" {self.server_version}" if self.server_version else ""
        flavour = ", OpenSubsonic" if self.open_subsonic else ""
        return f"{kind}{release} (API {self.version}{flavour}, {self.auth} auth)"


def failure(server: str, method: str, error: dict[str, Any]) -> ConnectorError:
    """The connector error for a Subsonic ``status: failed`` answer."""
    code = error.get("code")
    message = redact(str(error.get("message") or "no message"))[:200]
    text = f"{method}: Subsonic error {code}: {message}"
    if code in (40, 44):
        return AuthError(server, f"servers.{server}.password", text)
    if code in (41, 42, 43):
        hint = " (set auth to 'password' or 'token')"
        return AuthError(server, f"servers.{server}.auth", text + hint)
    if code == 50:
        hint = " (the user lacks the role this operation needs)"
        return AuthError(server, f"servers.{server}.username", text + hint)
    if code == 70:
        return NotFound(server, text)
    if code in (0, None):
        return TransientError(server, text)
    return RequestRejected(server, text)


def _error_of(body: dict[str, Any]) -> dict[str, Any] | None:
    if body.get("status") == "ok":
        return None
    error = body.get("error")
    return error if isinstance(error, dict) else {"code": None}


class SubsonicApi:
    """One Subsonic server: negotiated auth and checked JSON requests (thread-safe).

    Args:
        server: the configured server name (used in errors and credential names).
        url: the server's base URL.
        username: the API user.
        password: the user's password (kept in memory only, never logged).
        auth: ``auto``, ``token`` or ``password``.
        timeout: seconds per request.
        retries: attempts after the first for 5xx, 429 and timeouts.
        backoff: first retry delay in seconds (doubles each time).
        verify: check TLS certificates.
    """

    def __init__(
        self,
        server: str,
        url: str,
        username: str,
        password: str,
        *,
        auth: str = "auto",
        timeout: float = 15.0,
        retries: int = 3,
        backoff: float = 0.5,
        verify: bool = True,
    ) -> None:
        self.server = server
        self._username = username
        self._password = password
        self._hex = password.encode("utf-8").hex()
        for secret in (password, self._hex, f"enc:{self._hex}"):
            register_secret(secret)
        self._auth = auth
        self._info: ServerInfo | None = None
        self._lock = threading.Lock()
        self.http = HttpClient(
            server,
            rest_url(url),
            credential=f"servers.{server}.password",
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            verify=verify,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    @property
    def info(self) -> ServerInfo:
        """The negotiated server description (negotiates on first use)."""
        with self._lock:
            if self._info is None:
                self._info = self._negotiate()
            return self._info

    def call(self, method: str, params: Params | None = None) -> dict[str, Any]:
        """Call ``method``; return the ``subsonic-response`` object or raise."""
        info = self.info
        body = self._send(method, params or {}, info.auth, info.version, info.form_post)
        error = _error_of(body)
        if error is not None:
            raise failure(self.server, method, error)
        return body

    def binary(self, method: str, params: Params, max_bytes: int) -> bytes:
        """Call a method that answers with bytes (``getCoverArt``): at most
        ``max_bytes``, no redirect followed; a JSON answer is the server's error."""
        info = self.info
        query = {**params, **self._credentials(info.auth)}
        query.update(v=info.version, c=CLIENT_ID, f="json")
        sent: Params = {"data": query} if info.form_post else {"params": query}
        with self.http.stream(
            "POST" if info.form_post else "GET",
            f"{method}.view",
            follow_redirects=False,
            **sent,
        ) as response:
            if 300 <= response.status_code < 400:
                raise art.refuse_redirect(self.server, response.status_code)
            data = art.read_capped(self.server, response.iter_bytes(), max_bytes)
            kind = response.headers.get("content-type", "")
        if "json" in kind or "xml" in kind:
            body = self._body(method, _Answer(data))
            raise failure(self.server, method, _error_of(body) or {"code": None})
        return data

    def ping(self) -> ServerInfo:
        """Check the connection and credentials (negotiating first if needed)."""
        negotiated = self._info is not None
        info = self.info
        if negotiated:
            self.call("ping")
        return info

    # -- negotiation --------------------------------------------------------------
    def _negotiate(self) -> ServerInfo:
        modes = ("token", "password") if self._auth == "auto" else (self._auth,)
        for mode in modes:
            body = self._probe(mode)
            error = _error_of(body)
            if error is None:
                return self._describe(body, mode)
            code = error.get("code")
            if mode == "token" and code in TOKEN_FALLBACK_CODES:
                if len(modes) > 1:
                    log.info(
                        "%s: token auth refused (code %s); using password auth",
                        self.server,
                        code,
                    )
                    continue
                raise AuthError(
                    self.server,
                    f"servers.{self.server}.auth",
                    f"ping: the server refuses token auth (Subsonic error {code});"
                    " set auth to 'password' or 'auto'",
                )
            raise failure(self.server, "ping", error)
        raise RequestRejected(self.server, f"unknown auth mode {self._auth!r}")

    def _probe(self, mode: str) -> dict[str, Any]:
        body = self._send("ping", {}, mode, PROBE_VERSION)
        error = _error_of(body)
        if mode == "password" and error and error.get("code") == 30:
            older = str(body.get("version") or "")
            if older and version_tuple(older) < version_tuple(PROBE_VERSION):
                body = self._send("ping", {}, mode, older)
        return body

    def _describe(self, body: dict[str, Any], mode: str) -> ServerInfo:
        reported = str(body.get("version") or PROBE_VERSION)
        version = min(reported, MAX_VERSION, key=version_tuple)
        open_subsonic = bool(body.get("openSubsonic"))
        extensions: frozenset[str] = frozenset()
        if open_subsonic:
            extensions = self._extensions(mode, version)
        info = ServerInfo(
            auth=mode,
            version=version,
            open_subsonic=open_subsonic,
            server_type=body.get("type"),
            server_version=body.get("serverVersion"),
            extensions=extensions,
        )
        log.info("%s: connected to %s", self.server, info.describe())
        return info

    def _extensions(self, mode: str, version: str) -> frozenset[str]:
        try:
            body = self._send("getOpenSubsonicExtensions", {}, mode, version)
        except (NotFound, RequestRejected):
            return frozenset()
        if _error_of(body) is not None:
            return frozenset()
        entries = body.get("openSubsonicExtensions") or []
        if not isinstance(entries, list):
            return frozenset()
        return frozenset(
            str(e["name"]) for e in entries if isinstance(e, dict) and e.get("name")
        )

    # -- one request --------------------------------------------------------------
    def _send(
        self, method: str, params: Params, mode: str, version: str, post: bool = False
    ) -> dict[str, Any]:
        query = {**params, **self._credentials(mode)}
        query.update(v=version, c=CLIENT_ID, f="json")
        path = f"{method}.view"
        if post:
            response = self.http.post(path, data=query)
        else:
            response = self.http.get(path, params=query)
        return self._body(method, response)

    def _credentials(self, mode: str) -> Params:
        if mode == "token":
            salt = secrets.token_hex(8)
            digest = hashlib.md5((self._password + salt).encode("utf-8"))
            return {"u": self._username, "t": digest.hexdigest(), "s": salt}
        return {"u": self._username, "p": f"enc:{self._hex}"}

    def _body(self, method: str, response: httpx.Response | _Answer) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        body = data.get("subsonic-response") if isinstance(data, dict) else None
        if not isinstance(body, dict):
            raise RequestRejected(
                self.server,
                f"{method}: the answer is not a Subsonic JSON response "
                f"(is servers.{self.server}.url a Subsonic server?)",
            )
        return body


@dataclass(frozen=True, slots=True)
class _Answer:
    """A body already read, parsed like a response's (:meth:`SubsonicApi._body`)."""

    content: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.content)
