"""The MediaServerEngine: the configured servers, the active one, and dispatch.

Nothing outside the clients branches on a server's kind: callers name an operation of
the contract and the engine calls it on the active server or on the one named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.media_servers.registry import create_client

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectors.media_servers.base import MediaServerClient


class MediaServerEngine:
    """Holds the configured clients and dispatches contract operations to them."""

    def __init__(
        self, clients: Mapping[str, MediaServerClient], active: str | None = None
    ) -> None:
        if not clients:
            raise ValueError("no media servers are configured")
        self._clients = dict(clients)
        self._active = active or next(iter(self._clients))
        self.get(self._active)

    @classmethod
    def from_settings(
        cls, servers: Mapping[str, dict[str, Any]], active: str | None = None
    ) -> MediaServerEngine:
        """Build every ``[servers.NAME]`` client, validating each table."""
        clients = {
            name: create_client(name, dict(table)) for name, table in servers.items()
        }
        return cls(clients, active)

    @property
    def names(self) -> list[str]:
        """Configured server names, in settings order."""
        return list(self._clients)

    @property
    def active(self) -> MediaServerClient:
        """The server that single-server operations go to."""
        return self._clients[self._active]

    def get(self, name: str) -> MediaServerClient:
        """The client called ``name``."""
        try:
            return self._clients[name]
        except KeyError:
            known = ", ".join(self._clients)
            raise KeyError(f"no server named {name!r} (configured: {known})") from None

    def clients(self) -> list[MediaServerClient]:
        """Every configured client."""
        return list(self._clients.values())

    def call(
        self, operation: str, *args: Any, server: str | None = None, **kw: Any
    ) -> Any:
        """Call one contract operation on ``server`` (the active one by default)."""
        client = self.get(server) if server else self.active
        return getattr(client, _operation(operation))(*args, **kw)


def _operation(name: str) -> str:
    from connectors.media_servers.base import MediaServerClient

    if name.startswith("_") or not callable(getattr(MediaServerClient, name, None)):
        raise AttributeError(
            f"{name!r} is not an operation of the media-server contract"
        )
    return name
