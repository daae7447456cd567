"""Notifications through Apprise: one message to every configured target.

A target is an Apprise URL (``json://host:port/path``, ``ntfy://topic``,
``tgram://token/chat``, ``mailto://user:pass@host`` and 100+ more services), so one
setting reaches whatever the user already reads. Targets often carry a token, so each
is registered for log redaction. Sending never raises: a notification that cannot be
delivered is logged and reported as ``False``, and the work it reports on goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from medialake.log import register_secret

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """One message: ``event`` is failed, suspect, downloaded or ripped."""

    event: str
    title: str
    body: str

    @property
    def bad_news(self) -> bool:
        """Whether the message reports a problem (a failure or a suspect sync)."""
        return self.event in ("failed", "suspect")


class Notifier:
    """Sends notices to Apprise targets."""

    def __init__(self, targets: list[str]) -> None:
        for target in targets:
            register_secret(target)
        self.targets = list(targets)

    def send(self, notice: Notice) -> bool:
        """Deliver ``notice`` to every target; True when all of them took it."""
        if not self.targets:
            return False
        import apprise  # imported here: 0.4 s, paid only when there is a target

        sender = apprise.Apprise()
        for target in self.targets:
            if not sender.add(target):
                log.warning("notification target not understood by Apprise: %s", target)
        if not len(sender):
            return False
        kind = apprise.NotifyType.INFO
        if notice.bad_news:
            kind = apprise.NotifyType.FAILURE
        try:
            sent = sender.notify(title=notice.title, body=notice.body, notify_type=kind)
        except Exception as exc:  # a notifier must never stop the work it reports on
            log.warning("notification %r not sent: %s", notice.title, exc)
            return False
        if sent is not True:
            log.warning("notification %r not delivered to every target", notice.title)
        return sent is True
