"""Failures as the user reads them: one plain line first (what failed, why, what to
do), at most five lines, no traceback unless ``--verbose`` (it is in the log file), and
no "Next:" hints after a failure."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from cli import main as cli
from medialake.sample import SampleSummary
from tests.connectors.downloads.servers import MediaServer, make_mp3
from tests.connectors.media_servers.jellyfin import library
from tests.connectors.media_servers.jellyfin.fake_server import FakeJellyfin
from tests.medialake.test_cli import run_cli


@pytest.fixture
def api(prefect_harness: None) -> dict[str, str]:
    """The session's Prefect API for the commands (a server each costs seconds)."""
    from prefect.settings import get_current_settings

    return {"PREFECT_API_URL": str(get_current_settings().api.url)}


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def jellyfin(url: str, api_key: str = "x" * 32) -> dict[str, str]:
    return {
        "MEDIALAKE_SERVERS_JF_KIND": "jellyfin",
        "MEDIALAKE_SERVERS_JF_URL": url,
        "MEDIALAKE_SERVERS_JF_API_KEY": api_key,
        "MEDIALAKE_SERVERS_JF_RETRIES": "1",
        "MEDIALAKE_SERVERS_JF_BACKOFF_S": "0.01",
    }


def assert_one_line_first(stderr: str, starts: str, advice: str) -> None:
    err = lines(stderr)
    assert err, "nothing on stderr"
    assert err[0].startswith(starts), err
    assert advice in err[0], err[0]
    assert len(err) <= 5, err
    assert "Traceback" not in stderr


def test_an_unreachable_server(tmp_path: Path, api: dict[str, str]) -> None:
    home = tmp_path / "home"
    env = jellyfin(f"http://127.0.0.1:{free_port()}") | api
    result = run_cli(home, "sync", "jf", **env)
    assert result.returncode == 1
    assert_one_line_first(
        result.stderr,
        "error: sync failed: jf: ConnectError",
        "check that the server is running and its url",
    )
    assert "Next:" not in result.stdout
    assert "Traceback" in (home / "logs" / "medialake.log").read_text()

    verbose = run_cli(home, "--verbose", "sync", "jf", **env)
    assert verbose.returncode == 1
    assert "error: sync failed: jf: ConnectError" in verbose.stderr
    assert "Traceback" in verbose.stderr


def test_a_refused_credential(
    tmp_path: Path, sample_library: SampleSummary, api: dict[str, str]
) -> None:
    served = library.from_sample(sample_library.root, library.guid("server", "x"))
    with FakeJellyfin(served) as fake:
        env = jellyfin(fake.url, "no") | api
        result = run_cli(tmp_path / "home", "sync", "jf", **env)
    assert result.returncode == 1
    assert_one_line_first(
        result.stderr,
        "error: sync failed: jf: credential 'servers.jf.api_key' was refused",
        "set the right servers.jf.api_key (in medialake.toml, or the "
        "MEDIALAKE_SERVERS_JF_API_KEY variable)",
    )
    assert "no" * 2 not in result.stderr


def test_a_busy_server(ml_home: Path, tmp_path: Path, api: dict[str, str]) -> None:
    from warehouse.db import Warehouse

    root = tmp_path / "music"
    root.mkdir()
    make_mp3(root / "a.mp3", seconds=1.0)
    env = {"MEDIALAKE_SERVERS_LIB_KIND": "filesystem", **api}
    env["MEDIALAKE_SERVERS_LIB_ROOTS"] = f'["{root}"]'
    with Warehouse(ml_home / "medialake.sqlite").exclusive("sync-lib"):
        result = run_cli(ml_home, "sync", "lib", **env)
    assert result.returncode == 1
    assert_one_line_first(
        result.stderr,
        "error: sync failed: lib: another sync of lib is running",
        "wait for that run to finish",
    )


def test_a_missing_rip_source(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "home", "rip", str(tmp_path / "no-such.iso"))
    assert result.returncode == 2
    assert_one_line_first(
        result.stderr, f"error: rip source {tmp_path / 'no-such.iso'}: no such", "ISO"
    )


@pytest.mark.parametrize("address", ["htp://example.org/a.mp3", "http:///a.mp3"])
def test_a_bad_url(tmp_path: Path, address: str) -> None:
    result = run_cli(tmp_path / "home", "download", address)
    assert result.returncode == 2
    assert_one_line_first(
        result.stderr, "error: not an address medialake can download", "https://"
    )


def test_a_404_download_says_404(tmp_path: Path, api: dict[str, str]) -> None:
    media = tmp_path / "media"
    media.mkdir()
    with MediaServer(media) as server:
        url = server.url("gone.mp3")
        result = run_cli(
            tmp_path / "home",
            "download",
            url,
            MEDIALAKE_DOWNLOADS_SOURCES='["http"]',
            **api,
        )
    assert result.returncode == 1
    assert_one_line_first(
        result.stderr, "error: download ", f"http: HTTP 404 on HEAD {url}"
    )
    assert "nothing acceptable found" not in result.stderr


def test_an_unexpected_error_is_one_line_and_the_traceback_is_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MEDIALAKE_HOME", str(tmp_path / "home"))
    missing = tmp_path / "gone" / "song.flac"
    try:
        missing.read_bytes()
    except FileNotFoundError as exc:
        cli.report(exc)
    err = lines(capsys.readouterr().err)
    log = tmp_path / "home" / "logs" / "medialake.log"
    assert err == [
        f"error: No such file or directory: {missing}; check the path",
        f"(details: --verbose, or {log})",
    ]
    assert "Traceback" in log.read_text()
    assert "read_bytes" in log.read_text()


def test_verbose_prints_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MEDIALAKE_HOME", str(tmp_path / "home"))
    monkeypatch.setitem(cli._options, "verbose", True)
    try:
        raise KeyError("no server named 'x'")
    except KeyError as exc:
        cli.report(exc)
    err = capsys.readouterr().err
    assert lines(err)[0] == "error: KeyError: \"no server named 'x'\""
    assert "Traceback" in err


def test_hints_run_as_printed(
    tmp_path: Path,
    sample_library: SampleSummary,
    monkeypatch: pytest.MonkeyPatch,
    api: dict[str, str],
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # neither medialake nor uv on PATH
    name = cli.command_name()
    assert Path(name).name == "medialake"
    assert Path(name).exists()
    home = tmp_path / "home"
    shutil.copytree(sample_library.root, home / "library")
    result = run_cli(home, "sync", PATH="/usr/bin:/bin", **api)
    assert result.returncode == 0, result.stderr
    hint = next(line for line in lines(result.stdout) if " sql " in line)
    assert hint.split()[0] == name
    ran = subprocess.run(
        shlex.split(hint), capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "MEDIALAKE_HOME": str(home), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "title" in ran.stdout
