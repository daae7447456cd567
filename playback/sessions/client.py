"""A small client of the sessions API, for the dashboard (and scripts).

The dashboard never touches a live session itself: it asks the playback service, which
holds the state. The bearer token is derived from the service's key
(:func:`playback.sessions.keys.api_token`), which the dashboard reads the same way the
service does; it never leaves this process except in the ``Authorization`` header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from playback.sessions import keys

if TYPE_CHECKING:
    from medialake.settings import Settings


class SessionsApiError(RuntimeError):
    """The service answered with an error; the message says what it said."""


class ServiceUnreachable(SessionsApiError):
    """Nothing answered at the service's address."""


class SessionsClient:
    """Calls to ``/api/sessions`` on one playback service."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"authorization": f"Bearer {token}"}
        self.timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionsClient:
        """A client for the configured service (``playback.public_url`` or host and
        port)."""
        from playback.server import base_url
        from playback.tokens import load_key

        return cls(base_url(settings), keys.api_token(load_key(settings)))

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        try:
            response = httpx.request(
                method,
                f"{self.base_url}{path}",
                json=body,
                headers=self._headers,
                timeout=self.timeout_s,
            )
        except httpx.TransportError as exc:
            raise ServiceUnreachable(
                f"the playback service does not answer at {self.base_url}"
                f" ({type(exc).__name__})"
            ) from None
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code >= 400:
            message = payload.get("message") if isinstance(payload, dict) else None
            raise SessionsApiError(message or f"HTTP {response.status_code}")
        return payload if isinstance(payload, dict) else {}

    def sessions(self) -> list[dict[str, Any]]:
        """Live sessions, each with its members and links."""
        return list(self._call("GET", "/api/sessions").get("sessions", []))

    def session(self, session_id: str) -> dict[str, Any]:
        """One session."""
        return self._call("GET", f"/api/sessions/{session_id}")

    def create(
        self,
        asset_id: str,
        mode: str = "host",
        buffering: str = "wait",
        created_by: str = "dashboard",
    ) -> dict[str, Any]:
        """Create a session; the answer holds its invite and host links."""
        body = {
            "asset_id": asset_id,
            "mode": mode,
            "buffering": buffering,
            "created_by": created_by,
        }
        return self._call("POST", "/api/sessions", body)

    def control(
        self, session_id: str, action: str, position: float | None = None
    ) -> dict[str, Any]:
        """Play, pause, seek (``position`` in seconds) or end, as the host."""
        body: dict[str, Any] = {"action": action}
        if position is not None:
            body["position"] = float(position)
        return self._call("POST", f"/api/sessions/{session_id}/control", body)
