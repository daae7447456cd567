"""The tasks' errors: one base for what a task refuses or stops on (a connector's own
faults keep the connector hierarchy, :mod:`connectors.errors`)."""

from __future__ import annotations


class TaskError(Exception):
    """Base of the errors a task raises itself."""
