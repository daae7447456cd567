"""What every client's ``artwork`` operation shares: the same-origin rule and a
size cap.

A server names its pictures itself (Plex's ``thumb`` attribute may be a path on the
server or a full URL anywhere). A client only ever fetches from the origin (scheme,
host and port) of the server it is configured for, with that server's credentials:
a reference to another host is refused before any request is made, and a redirect is
never followed, so a server (or whoever controls its metadata) cannot make medialake
send its token elsewhere or fetch from the local network. A body over the cap is
refused while it is read, before it is all in memory. Whether the bytes are a picture
is checked later, by content (:mod:`connectors.metadata.images`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from connectors.errors import RequestRejected

if TYPE_CHECKING:
    from collections.abc import Iterable

ENTITIES = ("movie", "show", "album")
"""The items that have a picture of their own (tracks show their album's, episodes
their show's)."""


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``, with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def same_origin_url(server: str, base_url: str, ref: str) -> str:
    """``ref`` (a path or a URL the server gave) as a URL on ``base_url``'s origin.

    Raises:
        RequestRejected: ``ref`` points to another scheme, host or port.
    """
    url = urljoin(base_url.rstrip("/") + "/", ref)
    if origin(url) != origin(base_url):
        scheme, host, port = origin(url)
        raise RequestRejected(
            server,
            f"the picture is on another host ({scheme}://{host}:{port}); medialake only"
            " fetches pictures from the server itself",
        )
    return url


def refuse_redirect(server: str, status: int) -> RequestRejected:
    """The error for a picture answered with a redirect (never followed)."""
    return RequestRejected(
        server, f"HTTP {status}: the server redirected the picture; not followed"
    )


def read_capped(server: str, chunks: Iterable[bytes], max_bytes: int) -> bytes:
    """The body from ``chunks``, refused as soon as it passes ``max_bytes``.

    Raises:
        RequestRejected: the picture is larger than ``max_bytes``.
    """
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise RequestRejected(
                server, f"the picture is over the {max_bytes} byte limit"
            )
    if not body:
        raise RequestRejected(server, "the server sent an empty picture")
    return bytes(body)
