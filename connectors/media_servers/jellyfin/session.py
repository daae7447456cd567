"""One authenticated HTTP session to a Jellyfin server.

Authentication is the ``Authorization: MediaBrowser Client=.., Device=.., DeviceId=..,
Version=.., Token=..`` header that both 10.11 and 12.0 accept. The legacy forms
(``X-Emby-Token``, ``X-MediaBrowser-Token``, the ``Emby`` scheme, ``api_key``) are off
by default from 12.0 and are never sent. A password is exchanged once, lazily and
under a lock, for an access token (``POST /Users/AuthenticateByName``).

Retries, timeouts and the mapping of HTTP failures to connector errors are
:class:`connectors.http.HttpClient`'s; a 401 names ``servers.<name>.api_key`` or
``servers.<name>.password``.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from connectors.errors import AuthError, RequestRejected
from connectors.http import HttpClient
from connectors.media_servers import art
from medialake.log import register_secret

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from connectors.media_servers.jellyfin.config import JellyfinConfig

CLIENT = "medialake"
VERSION = "0.1.0"
Params = dict[str, str | int]


@dataclass(frozen=True, slots=True)
class JellyfinUser:
    """The user whose play data and playlists are read."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a paged listing and the server's clock when it answered."""

    items: list[dict[str, Any]]
    total: int
    server_time: datetime


class JellyfinSession:
    """HTTP to one server: auth header, login, the acting user, JSON and paging."""

    def __init__(self, name: str, config: JellyfinConfig) -> None:
        self.name = name
        self.config = config
        key = "api_key" if config.api_key is not None else "password"
        self.credential = f"servers.{name}.{key}"
        self.device_id = uuid.uuid5(
            uuid.NAMESPACE_URL, f"medialake:{name}:{config.base_url}"
        ).hex
        self.http = HttpClient(
            name,
            config.base_url,
            credential=self.credential,
            headers={"Accept": "application/json"},
            timeout=config.timeout,
            retries=config.retries,
            backoff=config.backoff_s,
            verify=config.verify_tls,
        )
        self._lock = threading.Lock()
        self._token: str | None = None
        self._user: JellyfinUser | None = None
        self._user_known = False
        if config.api_key is not None:
            self._set_token(config.api_key.get_secret_value(), None)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def authorization(self, token: str | None) -> str:
        """The ``MediaBrowser`` Authorization header value (with ``Token`` if any)."""
        parts = {
            "Client": CLIENT,
            "Device": "medialake",
            "DeviceId": self.device_id,
            "Version": VERSION,
        }
        if token:
            parts["Token"] = token
        return "MediaBrowser " + ", ".join(f'{k}="{v}"' for k, v in parts.items())

    def _set_token(self, token: str, user: JellyfinUser | None) -> None:
        register_secret(token)
        self._token = token
        self.http.client.headers["Authorization"] = self.authorization(token)
        if user is not None:
            self._user, self._user_known = user, True

    def login(self) -> None:
        """Exchange the password for an access token, once (thread-safe)."""
        with self._lock:
            if self._token is not None:
                return
            password = self.config.password
            body = {
                "Username": self.config.username,
                "Pw": password.get_secret_value() if password else "",
            }
            response = self.http.post(
                "/Users/AuthenticateByName",
                json=body,
                headers={"Authorization": self.authorization(None)},
            )
            data = response.json()
            token, user = data.get("AccessToken"), data.get("User") or {}
            if not token:
                raise AuthError(self.name, self.credential, "the server sent no token")
            found = JellyfinUser(user["Id"], user.get("Name") or "") if user else None
            self._set_token(token, found)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An authenticated request (logging in first when a password is set)."""
        if self._token is None:
            self.login()
        return self.http.request(method, path, **kwargs)

    def image(self, path: str, max_bytes: int) -> bytes:
        """A picture on this server (no redirect followed), at most ``max_bytes``;
        not retried here (the artwork flow falls back to another source)."""
        if self._token is None:
            self.login()
        with self.http.stream(
            "GET", path, headers={"Accept": "image/*"}, follow_redirects=False
        ) as response:
            if 300 <= response.status_code < 400:
                raise art.refuse_redirect(self.name, response.status_code)
            return art.read_capped(self.name, response.iter_bytes(), max_bytes)

    def get_json(self, path: str, params: Params | None = None) -> Any:
        """``GET`` a JSON document."""
        return self.request("GET", path, params=params).json()

    def page(self, path: str, params: Params, start: int, limit: int) -> Page:
        """One page of a ``BaseItemDtoQueryResult`` listing."""
        query = {**params, "startIndex": start, "limit": limit}
        response = self.request("GET", path, params=query)
        data = response.json()
        if not isinstance(data, dict) or "Items" not in data:
            raise RequestRejected(self.name, f"GET {path}: not an item listing")
        return Page(
            data.get("Items") or [],
            int(data.get("TotalRecordCount") or 0),
            _server_time(response),
        )

    def iter_items(
        self,
        path: str,
        params: Params,
        stop: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Every item of a (small) listing, page after page, up to the first item
        for which ``stop`` is true (excluded)."""
        items: list[dict[str, Any]] = []
        size, start = self.config.page_size, 0
        while True:
            page = self.page(path, params, start, size)
            start += len(page.items)
            for item in page.items:
                if stop is not None and stop(item):
                    return items
                items.append(item)
            if not page.items or start >= page.total:
                return items

    def user(self) -> JellyfinUser | None:
        """The acting user: configured, logged in, or found by name or as an admin."""
        with self._lock:
            known = self._user_known
        if not known:
            found = self._find_user()
            with self._lock:
                self._user, self._user_known = found, True
        return self._user

    def _find_user(self) -> JellyfinUser | None:
        cfg = self.config
        if self._token is None:
            self.login()
            if self._user is not None:
                return self._user
        users = self.get_json("/Users")
        if cfg.user_id:
            want = cfg.user_id.replace("-", "").lower()
            match = [u for u in users if u["Id"].replace("-", "").lower() == want]
            return JellyfinUser(cfg.user_id, match[0]["Name"] if match else cfg.user_id)
        named = [u for u in users if cfg.username and u.get("Name") == cfg.username]
        admins = [u for u in users if (u.get("Policy") or {}).get("IsAdministrator")]
        chosen = (named or admins or users or [None])[0]
        return JellyfinUser(chosen["Id"], chosen.get("Name") or "") if chosen else None


def _server_time(response: httpx.Response) -> datetime:
    """The server's clock from its ``Date`` header (ours when it sends none)."""
    value = response.headers.get("Date")
    if value:
        try:
            return parsedate_to_datetime(value).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    return datetime.now(UTC)
