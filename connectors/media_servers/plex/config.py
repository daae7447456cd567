"""Settings of one Plex server: a ``[servers.NAME]`` table with ``kind = "plex"``."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator

from connectors.media_servers.base import ServerConfig


class PlexConfig(ServerConfig):
    """``[servers.NAME]`` with ``kind = "plex"``.

    Attributes:
        url: the server's base URL, e.g. ``http://192.168.1.10:32400``.
        token: the ``X-Plex-Token`` (from the environment, never logged).
        music_sections: titles of the music sections to read (empty: every one).
        video_sections: titles of the movie and TV sections to read (empty: every one).
        timeout: seconds per HTTP request.
        retries: attempts after the first for 429/5xx answers and timeouts.
        backoff: the first retry's delay in seconds; each next one doubles.
        page_size: items per page (``X-Plex-Container-Size``).
        page_workers: pages fetched at once within one unit of work.
        verify_tls: check the server's TLS certificate (https URLs).
    """

    kind: Literal["plex"] = "plex"
    url: str
    token: SecretStr
    music_sections: list[str] = Field(default_factory=list)
    video_sections: list[str] = Field(default_factory=list)
    timeout: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=3, ge=0, le=10)
    backoff: float = Field(default=0.5, ge=0, le=60)
    page_size: int = Field(default=250, ge=1, le=5000)
    page_workers: int = Field(default=4, ge=1, le=16)
    verify_tls: bool = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if parts.query or parts.username or parts.password:
            raise ValueError("must not carry a query string or credentials")
        return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))

    @field_validator("music_sections", "video_sections", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):  # from the environment: "Music,Audiobooks"
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
