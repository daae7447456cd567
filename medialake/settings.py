"""Settings: ``medialake.toml`` in the data folder, overridden by environment variables.

Every key ``[section] key`` can be overridden by ``MEDIALAKE_<SECTION>_<KEY>``; a server
declared as ``[servers.NAME]`` takes ``MEDIALAKE_SERVERS_<NAME>_<KEY>``. Values from the
environment are read as TOML values when they parse (``0.3``, ``true``, ``["a", "b"]``)
and as plain strings otherwise. Validation happens once, at start-up, and a failure
names the key and what is wrong with it. Secrets are :class:`pydantic.SecretStr` and
never printed.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

HOME_ENV = "MEDIALAKE_HOME"
# Not a setting: the project folder prefect.yaml's pull step changes into.
PROJECT_DIR_ENV = "MEDIALAKE_PROJECT_DIR"
ENV_PREFIX = "MEDIALAKE_"
SETTINGS_FILE = "medialake.toml"


class SettingsError(ValueError):
    """Raised when settings are missing or invalid; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarehouseSettings(_Section):
    """Where the DuckLake warehouse lives and how long callers wait.

    ``catalog`` is a SQLite file (default ``<home>/medialake.sqlite``, relative paths
    are under the home) or a ``postgresql://`` URL (shared mode, then ``data_path`` is
    required: a folder every machine mounts at the same place). ``data_path`` holds the
    Parquet files (default: ``<catalog>.files`` beside the SQLite catalog).
    ``lock_timeout_s`` is how long a writer waits for the write lock;
    ``statement_timeout_s`` stops an ad-hoc query (``medialake sql``, the SQL page).
    ``snapshot_retention_days``: how long the maintenance flow keeps old snapshots
    (time travel) and the files they need.
    """

    catalog: str | None = None
    data_path: Path | None = None
    lock_timeout_s: float = Field(default=30.0, gt=0)
    statement_timeout_s: float = Field(default=30.0, gt=0)
    snapshot_retention_days: float = Field(default=7.0, ge=0)


class SyncSettings(_Section):
    """Library sync policy."""

    removal_threshold: float = Field(default=0.5, ge=0, le=1)
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    read_workers: int = Field(default=2, ge=1, le=64)
    # An incremental run that finds nothing to read is recorded without Prefect's task
    # runs (and, from the CLI, without a Prefect server); false: always run the flow.
    quick_unchanged: bool = True


class PrefectSettings(_Section):
    """Prefect: the API to talk to (empty: a local server, see ``server``), and the
    database of the server ``medialake up`` starts (empty: SQLite in the data folder,
    or the warehouse's PostgreSQL when its catalog is one)."""

    api_url: str | None = None
    logging_level: str = "WARNING"
    database_url: SecretStr | None = None
    # Without api_url: "background" starts one local server and reuses it (stopped by
    # `medialake server stop`); "ephemeral" starts one per command (seconds each).
    server: Literal["background", "ephemeral"] = "background"
    server_idle_minutes: float = Field(default=60.0, ge=0)  # 0: until stopped


def _default_sources() -> list[str]:
    return ["http", "ytdlp", "podcast", "slskd", "lidarr", "article"]


class DownloadsSettings(_Section):
    """Downloads: staging, naming, the source chain, quality, limits and source access.

    ``sources`` is the fallback chain, in order. ``concurrency`` (transfers at once,
    ``default_concurrency`` otherwise) and ``min_interval_s`` (seconds between a
    source's searches) map a source name to its limit; they become Prefect global
    concurrency and rate limits (``tasks.limits``), which hold across processes and
    machines. Templates name a file inside ``library_root`` (extension added).
    """

    staging_dir: Path | None = None
    library_root: Path | None = None
    sources: list[str] = Field(default_factory=_default_sources)
    music_template: str = "Music/{artist}/{album}/{title}"
    video_template: str = "Video/Downloads/{title}"
    podcast_template: str = "Podcasts/{show}/{date} {title}"
    article_template: str = "Articles/{site}/{title}"
    formats: list[str] = Field(default_factory=lambda: ["flac", "opus", "m4a", "mp3"])
    min_bitrate_kbps: int = Field(default=128, ge=0)
    max_sample_rate_hz: int = Field(default=192_000, ge=8_000)
    default_concurrency: int = Field(default=2, ge=1, le=64)
    concurrency: dict[str, int] = Field(default_factory=dict)
    min_interval_s: dict[str, float] = Field(default_factory=dict)
    retry_base_s: float = Field(default=900.0, ge=0)
    retry_max_s: float = Field(default=86_400.0, ge=0)
    max_attempts: int = Field(default=8, ge=1)
    duration_tolerance_s: float = Field(default=5.0, ge=0)
    http_timeout_s: float = Field(default=30.0, gt=0)
    http_retries: int = Field(default=3, ge=0)
    http_backoff_s: float = Field(default=0.5, ge=0)
    poll_interval_s: float = Field(default=2.0, gt=0)
    transfer_timeout_s: float = Field(default=6 * 3600.0, gt=0)
    slskd_url: str | None = None
    slskd_api_key: SecretStr | None = None
    slskd_downloads_dir: Path | None = None
    lidarr_url: str | None = None
    lidarr_api_key: SecretStr | None = None
    lidarr_root_folder: str | None = None

    def limit(self, source: str) -> int:
        """How many downloads of ``source`` may run at once, across processes."""
        return self.concurrency.get(source, self.default_concurrency)


class RipsSettings(_Section):
    """Disc rips with HandBrakeCLI: the watch folder, drives, preset and naming."""

    watch_dir: Path | None = None
    devices: list[str] = Field(default_factory=list)
    handbrake: str = "HandBrakeCLI"
    preset: str = "Fast 1080p30"
    container: Literal["mkv", "mp4"] = "mkv"
    min_feature_s: float = Field(default=1200.0, ge=0)
    max_feature_s: float = Field(default=4 * 3600.0, gt=0)
    stable_s: float = Field(default=10.0, ge=0)
    movie_template: str = "Video/Movies/{title} ({year})/{title} ({year})"
    cd_template: str = "Music/{artist}/{album} ({year})/{tracknumber} - {title}"
    cdparanoia: str = "cdparanoia"


class BooksSettings(_Section):
    """Books: the folders of EPUB and PDF files (empty: ``<library>/Books``)."""

    roots: list[Path] = Field(default_factory=list)
    batch_size: int = Field(default=200, ge=1)


class DashboardSettings(_Section):
    """The Streamlit dashboard: where it listens, how long it waits and caches."""

    host: str = "127.0.0.1"
    port: int = Field(default=8501, ge=1, le=65535)
    cache_ttl_s: float = Field(default=5.0, ge=0)
    page_size: int = Field(default=50, ge=5, le=1000)
    max_upload_mb: int = Field(default=4096, ge=1)  # members' uploads (issue 15)


class EnrichmentSettings(_Section):
    """Enrichment: ffprobe, TMDb, MusicBrainz, AcoustID, decision thresholds, cache.

    Thresholds (see ``connectors/metadata/scoring.py`` for the reasoning): a candidate
    at or above ``accept_threshold`` (0.85: two independent facts such as exact title
    and year agree) is accepted; from ``review_threshold`` (0.55) up it waits for
    review; below it is rejected. A runner-up within ``ambiguity_margin`` sends it to
    review. Keys come from the environment (``MEDIALAKE_ENRICHMENT_TMDB_API_KEY``);
    without one the items are recorded as skipped. MusicBrainz allows 1 request/s per
    client: ``musicbrainz_min_interval_s`` holds across every task and process of the
    machine.
    """

    accept_threshold: float = Field(default=0.85, gt=0, le=1)
    review_threshold: float = Field(default=0.55, ge=0, le=1)
    ambiguity_margin: float = Field(default=0.05, ge=0, le=1)
    tmdb_api_key: SecretStr | None = None
    tmdb_base_url: str = "https://api.themoviedb.org/3"
    tmdb_image_base_url: str = "https://image.tmdb.org/t/p"
    tmdb_min_interval_s: float = Field(default=0.05, ge=0)
    musicbrainz_base_url: str = "https://musicbrainz.org"
    musicbrainz_min_interval_s: float = Field(default=1.0, ge=0)
    musicbrainz_contact: str = "https://github.com/medialake/medialake"
    coverart_base_url: str = "https://coverartarchive.org"
    acoustid_api_key: SecretStr | None = None
    acoustid_base_url: str = "https://api.acoustid.org/v2"
    acoustid_min_interval_s: float = Field(default=0.34, ge=0)  # 3 requests/s
    fingerprint_batch_size: int = Field(default=200, ge=1, le=10_000)
    cache_ttl_days: float = Field(default=30.0, gt=0)
    not_found_ttl_days: float = Field(default=7.0, gt=0)
    probe_workers: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1, le=64)
    probe_timeout_s: float = Field(default=60.0, gt=0)
    probe_batch_size: int = Field(default=200, ge=1, le=10_000)
    identify_batch_size: int = Field(default=25, ge=1, le=1000)
    http_timeout_s: float = Field(default=15.0, gt=0)
    http_retries: int = Field(default=3, ge=0, le=10)
    http_backoff_s: float = Field(default=1.0, ge=0)
    download_artwork: bool = True
    # Library artwork (issue 15): images over this size are refused; thumbnails are
    # this wide; the artwork flow looks at this many movies, shows or albums per task.
    artwork_max_bytes: int = Field(default=20_000_000, ge=1024)
    artwork_thumb_px: int = Field(default=240, ge=32, le=1024)
    artwork_batch_size: int = Field(default=500, ge=1, le=100_000)
    writeback: bool = False

    @field_validator("tmdb_api_key", "acoustid_api_key", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


class RenditionSettings(_Section):
    """One rendition of the HLS ladder: ``name`` (``720p``), height and bitrates."""

    name: str = Field(pattern=r"^[a-z0-9_]{1,16}$")
    height: int = Field(ge=16, le=4320, multiple_of=2)
    video_kbps: int = Field(ge=16, le=200_000)
    audio_kbps: int = Field(default=128, ge=16, le=512)


def _default_renditions() -> list[RenditionSettings]:
    return [
        RenditionSettings(name="1080p", height=1080, video_kbps=5000, audio_kbps=160),
        RenditionSettings(name="720p", height=720, video_kbps=2800, audio_kbps=128),
        RenditionSettings(name="480p", height=480, video_kbps=1400, audio_kbps=128),
        RenditionSettings(name="360p", height=360, video_kbps=800, audio_kbps=96),
    ]


class TranscodeSettings(_Section):
    """HLS transcodes: the ladder, segments, encoder choice and how many run at once.

    ``hardware`` is ``auto`` (NVENC, VAAPI or QSV when a trial encode works, libx264
    otherwise), ``none``, or one kind. ``max_parallel`` is the size of the Prefect
    global concurrency limit ``medialake-ffmpeg``, set at ``medialake up`` and at each
    run (a change made in the Prefect UI lasts until then). ``remux_compatible`` copies
    browser-safe H.264 instead of building a ladder. ``assets_path`` defaults to
    ``<home>/hls``.
    """

    renditions: list[RenditionSettings] = Field(
        default_factory=_default_renditions, min_length=1
    )
    audio_kbps: list[int] = Field(default_factory=lambda: [192, 96], min_length=1)
    segment_s: float = Field(default=4.0, ge=1.0, le=30.0)
    hardware: Literal["auto", "none", "nvenc", "vaapi", "qsv"] = "auto"
    vaapi_device: Path = Path("/dev/dri/renderD128")
    preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"
    ] = "veryfast"
    remux_compatible: bool = True
    max_parallel: int = Field(default=1, ge=1, le=16)
    assets_path: Path | None = None
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"


class PlaybackSettings(_Section):
    """The playback service: where it listens, token lifetime and its signing key.

    The key comes from ``MEDIALAKE_PLAYBACK_SECRET`` (at least 32 characters) or, when
    unset, is generated once into ``<home>/playback.key`` (mode 0600); replacing it
    revokes every token. A player link lasts ``token_ttl_s``; the URIs inside a
    playlist last for one viewing (the title's length plus ``token_ttl_s``, never past
    ``max_viewing_hours`` from the first link), so players that never renew (VLC, TVs,
    Cast) play to the end. ``cors_origins`` lists the web origins whose players may
    fetch the HLS routes. At most ``max_connections`` at once; a client has
    ``header_timeout_s`` to send its request headers. ``/metrics`` answers a scraper
    on this machine, or one sending ``metrics_token`` as a bearer token.
    """

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    token_ttl_s: int = Field(default=300, ge=5, le=3600)
    public_url: str | None = None
    secret: SecretStr | None = None
    cors_origins: list[str] = Field(default_factory=list)
    max_viewing_hours: float = Field(default=12.0, gt=0, le=72)
    max_connections: int = Field(default=200, ge=1, le=100_000)
    header_timeout_s: float = Field(default=10.0, gt=0, le=300)
    metrics_token: SecretStr | None = None

    @field_validator("secret", mode="before")
    @classmethod
    def _secret_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


class AuthSettings(_Section):
    """Sign-in: how long a session lasts, and whether cookies need TLS.

    ``secure_cookies`` defaults to on when ``playback.public_url`` is an https URL
    (medialake behind a TLS reverse proxy), which also turns on HSTS.
    """

    session_ttl_hours: float = Field(default=168.0, gt=0, le=24 * 366)
    secure_cookies: bool | None = None


class SessionsSettings(_Section):
    """Watch sessions: who controls, what a stall does, timing, drift, limits.

    ``mode`` ``host`` (only the host controls) or ``collaborative``; ``buffering``
    ``wait`` (the group waits for a member that stalls) or ``catchup`` (it goes on and
    the member catches up). A start is scheduled the slowest member's round trip plus
    ``lead_margin_ms`` ahead (within ``min_lead_ms``..``max_lead_ms``). Players correct
    a drift above ``drift_small_ms`` with a playback-rate change of at most
    ``max_rate_change`` and above ``drift_large_ms`` with a seek. Live state is written
    to the warehouse every ``flush_interval_s``.
    """

    mode: Literal["host", "collaborative"] = "host"
    buffering: Literal["wait", "catchup"] = "wait"
    min_lead_ms: float = Field(default=300.0, ge=0, le=10_000)
    max_lead_ms: float = Field(default=2500.0, ge=0, le=30_000)
    lead_margin_ms: float = Field(default=150.0, ge=0, le=10_000)
    wait_timeout_s: float = Field(default=10.0, gt=0)
    drift_small_ms: float = Field(default=20.0, ge=1)
    drift_large_ms: float = Field(default=800.0, ge=10)
    max_rate_change: float = Field(default=0.1, gt=0, le=0.5)
    rate_gain: float = Field(default=1.5, gt=0, le=10)
    clock_samples: int = Field(default=2, ge=1, le=64)
    clock_window: int = Field(default=48, ge=1, le=256)
    clock_refresh_s: float = Field(default=1.0, gt=0)
    buffer_grace_s: float = Field(default=1.0, ge=0)
    server_ping_s: float = Field(default=2.0, gt=0)
    flush_interval_s: float = Field(default=1.0, gt=0)
    join_timeout_s: float = Field(default=10.0, gt=0)
    max_message_bytes: int = Field(default=4096, ge=256, le=65536)
    max_messages_per_s: float = Field(default=20.0, gt=0)
    burst_messages: int = Field(default=40, ge=1)
    max_members: int = Field(default=32, ge=1, le=1000)
    allowed_origins: list[str] = Field(default_factory=list)


class PlaylistsSettings(_Section):
    """Playlist sources, matching and pushes (``medialake playlist``).

    ``watch_dir``: a folder whose playlist files (M3U/M3U8, PLS, XSPF, JSPF) are
    imported and mirrored by the scheduled ``playlist-sync`` flow, onto ``targets``
    (default: every configured server). ``export_dir``: where a server that cannot
    hold playlists (a folder of files) gets its M3U8 (default: the folder the pushed
    tracks share). ``accept``/``review``/``margin``: the matcher's thresholds.
    """

    watch_dir: Path | None = None
    targets: list[str] = Field(default_factory=list)
    export_dir: Path | None = None
    accept: float = Field(default=0.90, gt=0, le=1)
    review: float = Field(default=0.60, ge=0, le=1)
    margin: float = Field(default=0.04, ge=0, le=1)


NotifyEvent = Literal["failed", "suspect", "downloaded", "ripped"]


def _all_events() -> list[NotifyEvent]:
    return ["failed", "suspect", "downloaded", "ripped"]


class NotifySettings(_Section):
    """Notifications through Apprise: ``targets`` are Apprise URLs (``json://``,
    ``ntfy://``, ``tgram://``, ``mailto://`` ...; secrets, they may hold tokens);
    ``events`` picks what is sent."""

    targets: list[SecretStr] = Field(default_factory=list)
    events: list[NotifyEvent] = Field(default_factory=_all_events)


class Settings(_Section):
    """All settings of one medialake installation."""

    home: Path
    warehouse: WarehouseSettings = WarehouseSettings()
    sync: SyncSettings = SyncSettings()
    prefect: PrefectSettings = PrefectSettings()
    transcode: TranscodeSettings = TranscodeSettings()
    playback: PlaybackSettings = PlaybackSettings()
    sessions: SessionsSettings = SessionsSettings()
    auth: AuthSettings = AuthSettings()
    dashboard: DashboardSettings = DashboardSettings()
    downloads: DownloadsSettings = DownloadsSettings()
    rips: RipsSettings = RipsSettings()
    books: BooksSettings = BooksSettings()
    notify: NotifySettings = NotifySettings()
    enrichment: EnrichmentSettings = EnrichmentSettings()
    playlists: PlaylistsSettings = PlaylistsSettings()
    servers: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @property
    def warehouse_catalog(self) -> str:
        """The warehouse's catalog: a PostgreSQL URL, or the SQLite file
        (``<home>/medialake.sqlite`` unless configured)."""
        catalog = self.warehouse.catalog or "medialake.sqlite"
        if catalog.startswith(("postgresql://", "postgres://")):
            return catalog
        path = Path(catalog)
        return str(path if path.is_absolute() else self.home / path)

    @property
    def warehouse_data_path(self) -> Path | None:
        """The folder of the warehouse's Parquet files (None: beside the catalog)."""
        path = self.warehouse.data_path
        if path is None:
            return None
        return path if path.is_absolute() else self.home / path

    @property
    def shared(self) -> bool:
        """Shared mode: the warehouse's catalog is a PostgreSQL server."""
        return self.warehouse_catalog.startswith(("postgresql://", "postgres://"))

    @property
    def prefect_database_url(self) -> str | None:
        """The SQLAlchemy URL of the Prefect server's database (None: Prefect's own
        SQLite default); in shared mode the warehouse's PostgreSQL, through asyncpg."""
        if self.prefect.database_url is not None:
            return self.prefect.database_url.get_secret_value()
        if not self.shared:
            return None
        rest = self.warehouse_catalog.split("://", 1)[1]
        return f"postgresql+asyncpg://{rest}"

    @property
    def legacy_warehouse_path(self) -> Path:
        """Where versions before DuckLake kept the warehouse (one DuckDB file)."""
        return self.home / "medialake.duckdb"

    @property
    def prefect_home(self) -> Path:
        """Prefect's own home for the embedded default."""
        return self.home / "prefect"

    @property
    def assets_path(self) -> Path:
        """Where published HLS assets live (``<home>/hls`` unless configured)."""
        path = self.transcode.assets_path or Path("hls")
        return path if path.is_absolute() else self.home / path

    @property
    def library_root(self) -> Path:
        """The default filesystem library (the sample library lands here)."""
        return self.home / "library"


def load_settings(
    home: Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read ``medialake.toml`` and the environment, validate, and return the settings.

    Raises:
        SettingsError: a key is unknown or has a wrong value; the message names it.
    """
    env = dict(os.environ if environ is None else environ)
    home = (home or Path(env.get(HOME_ENV, "data"))).absolute()
    raw = _read_file(home / SETTINGS_FILE)
    _apply_env(raw, env)
    if not raw.get("servers"):
        raw["servers"] = {
            "local": {"kind": "filesystem", "roots": [str(home / "library")]}
        }
    raw["home"] = home
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError(describe_validation_error("", exc)) from None


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path.name}: not valid TOML: {exc}") from None


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _apply_env(raw: dict[str, Any], env: dict[str, str]) -> None:
    """Fold ``MEDIALAKE_<SECTION>_<KEY>`` variables into the raw settings tree."""
    servers: dict[str, Any] = raw.setdefault("servers", {})
    for name, value in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name in (HOME_ENV, PROJECT_DIR_ENV):
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        if rest.startswith("servers_"):
            server, key = _split_server_key(rest[len("servers_") :], servers)
            servers.setdefault(server, {})[key] = _parse_value(value)
            continue
        section, _, key = rest.partition("_")
        if not key:
            raise SettingsError(f"{name}: expected MEDIALAKE_<SECTION>_<KEY>")
        raw.setdefault(section, {})[key] = _parse_value(value)


def _split_server_key(rest: str, servers: dict[str, Any]) -> tuple[str, str]:
    """Split ``<name>_<key>``, preferring the longest already-declared server name."""
    for server in sorted(servers, key=len, reverse=True):
        if rest.startswith(server.lower() + "_"):
            return server, rest[len(server) + 1 :]
    server, _, key = rest.partition("_")
    if not key:
        raise SettingsError(f"MEDIALAKE_SERVERS_{rest.upper()}: no key after the name")
    return server, key


def describe_validation_error(prefix: str, exc: ValidationError) -> str:
    """One line per problem, ``prefix.key: what is wrong``, never the input value."""
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        parts = [prefix] if prefix else []
        key = ".".join([*parts, *(str(part) for part in err["loc"])]) or "(settings)"
        lines.append(f"{key}: {err['msg']}")
    return "invalid settings: " + "; ".join(lines)
