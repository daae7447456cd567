"""Process set-up shared by the CLI, flows and services: settings, logging, Prefect's
env.

Prefect reads its settings from the environment, so this runs before Prefect is
imported. On the embedded default (no ``prefect.api_url``) a command that runs flows
connects to a local Prefect server with its home inside the data folder
(:func:`connect_prefect`); analytics are off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from functools import cache

from medialake.log import install_redaction, register_secret
from medialake.settings import Settings, load_settings


@cache
def settings() -> Settings:
    """The validated settings of this process (read once)."""
    return load_settings()


def prepare_environment(current: Settings | None = None) -> Settings:
    """Validate settings, install log redaction and point Prefect at the right place."""
    current = current or settings()
    install_redaction()
    current.home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(current.prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", current.prefect.logging_level)
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    # A first start on a new database takes 10+ s on a busy 2-core machine; Prefect
    # waits 20 s by default.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if current.prefect.api_url:
        os.environ.setdefault("PREFECT_API_URL", current.prefect.api_url)
    auth = prefect_auth(current)
    if auth:  # the Prefect server 'medialake up' runs asks for it
        os.environ.setdefault("PREFECT_API_AUTH_STRING", auth)
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    return current


def connect_prefect(current: Settings | None = None) -> str:
    """Point Prefect at the API server this command's flows use (one started once and
    reused; see :mod:`medialake.prefect_server`) and return which kind it is."""
    from medialake.prefect_server import connect

    return connect(current or settings())


PREFECT_AUTH_FILE = "prefect-auth"


def prefect_auth(current: Settings, *, create: bool = False) -> str | None:
    """The basic-auth ``user:password`` of the Prefect server ``medialake up`` runs
    (``PREFECT_SERVER_API_AUTH_STRING``): generated on the first start into
    ``<home>/prefect-auth`` (mode 0600), registered with the log redaction."""
    path = current.home / PREFECT_AUTH_FILE
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(f"medialake:{secrets.token_urlsafe(24)}\n")
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError:
        return None
    register_secret(text.partition(":")[2])
    return text
