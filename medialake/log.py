"""Logging set-up with secret redaction.

Secrets (tokens, passwords, API keys) are registered once when settings are validated;
a log-record factory replaces them, and ``token=...``-style query parameters,
with ``***`` in every record, including records from Prefect and HTTP libraries.
"""

from __future__ import annotations

import logging
import re
import threading

_SECRET_PARAM = re.compile(
    r"(?i)((?:x-plex-token|x-emby-token|api_key|apikey|token|password|[?&][pts])"
    r"\s*[=:]\s*\"?)([^&\s\"',]+)"
)
_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that no log line ever shows it."""
    if value and len(value) >= 3:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and secret-looking parameter
    hidden."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    return _SECRET_PARAM.sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_redaction() -> None:
    """Redact every log record made in this process, whichever logger or handler."""
    flt = RedactingFilter()
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_medialake_redacts", False):
        return

    def make_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        flt.filter(record)
        return record

    make_record._medialake_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)
