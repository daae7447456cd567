"""What the sync engine exchanges with its callers: refusals, outboxes, batches.

:class:`Refused` is raised for anything a member (or the dashboard) may not do, with a
stable ``code``; :class:`Outbox` is what the WebSocket layer gives the engine for each
member; :class:`Batch` is what changed since the store last wrote.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Protocol


class Refused(Exception):
    """A request was refused; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Outbox(Protocol):
    """Where the engine sends one member's messages."""

    def send(self, message: dict[str, Any]) -> bool:
        """Queue a message; False when the member cannot keep up."""

    def close(self, code: int, reason: str) -> None:
        """Close the member's connection."""


@dataclass(slots=True)
class Batch:
    """What changed since the last flush: session ids, member keys, events."""

    sessions: set[str] = field(default_factory=set)
    members: set[tuple[str, str]] = field(default_factory=set)
    events: list[dict[str, Any]] = field(default_factory=list)


def clean_name(value: object, fallback: str) -> str:
    """A display name: printable, at most 40 characters."""
    text = value if isinstance(value, str) else ""
    text = "".join(
        c for c in text if unicodedata.category(c)[0] not in "CZ" or c == " "
    )
    return " ".join(text.split())[:40] or fallback
