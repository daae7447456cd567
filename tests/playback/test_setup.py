"""The first run: with no user, every sign-in goes to ``/setup``, which creates the
admin only with the set-up code the service printed, once; the CLI manages users."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

from medialake.runtime import settings
from playback import auth
from playback.app import create_app
from playback.server import config_from_settings
from warehouse import accounts
from warehouse.current import warehouse

PASSWORD = "a long password"


def client() -> TestClient:
    return TestClient(
        create_app(config_from_settings(settings())), follow_redirects=False
    )


def test_the_first_admin_needs_the_set_up_code(ml_home: Path) -> None:
    web = client()
    assert web.get("/login").headers["location"] == "/setup"
    assert web.get("/").headers["location"].startswith("/login?next=")
    page = web.get("/setup")
    assert page.status_code == 200
    assert "set-up code" in page.text
    code_file = ml_home / auth.SETUP_CODE_FILE
    assert stat.S_IMODE(code_file.stat().st_mode) == 0o600
    form = {"username": "root", "password": PASSWORD}
    refused = web.post("/setup", data={**form, "code": "wrong"})
    assert refused.status_code == 403
    assert accounts.count_users(warehouse()) == 0
    short = web.post(
        "/setup",
        data={**form, "code": code_file.read_text().strip(), "password": "short"},
    )
    assert short.status_code == 400
    done = web.post("/setup", data={**form, "code": code_file.read_text().strip()})
    assert done.status_code == 303
    assert auth.COOKIE in done.headers["set-cookie"]
    assert not code_file.exists()  # used once
    assert [u["role"] for u in accounts.list_users(warehouse())] == ["admin"]
    again = client().post("/setup", data={**form, "username": "second", "code": "x"})
    assert again.headers["location"] == "/login"  # set-up is closed for good
    assert accounts.count_users(warehouse()) == 1


def test_the_cli_adds_users_and_ends_sessions_on_a_password_change(
    ml_home: Path,
) -> None:
    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli", "user", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    added = cli("add", "Mel", "--role", "member", "--password-stdin", stdin=PASSWORD)
    assert added.returncode == 0, added.stderr
    assert "added mel (member)" in added.stdout
    assert cli("add", "mel", "--password-stdin", stdin=PASSWORD).returncode != 0
    weak = cli("add", "tom", "--password-stdin", stdin="short")
    assert "at least 10 characters" in weak.stderr
    signed = accounts.sign_in(warehouse(), "mel", PASSWORD)
    assert accounts.session_user(warehouse(), signed.cookie) is not None
    changed = cli("passwd", "mel", "--password-stdin", stdin="another long password")
    assert changed.returncode == 0, changed.stderr
    assert accounts.session_user(warehouse(), signed.cookie) is None
    listed = cli("list")
    assert "mel" in listed.stdout
    assert "member" in listed.stdout
    removed = cli("remove", "mel")
    assert removed.returncode == 0, removed.stderr
    assert "mel" not in cli("list").stdout
