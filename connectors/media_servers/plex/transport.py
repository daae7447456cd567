"""Transport to one Plex server: a ``requests`` session with bounded retries, the
``plexapi`` server object, and the one place where failures become connector errors.

Retries live here only, in the session's transport (a urllib3 ``Retry``): timeouts,
refused connections, 429 and 5xx are retried with exponential backoff and jitter
(``Retry-After`` honoured); POSTs are not retried once sent, so a playlist is never
created twice. What is left after the retries is mapped once by :meth:`errors`:
401/403 -> :class:`AuthError` naming ``servers.<name>.token``, 404 ->
:class:`NotFound`, 429/5xx/timeouts -> :class:`TransientError`. plexapi sends the token
as a header, and every error text is built from our own path (no query string) and
then redacted, so the token never reaches an exception or a log line.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

import requests
from plexapi import exceptions as plex_exc
from plexapi.server import PlexServer
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from connectors.errors import AuthError, NotFound, RequestRejected, TransientError
from connectors.media_servers import art
from medialake.log import redact

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from xml.etree.ElementTree import Element

    from connectors.media_servers.plex.config import PlexConfig

log = logging.getLogger(__name__)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_STATUS = re.compile(r"^\((\d{3})\)")


class BackoffRetry(Retry):
    """urllib3's ``Retry`` with a delay before the first retry too, and jitter.

    (urllib3 2 retries the first failure at once; a server that just answered 503 is
    better given a moment.)
    """

    def get_backoff_time(self) -> float:
        errors = len(self.history)
        if errors == 0 or self.backoff_factor <= 0:
            return 0.0
        delay = self.backoff_factor * 2 ** (errors - 1) * random.uniform(0.75, 1.25)
        return float(min(self.backoff_max, delay))


def build_session(config: PlexConfig) -> requests.Session:
    """A session whose transport retries transient failures with backoff."""
    retry = BackoffRetry(
        total=config.retries,
        connect=config.retries,
        read=config.retries,
        status=config.retries,
        other=0,
        backoff_factor=config.backoff,
        backoff_max=30.0,
        status_forcelist=RETRY_STATUS,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(
        max_retries=retry, pool_connections=2, pool_maxsize=config.page_workers * 2 + 2
    )
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.verify = config.verify_tls
    return session


class PlexConnection:
    """One server's session and lazily connected ``PlexServer``, shared by threads."""

    def __init__(self, name: str, config: PlexConfig) -> None:
        self.name = name
        self.config = config
        self.credential = f"servers.{name}.token"
        self.attempts = config.retries + 1
        self._session = build_session(config)
        self._server: PlexServer | None = None
        self._lock = threading.Lock()

    @property
    def server(self) -> PlexServer:
        """The connected ``PlexServer`` (connects on first use).

        Raises:
            AuthError, TransientError, NotFound, RequestRejected: see :meth:`errors`.
        """
        with self._lock:
            if self._server is None:
                with self.errors("GET", "/"):
                    self._server = PlexServer(
                        self.config.url,
                        self.config.token.get_secret_value(),
                        session=self._session,
                        timeout=self.config.timeout,
                    )
            return self._server

    def disconnect(self) -> None:
        """Forget the server object; the next call connects again."""
        with self._lock:
            self._server = None

    def query(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        start: int | None = None,
        size: int | None = None,
        method: str = "get",
        **kwargs: Any,
    ) -> Element | None:
        """Send one request through plexapi and return the parsed XML (None if empty).

        Args:
            path: the path, without a query string.
            params: query parameters.
            start: ``X-Plex-Container-Start`` (paging), sent as a header.
            size: ``X-Plex-Container-Size`` (paging), sent as a header.
            method: ``get``, ``put``, ``post`` or ``delete``.
            kwargs: passed to ``requests`` (e.g. ``data=``).
        """
        headers = {}
        if start is not None:
            headers["X-Plex-Container-Start"] = str(start)
        if size is not None:
            headers["X-Plex-Container-Size"] = str(size)
        server = self.server
        send = getattr(self._session, method)
        with self.errors(method.upper(), path):
            return server.query(
                path, method=send, headers=headers, params=dict(params or {}), **kwargs
            )

    def fetch_bytes(self, url: str, max_bytes: int) -> bytes:
        """A picture at ``url`` (on the server's origin: see :mod:`..art`), with the
        token in a header, no redirect followed, at most ``max_bytes``."""
        where = f"GET {urlsplit(url).path}"
        headers = {
            "X-Plex-Token": self.config.token.get_secret_value(),
            "Accept": "image/*",
        }
        with self.errors("GET", urlsplit(url).path):
            response = self._session.get(
                url,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=self.config.timeout,
            )
        with response:
            status = response.status_code
            if 300 <= status < 400:
                raise art.refuse_redirect(self.name, status)
            if status >= 400:
                raise self._status_error(status, where)
            with self.errors("GET", urlsplit(url).path):
                return art.read_capped(
                    self.name, response.iter_content(64 * 1024), max_bytes
                )

    def _status_error(self, status: int, where: str) -> Exception:
        if status in (401, 403):
            return AuthError(self.name, self.credential, f"HTTP {status} on {where}")
        if status == 404:
            return NotFound(self.name, f"nothing at {where}")
        if status in RETRY_STATUS or status >= 500:
            text = f"HTTP {status} on {where} (gave up after {self.attempts} attempts)"
            return TransientError(self.name, text)
        return RequestRejected(self.name, f"HTTP {status} on {where}")

    @contextmanager
    def errors(self, method: str, path: str) -> Iterator[None]:
        """Map plexapi and requests failures to connector errors, once, token-free."""
        where = f"{method} {path.split('?', 1)[0]}"
        try:
            yield
        except plex_exc.Unauthorized:
            raise AuthError(
                self.name, self.credential, f"HTTP 401 on {where}"
            ) from None
        except plex_exc.NotFound:
            raise NotFound(self.name, f"nothing at {where}") from None
        except plex_exc.BadRequest as exc:
            raise self._bad_request(exc, where) from None
        except requests.exceptions.RequestException as exc:
            raise self._transport_failure(exc, where) from None
        except ParseError:
            raise TransientError(
                self.name, f"unreadable XML answer to {where}"
            ) from None

    def _bad_request(self, exc: plex_exc.BadRequest, where: str) -> Exception:
        match = _STATUS.match(str(exc))
        if match is None:  # raised by plexapi itself, before any request
            return RequestRejected(self.name, f"{where}: {redact(_first_line(exc))}")
        status = int(match.group(1))
        if status == 403:
            return AuthError(self.name, self.credential, f"HTTP 403 on {where}")
        if status in RETRY_STATUS or status >= 500:
            text = f"HTTP {status} on {where} (gave up after {self.attempts} attempts)"
            log.warning("%s: %s", self.name, text)
            return TransientError(self.name, text)
        return RequestRejected(self.name, f"HTTP {status} on {where}")

    def _transport_failure(self, exc: Exception, where: str) -> TransientError:
        text = str(exc).lower()
        if isinstance(exc, requests.exceptions.Timeout) or "timed out" in text:
            kind = f"no answer within {self.config.timeout:g} s"
        elif "refused" in text:
            kind = "connection refused"
        else:
            kind = f"connection failed ({type(exc).__name__})"
        detail = f"{kind} on {where} (gave up after {self.attempts} attempts)"
        log.warning("%s: %s", self.name, detail)
        return TransientError(self.name, detail)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return re.sub(r"https?://\S+", "<url>", text.splitlines()[0])[:200]
