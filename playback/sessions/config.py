"""What the sessions feature needs to know, independent of how settings are read.

:class:`SessionConfig` is built from ``[sessions]`` in the settings
(:func:`from_settings`) or directly in tests. :meth:`SessionConfig.client` is the part
every player receives in its ``welcome`` message: the drift thresholds and the clock
sync cadence live in settings, not in the script.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medialake.settings import Settings


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Policy, timing, limits and the player's correction thresholds."""

    mode: str = "host"
    buffering: str = "wait"
    min_lead_ms: float = 300.0
    max_lead_ms: float = 2500.0
    lead_margin_ms: float = 150.0
    wait_timeout_s: float = 10.0
    drift_small_ms: float = 20.0
    drift_large_ms: float = 800.0
    max_rate_change: float = 0.1
    rate_gain: float = 1.5
    clock_samples: int = 2
    clock_window: int = 48
    clock_refresh_s: float = 1.0
    buffer_grace_s: float = 1.0
    server_ping_s: float = 2.0
    flush_interval_s: float = 1.0
    join_timeout_s: float = 10.0
    max_message_bytes: int = 4096
    max_messages_per_s: float = 20.0
    burst_messages: int = 40
    max_members: int = 32
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    public_url: str | None = None
    own_origins: tuple[str, ...] = field(default_factory=tuple)

    def client(self) -> dict[str, Any]:
        """The thresholds the player's sync script applies."""
        keys = (
            "drift_small_ms",
            "drift_large_ms",
            "max_rate_change",
            "rate_gain",
            "clock_samples",
            "clock_window",
            "clock_refresh_s",
            "buffer_grace_s",
        )
        values = asdict(self)
        return {k: values[k] for k in keys}


def from_settings(settings: Settings) -> SessionConfig:
    """The configuration from ``[sessions]`` (and ``playback.public_url``)."""
    section = settings.sessions.model_dump()
    section["allowed_origins"] = tuple(section.get("allowed_origins") or ())
    known = set(SessionConfig.__dataclass_fields__)
    values = {k: v for k, v in section.items() if k in known}
    return SessionConfig(
        **values,
        public_url=settings.playback.public_url,
        own_origins=own_origins(settings.playback.host, settings.playback.port),
    )


def own_origins(host: str, port: int) -> tuple[str, ...]:
    """The origins of the service's own pages, from where it listens (never from a
    request's ``Host`` header, which the client chooses). A service listening on
    every address is reached by name: set ``playback.public_url`` for it."""
    names = {host}
    if host in ("0.0.0.0", "::", "127.0.0.1", "localhost", "::1"):
        names = {"127.0.0.1", "localhost", "[::1]"}
    elif ":" in host:
        names = {f"[{host}]"}
    return tuple(sorted(f"http://{name}:{port}" for name in names))
