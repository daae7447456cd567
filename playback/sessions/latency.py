"""Round trips to members, measured on the server's own clock.

The server pings every connected member every ``server_ping_s`` and times the answer;
nothing the member says about time is used. The last few round trips per member give
the value shown on the dashboard (their median) and the one that sets how far ahead a
start is scheduled (their maximum: a start must reach even an unlucky message).
"""

from __future__ import annotations

import statistics
from collections import deque

Link = tuple[str, str]  # (session id, member id)
RTT_SAMPLES = 5


class RoundTrips:
    """Outstanding pings and recent round trips per member."""

    def __init__(self) -> None:
        self._samples: dict[Link, deque[float]] = {}
        self._outstanding: dict[Link, tuple[int, float]] = {}
        self._last_sent: dict[Link, float] = {}
        self._number = 0

    def due(self, link: Link, now: float, every_s: float) -> bool:
        """Whether the member should be pinged again."""
        return now - self._last_sent.get(link, 0.0) >= every_s

    def sent(self, link: Link, now: float) -> int:
        """Record a ping sent now; return its id."""
        self._number += 1
        self._outstanding[link] = (self._number, now)
        self._last_sent[link] = now
        return self._number

    def answered(self, link: Link, ping_id: object, now: float) -> float | None:
        """Record the answer to the outstanding ping; the member's median round trip
        (ms), or None when ``ping_id`` is not the one outstanding."""
        outstanding = self._outstanding.get(link)
        if outstanding is None or ping_id != outstanding[0]:
            return None
        del self._outstanding[link]
        samples = self._samples.setdefault(link, deque(maxlen=RTT_SAMPLES))
        samples.append((now - outstanding[1]) * 1000)
        return statistics.median(samples)

    def worst_ms(self, links: list[Link]) -> float:
        """The longest recent round trip among ``links`` (0 when none is known)."""
        return max(
            (max(self._samples[link]) for link in links if self._samples.get(link)),
            default=0.0,
        )

    def disconnected(self, link: Link) -> None:
        """Forget the outstanding ping of a closed connection."""
        self._outstanding.pop(link, None)

    def forget(self, session_id: str) -> None:
        """Drop everything about a session's members."""
        for table in (self._samples, self._outstanding, self._last_sent):
            for link in [k for k in table if k[0] == session_id]:
                del table[link]
