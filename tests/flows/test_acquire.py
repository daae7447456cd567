"""The acquire and rip flows end to end through the CLI: Prefect's API, strict
per-source concurrency limits, a local HTTP server, the real HandBrakeCLI, a DuckDB
file and the filesystem library."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.concurrency.sync import concurrency
from typer.testing import CliRunner

from cli.main import _load_commands, app
from tasks.context import warehouse
from tests.connectors.downloads import fixtures
from tests.connectors.rips import dvd
from warehouse.downloads import rows

pytestmark = pytest.mark.usefixtures("prefect_harness")
media, media_server = fixtures.media, fixtures.media_server  # shared fixtures
dvd_folder = dvd.dvd_folder
_load_commands()


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_download_command_imports_once_and_reports_the_scan(
    ml_home: Path,
    media_server,
) -> None:
    url = media_server.url("song.mp3")

    code, output = cli("download", url, url, "--kind", "track")
    again, second = cli("download", url, "--kind", "track")

    assert code == 0, output
    final = ml_home / "library/Music/Test Artist/Test Album/Test Song.mp3"
    assert final.is_file()
    assert "imported" in output
    assert "unsupported by filesystem" in output  # a folder cannot rescan: said so
    assert again == 0
    assert "duplicate" in second
    with warehouse().read() as con:
        jobs = rows(con, "SELECT state, scan_result FROM download_jobs")
    assert [j["state"] for j in jobs] == ["imported"]
    assert "the next library sync picks the files up" in jobs[0]["scan_result"]


def test_per_source_limits_exist_and_a_missing_one_fails_loudly(ml_home: Path) -> None:
    from tasks.downloads import PrefectGate
    from tasks.limits import ensure_limits

    limits = ensure_limits()

    assert limits["medialake-download-http"] == 2
    with PrefectGate({}).slot("http", 10):
        pass
    with pytest.raises(Exception, match="medialake-download-nowhere") as error:
        with concurrency("medialake-download-nowhere", strict=True):
            pass
    assert type(error.value).__name__ == "ConcurrencySlotAcquisitionError"


def test_rip_command_rips_the_main_feature_of_a_dvd_folder(
    ml_home: Path,
    dvd_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEDIALAKE_RIPS_MIN_FEATURE_S", "3")
    monkeypatch.setenv("MEDIALAKE_RIPS_PRESET", "Very Fast 480p30")

    code, output = cli("rip", str(dvd_folder / "VIDEO_TS"))

    assert code == 0, output
    film = ml_home / "library/Video/Movies/Test Film (2021)/Test Film (2021).mkv"
    assert film.is_file()
    with warehouse().read() as con:
        [job] = rows(con, "SELECT * FROM rip_jobs")
    assert (job["state"], job["title_index"], job["title"], job["year"]) == (
        "imported", 2, "Test Film", 2021
    )  # fmt: skip
    assert abs(job["duration_s"] - 6) < 0.5
    assert cli("rip", str(dvd_folder / "VIDEO_TS"))[0] == 0  # queued once: skipped
    with warehouse().read() as con:
        assert len(rows(con, "SELECT rip_id FROM rip_jobs")) == 1
