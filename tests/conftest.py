"""Test-wide set-up: Prefect's settings before Prefect is imported, one Prefect test
harness per session, a fresh data folder per test, and the sample library built once."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="medialake-prefect-"))
os.environ["PREFECT_HOME"] = str(_PREFECT_HOME)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
os.environ.pop("PREFECT_API_URL", None)
for _name in [n for n in os.environ if n.startswith("MEDIALAKE_")]:
    del os.environ[_name]
# A command's Prefect server ends with it: no test leaves a background server behind
# (tests/medialake/test_prefect_server.py turns the background server on).
os.environ["MEDIALAKE_PREFECT_SERVER"] = "ephemeral"

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from medialake.sample import SampleSummary, generate_sample  # noqa: E402
from tests.pg import postgres_server  # noqa: E402, F401 (a real PostgreSQL)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One ephemeral Prefect API for the whole session (start-up costs seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory: pytest.TempPathFactory) -> SampleSummary:
    """The sample library, generated once; tests copy it before changing it."""
    return generate_sample(tmp_path_factory.mktemp("sample") / "library")


@pytest.fixture(scope="session")
def empty_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose warehouse is migrated and empty, made once (a new lake
    costs seconds of catalog writes); tests copy it."""
    from tests.lake import catalog
    from warehouse.db import Warehouse
    from warehouse.migrate import migrate

    home = tmp_path_factory.mktemp("empty-lake")
    migrate(Warehouse(catalog(home), extension_dir=home / "extensions"))
    return home


@pytest.fixture
def bare_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh ``MEDIALAKE_HOME`` with nothing in it (not even a warehouse), whose
    caches are reset before and after the test."""
    from tasks.context import reset

    home = tmp_path / "home"
    monkeypatch.setenv("MEDIALAKE_HOME", str(home))
    reset()
    yield home
    reset()


@pytest.fixture
def ml_home(bare_home: Path, empty_lake: Path) -> Path:
    """A fresh ``MEDIALAKE_HOME`` with an empty warehouse."""
    from tests.lake import copy_lake

    copy_lake(empty_lake, bare_home)
    return bare_home


@pytest.fixture
def local_library(
    sample_library: SampleSummary, ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A copy of the sample library, served as the folder server ``local``."""
    import shutil

    root = ml_home.parent / "library"
    shutil.copytree(sample_library.root, root)
    monkeypatch.setenv("MEDIALAKE_SERVERS_LOCAL_KIND", "filesystem")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LOCAL_ROOTS", str(root))
    return root
