"""The download-source contract: dumb plugins, and the registry that names them.

A source only talks to its service: :meth:`~DownloadSource.search_raw` turns a request
into candidates, :meth:`~DownloadSource.download_raw` puts one candidate's file into a
staging folder while reporting progress, :meth:`~DownloadSource.cancel_raw` stops a
transfer the service runs on its side. Job state, limits, retries, the fallback chain,
the quality filter and dedup belong to the engine
(:class:`connectors.downloads.engine.DownloadEngine`).

Progress callbacks may raise (the engine raises ``Cancelled`` from them when the user
cancels); a source lets that exception propagate and cleans up what it owns remotely.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from medialake.log import register_secret

if TYPE_CHECKING:
    from pathlib import Path

    from connectors.downloads.records import Candidate, Fetched, Kind, Request
    from medialake.settings import DownloadsSettings

ProgressFn = Callable[[int, "int | None"], None]
"""``progress(bytes_done, bytes_total_or_None)``; may raise to stop the transfer."""

BUILTIN_MODULES = ("http_file", "ytdlp", "podcasts", "slskd", "lidarr", "articles")
_sources: dict[str, type[DownloadSource]] = {}


class DownloadSource(ABC):
    """One source of files. Subclasses set ``name`` and ``kinds``."""

    name: ClassVar[str]
    kinds: ClassVar[frozenset[Kind]]
    album_only: ClassVar[bool] = False

    def __init__(self, settings: DownloadsSettings) -> None:
        self.settings = settings
        self.reload_settings(settings)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def reload_settings(self, settings: DownloadsSettings) -> None:
        """Take new settings (URLs, keys, timeouts); register secrets for redaction."""
        self.settings = settings
        for key in ("slskd_api_key", "lidarr_api_key"):
            secret = getattr(settings, key)
            if secret is not None:
                register_secret(secret.get_secret_value())

    def accepts(self, request: Request) -> bool:
        """Whether this source can serve ``request`` at all (kind, album-only)."""
        from connectors.downloads.records import Kind

        if self.album_only and request.kind is not Kind.ALBUM:
            return False
        return request.kind in self.kinds

    @abstractmethod
    def is_configured(self) -> bool:
        """Whether the settings this source needs are present."""

    @abstractmethod
    def check_connection(self) -> None:
        """Reach the service or raise ``AuthError``/``TransientError``."""

    @abstractmethod
    def search_raw(self, request: Request) -> list[Candidate]:
        """Candidates for ``request``, unfiltered; ``[]`` when the service has none."""

    @abstractmethod
    def download_raw(
        self, candidate: Candidate, staging: Path, progress: ProgressFn
    ) -> Fetched:
        """Transfer ``candidate`` into the folder ``staging``; raise on any failure."""

    def cancel_raw(self, candidate: Candidate) -> None:  # noqa: B027 - optional hook
        """Stop a transfer the service runs on its side (nothing to do by default)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def register(cls: type[DownloadSource]) -> type[DownloadSource]:
    """Class decorator: make ``cls`` the source called ``cls.name``."""
    _sources[cls.name] = cls
    return cls


def source_classes() -> dict[str, type[DownloadSource]]:
    """Every registered source class by name (built-ins imported on first use)."""
    for module in BUILTIN_MODULES:
        importlib.import_module(f"connectors.downloads.{module}")
    return dict(_sources)


def build_sources(settings: DownloadsSettings) -> list[DownloadSource]:
    """The configured fallback chain, in the order of ``settings.sources``.

    Raises:
        ValueError: a name in ``downloads.sources`` is not a known source.
    """
    classes = source_classes()
    unknown = [name for name in settings.sources if name not in classes]
    if unknown:
        known = ", ".join(sorted(classes))
        raise ValueError(
            f"downloads.sources: unknown source(s) {', '.join(unknown)}"
            f" (known: {known})"
        )
    return [classes[name](settings) for name in settings.sources]
