"""The flows' errors: one base, so a caller can tell a flow's own verdict (some of its
work failed, each failure recorded in its table) from a fault below it."""

from __future__ import annotations


class FlowError(RuntimeError):
    """Base of the errors a flow raises when part of its work failed."""
