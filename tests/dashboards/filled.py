"""Fixtures (a pytest plugin: ``pytest_plugins = ["tests.dashboards.filled"]``) shared
by the dashboard, view and ``medialake sql`` tests: the filled data folder, built once
per session, and a way to point this process's settings at a data folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.dashboards.sample_home import FilledHome, build

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def filled_home(
    prefect_harness: None, sample_library, tmp_path_factory: pytest.TempPathFactory
) -> FilledHome:
    """The shared, filled data folder (built once per session; do not change it)."""
    return build(tmp_path_factory.mktemp("filled"), sample_library.root)


@pytest.fixture
def use_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], Path]]:
    """Point this process's settings at a data folder: ``use_home(path)``."""
    from tasks.context import reset

    def use(home: Path) -> Path:
        monkeypatch.setenv("MEDIALAKE_HOME", str(home))
        reset()
        return home

    yield use
    reset()


def become(monkeypatch: pytest.MonkeyPatch, role: str = "admin") -> str:
    """A new user of ``role`` in this process's warehouse, signed in for the pages a
    test runs with AppTest (which cannot send a cookie: the cookie lookup returns the
    new session's cookie, which is then checked against the warehouse as usual)."""
    import secrets

    import dashboards.auth
    from warehouse import accounts
    from warehouse.current import warehouse

    name = f"{role}-{secrets.token_hex(3)}"
    accounts.add_user(warehouse(), name, "a long password", role)
    signed = accounts.sign_in(
        warehouse(), name, "a long password", roles=accounts.ROLES
    )
    monkeypatch.setattr(dashboards.auth, "session_cookie", lambda: signed.cookie)
    return name


@pytest.fixture
def sign_in(monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """``sign_in(role)``: :func:`become` for this test."""
    return lambda role="admin": become(monkeypatch, role)
