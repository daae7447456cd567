"""The metadata services of one batch, built from the ``[enrichment]`` settings.

:func:`build` wires the TMDb and MusicBrainz clients (sharing a response cache and
request counters, MusicBrainz behind the machine-wide limiter in the data folder), the
optional AcoustID verifier and the :class:`Identifier`. It also says, before any
request, when a service cannot be asked at all (no TMDb key) and turns a service fault
into the reason recorded on skipped items.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.errors import AuthError, ConnectorError
from connectors.metadata.acoustid import AcoustidVerifier
from connectors.metadata.cache import RequestStats
from connectors.metadata.identify import Identifier
from connectors.metadata.musicbrainz import MusicBrainzClient
from connectors.metadata.ratelimit import ProcessRateLimiter
from connectors.metadata.scoring import Thresholds
from connectors.metadata.tmdb import TmdbClient

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from connectors.metadata.cache import ResponseCache
    from connectors.metadata.identify import Outcome
    from medialake.settings import EnrichmentSettings

TMDB_KEY_ENV = "MEDIALAKE_ENRICHMENT_TMDB_API_KEY"


@dataclass(slots=True)
class Services:
    """Clients, counters and the identifier for one batch."""

    tmdb: TmdbClient
    musicbrainz: MusicBrainzClient
    identifier: Identifier
    stats: RequestStats
    cache: Any  # the ResponseCache given to build (the caller drains it)

    def unavailable(self, kind: str) -> str | None:
        """Why items of ``kind`` cannot be identified at all now, or None."""
        if kind in ("movie", "show") and not self.tmdb.configured:
            return f"no TMDb API key: set {TMDB_KEY_ENV} (or enrichment.tmdb_api_key)"
        return None

    def close(self) -> None:
        """Close the HTTP connection pools."""
        self.tmdb.close()


def limiter_path(home: Path) -> Path:
    """The machine-wide MusicBrainz lock-and-timestamp file in the data folder."""
    return home / "ratelimit" / "musicbrainz.lock"


def build(
    config: EnrichmentSettings,
    home: Path,
    cache: ResponseCache,
    local_path: Callable[[str, str], Path | None] | None = None,
) -> Services:
    """Wire every client of one batch from the settings."""
    stats = RequestStats()
    http: dict[str, Any] = {
        "retries": config.http_retries,
        "backoff": config.http_backoff_s,
        "timeout": config.http_timeout_s,
    }
    tmdb = TmdbClient(
        api_key=_secret(config.tmdb_api_key),
        base_url=config.tmdb_base_url,
        image_base_url=config.tmdb_image_base_url,
        cache=cache,
        stats=stats,
        min_interval=config.tmdb_min_interval_s,
        **http,
    )
    mb = MusicBrainzClient(
        base_url=config.musicbrainz_base_url,
        coverart_url=config.coverart_base_url,
        contact=config.musicbrainz_contact,
        limiter=ProcessRateLimiter(
            limiter_path(home), config.musicbrainz_min_interval_s
        ),
        cache=cache,
        stats=stats,
        **http,
    )
    verifier = AcoustidVerifier(
        _secret(config.acoustid_api_key),
        config.acoustid_base_url,
        config.http_timeout_s,
    )
    thresholds = Thresholds(
        config.accept_threshold, config.review_threshold, config.ambiguity_margin
    )
    identifier = Identifier(tmdb, mb, thresholds, verifier, local_path)
    return Services(tmdb, mb, identifier, stats, cache)


def skip_reason(exc: ConnectorError) -> str:
    """What to record on items skipped because of ``exc`` (no secret in it)."""
    if isinstance(exc, AuthError):
        return f"{exc.service} refused the credential '{exc.credential}': {exc.detail}"
    return f"{exc.service} unavailable: {exc.detail}; retried next run"


def decision_counts(
    outcomes: Sequence[Outcome], stats: RequestStats, kind: str
) -> dict[str, int]:
    """Counts of the unit's item decisions (not episodes or tracks) and requests."""
    statuses = Counter(
        row["status"]
        for out in outcomes
        for row in out.identities
        if row["entity"] == kind
    )
    return {
        "accepted": statuses["accepted"],
        "review": statuses["review"],
        "rejected": statuses["rejected"],
        "skipped": statuses["skipped"],
        "requests": stats.total_requests,
        "cache_hits": stats.total_hits,
    }


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None
