"""Fixtures of the rip tests."""

from tests.connectors.rips.dvd import dvd_folder  # noqa: F401
