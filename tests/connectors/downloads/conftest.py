"""Fixtures of the download tests (in ``fixtures.py``, shared with tasks and flows)."""

from tests.connectors.downloads.fixtures import (  # noqa: F401
    make_engine,
    media,
    media_server,
    warehouse,
)
