"""The connector error hierarchy: one small set of typed errors, mapped once per client.

- :class:`NotFound`: the service answered and had nothing. Do not retry.
- :class:`AuthError`: a credential was refused. Do not retry; the message names the
  credential (never its value).
- :class:`TransientError`: a fault that may pass (timeouts, 5xx, 429, refused
  connections). Retry it, at one layer only.
- :class:`LibraryUnavailable`: the library's location is missing, empty or unreachable,
  so nothing it did not list may be treated as removed.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.detail = message


class NotFound(ConnectorError):
    """The service answered and had nothing; retrying will not help."""


class AuthError(ConnectorError):
    """A credential was refused; names the credential, never its value."""

    def __init__(self, service: str, credential: str, message: str = "") -> None:
        text = f"credential '{credential}' was refused"
        super().__init__(service, f"{text}: {message}" if message else text)
        self.credential = credential


class TransientError(ConnectorError):
    """A fault that may pass: retry with backoff."""


class LibraryUnavailable(ConnectorError):
    """The library root is missing, empty or unreachable: remove nothing."""


class RequestRejected(ConnectorError):
    """The service refused the request as malformed (a 4xx other than 401/403/404/429):
    a bug on our side, so it is not retried."""
