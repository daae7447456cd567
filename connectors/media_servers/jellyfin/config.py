"""Settings of one Jellyfin server: a ``[servers.NAME]`` table, ``kind = "jellyfin"``.

Either an API key (``api_key``, made in the dashboard under API Keys) or a user name and
password. Secrets are :class:`~pydantic.SecretStr` and never printed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from connectors.media_servers.base import ServerConfig


class JellyfinConfig(ServerConfig):
    """``[servers.NAME]`` with ``kind = "jellyfin"``.

    Attributes:
        url: the server's base URL, e.g. ``http://jellyfin.lan:8096``.
        api_key: an API key; it acts for the user named by ``username``/``user_id``
            (or the first administrator) when play data is read.
        username: the user to log in as (with ``password``) or to act for.
        password: the user's password (used once, to get an access token).
        user_id: the user whose play counts and playlists are read (a GUID).
        timeout: seconds per request.
        page_size: items per ``/Items`` page.
        page_threads: pages of one batch fetched at the same time.
        retries: attempts after the first on 5xx, 429 and timeouts.
        backoff_s: first retry delay (doubles each attempt).
    """

    kind: Literal["jellyfin"] = "jellyfin"
    url: str = Field(pattern=r"^https?://\S+$")
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    user_id: str | None = Field(default=None, pattern=r"^[0-9a-fA-F-]{32,36}$")
    timeout: float = Field(default=30.0, gt=0)
    page_size: int = Field(default=250, ge=10, le=5000)
    page_threads: int = Field(default=3, ge=1, le=16)
    retries: int = Field(default=3, ge=0, le=10)
    backoff_s: float = Field(default=0.5, ge=0)
    verify_tls: bool = True

    @field_validator("api_key", "password", "username", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        """An all-digit key read from the environment arrives as a number."""
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _credentials(self) -> JellyfinConfig:
        if self.api_key is None and not (self.username and self.password):
            raise ValueError("set api_key, or username and password")
        return self

    @property
    def base_url(self) -> str:
        """The URL without a trailing slash."""
        return self.url.rstrip("/")
