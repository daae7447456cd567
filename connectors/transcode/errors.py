"""Errors of the transcode connector: one small hierarchy, each with a clear message.

They derive from :class:`connectors.errors.ConnectorError` with ``service = "ffmpeg"``
so callers can treat them like any other connector fault. None of them is transient: a
transcode that failed is recorded and picked up again by the next run, not retried
in a loop.
"""

from __future__ import annotations

from connectors.errors import ConnectorError


class TranscodeError(ConnectorError):
    """Base of every transcode failure."""

    def __init__(self, message: str) -> None:
        super().__init__("ffmpeg", message)


class ToolMissing(TranscodeError):
    """ffmpeg or ffprobe is not installed or not runnable."""


class ProbeFailed(TranscodeError):
    """ffprobe could not read the source (corrupt, truncated, not media)."""


class EncodeFailed(TranscodeError):
    """ffmpeg exited with an error or was killed."""


class OutputUnwritable(TranscodeError):
    """The assets folder cannot be created or written."""


class NotEnoughSpace(TranscodeError):
    """The assets folder's disk is full, or would be before the transcode ends."""


class VerifyFailed(TranscodeError):
    """The output did not pass verification; nothing was published."""
