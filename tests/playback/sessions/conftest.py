"""A data folder with one 30 s HLS asset (built once), and a real ``medialake serve``
for each test module that needs one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.playback.sessions.stack import Service, make_home


@pytest.fixture(scope="package")
def asset_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The data folder and the asset id (the warehouse knows its title)."""
    return make_home(tmp_path_factory.mktemp("sessions"))


@pytest.fixture(scope="module")
def service(asset_home: tuple[Path, str]) -> Iterator[Service]:
    """``medialake serve`` on a free port (restartable by the test)."""
    home, asset = asset_home
    running = Service(home, asset)
    running.start()
    yield running
    running.stop()
