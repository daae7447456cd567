"""The registry that maps a server ``kind`` to its client class.

Each built-in kind lives in ``connectors/media_servers/<kind>/client.py`` and registers
itself with :func:`register`; the registry imports those modules lazily on first lookup,
so adding a kind adds a folder and edits nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr, ValidationError

from medialake.log import register_secret
from medialake.settings import SettingsError, describe_validation_error

if TYPE_CHECKING:
    from connectors.media_servers.base import MediaServerClient

C = TypeVar("C", bound="type[MediaServerClient]")

PACKAGE = "connectors.media_servers"
_clients: dict[str, type[MediaServerClient]] = {}
_loaded = False


def register(cls: C) -> C:
    """Class decorator: make ``cls`` the client of its ``kind``."""
    _clients[cls.kind] = cls
    return cls


def _load_builtins() -> None:
    """Import ``connectors/media_servers/<kind>/client.py`` of every built-in kind."""
    global _loaded
    if _loaded:
        return
    package = importlib.import_module(PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        if (
            info.ispkg
            and (Path(package.__path__[0]) / info.name / "client.py").exists()
        ):
            importlib.import_module(f"{PACKAGE}.{info.name}.client")
    _loaded = True


def _load_kind(kind: object) -> bool:
    """Import the built-in client of ``kind`` if there is one; whether it is known."""
    if isinstance(kind, str) and kind not in _clients and kind.isidentifier():
        package = importlib.import_module(PACKAGE)
        if (Path(package.__path__[0]) / kind / "client.py").exists():
            importlib.import_module(f"{PACKAGE}.{kind}.client")
    return kind in _clients


def client_classes() -> dict[str, type[MediaServerClient]]:
    """Every registered client class by kind."""
    _load_builtins()
    return dict(_clients)


def create_client(name: str, table: dict[str, Any]) -> MediaServerClient:
    """Validate a ``[servers.NAME]`` table and build its client.

    Raises:
        SettingsError: the kind is unknown or a key is invalid (the key is named).
    """
    kind = table.get("kind")
    # only the configured kind's module is imported (a command starts faster); every
    # kind when it is unknown, to name them all
    classes = _clients if _load_kind(kind) else client_classes()
    if kind not in classes:
        known = ", ".join(sorted(classes))
        problem = "missing" if kind is None else f"unknown kind {kind!r}"
        raise SettingsError(
            f"invalid settings: servers.{name}.kind: {problem} (known: {known})"
        )
    cls = classes[kind]
    try:
        config = cls.config_model.model_validate(table)
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(f"servers.{name}", exc)) from None
    for value in config.__dict__.values():
        if isinstance(value, SecretStr):
            register_secret(value.get_secret_value())
    return cls(name, config)
