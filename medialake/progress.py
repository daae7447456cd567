"""In-process progress events: tasks report, the CLI draws a progress bar.

The dashboard reads progress from the run rows instead; this only serves a terminal
attached to the same process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Listener = Callable[[str, int, int], None]
_lock = threading.Lock()
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    """Call ``listener(label, done, total)`` on every report; returns an unsubscribe."""
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def report(label: str, done: int, total: int) -> None:
    """Tell listeners that ``done`` of ``total`` items of ``label`` are finished."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(label, done, total)
