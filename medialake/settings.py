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
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

HOME_ENV = "MEDIALAKE_HOME"
ENV_PREFIX = "MEDIALAKE_"
SETTINGS_FILE = "medialake.toml"


class SettingsError(ValueError):
    """Raised when settings are missing or invalid; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarehouseSettings(_Section):
    """Where the DuckDB file lives and how long a caller waits for its lock."""

    path: Path | None = None
    lock_timeout_s: float = Field(default=30.0, gt=0)


class SyncSettings(_Section):
    """Library sync policy."""

    removal_threshold: float = Field(default=0.5, ge=0, le=1)
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    read_workers: int = Field(default=2, ge=1, le=64)


class PrefectSettings(_Section):
    """Prefect: the API to talk to (empty means the embedded ephemeral API)."""

    api_url: str | None = None
    logging_level: str = "WARNING"


class Settings(_Section):
    """All settings of one medialake installation."""

    home: Path
    warehouse: WarehouseSettings = WarehouseSettings()
    sync: SyncSettings = SyncSettings()
    prefect: PrefectSettings = PrefectSettings()
    servers: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file (``<home>/medialake.duckdb`` unless configured)."""
        path = self.warehouse.path or Path("medialake.duckdb")
        return path if path.is_absolute() else self.home / path

    @property
    def prefect_home(self) -> Path:
        """Prefect's own home for the embedded default."""
        return self.home / "prefect"

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
        if not name.startswith(ENV_PREFIX) or name == HOME_ENV:
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
