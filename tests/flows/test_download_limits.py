"""Download slots and request rates are Prefect global limits (a real Prefect API):
they hold between two processes, space a source's requests, and are made from the
settings by one idempotent function."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.connectors.downloads import fixtures
from warehouse.downloads import rows

if TYPE_CHECKING:
    from medialake.settings import Settings

pytestmark = pytest.mark.usefixtures("prefect_harness")
media, media_server = fixtures.media, fixtures.media_server  # shared fixtures
REPO = Path(__file__).resolve().parents[2]


def _settings(**env: str) -> Settings:
    from medialake.settings import load_settings

    return load_settings(environ={**os.environ, **env})


def _limit(name: str) -> tuple[int, float, int]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        found = client.read_global_concurrency_limit_by_name(name)
    return found.limit, found.slot_decay_per_second, found.active_slots


def test_two_flows_in_two_processes_never_transfer_one_slot_source_at_once(
    ml_home: Path, media_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.settings import PREFECT_API_URL

    from flows.acquire import acquire
    from tasks.context import reset, warehouse

    monkeypatch.setenv("MEDIALAKE_DOWNLOADS_DEFAULT_CONCURRENCY", "1")
    reset()
    media_server.max_active = 0
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    other = subprocess.Popen(
        [sys.executable, "-m", "cli", "download", "--kind", "track",
         "--no-wanted", media_server.url("song.mp3", rate=60_000)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while media_server.active == 0:  # the other process holds the slot, transferring
        assert other.poll() is None, other.communicate()[0].decode()
        assert time.monotonic() < deadline, "the other process never started"
        time.sleep(0.05)

    mine = acquire(
        requests=[
            {"text": media_server.url("other.mp3", rate=200_000), "kind": "track"}
        ],
        retry_wanted=False,
    )
    output = other.communicate(timeout=90)[0].decode()

    assert other.returncode == 0, output
    assert [o["status"] for o in mine["outcomes"]] == ["imported"]
    assert media_server.max_active == 1, "two transfers of a 1-slot source at once"
    with warehouse().read() as con:
        jobs = rows(con, "SELECT state, title FROM download_jobs ORDER BY started_at")
    assert [(j["state"], j["title"]) for j in jobs] == [
        ("imported", "Test Song"),
        ("imported", "Other Tune"),
    ]
    assert _limit("medialake-download-http")[::2] == (1, 0)  # every slot given back


def test_a_rate_limit_spaces_a_sources_requests(ml_home: Path) -> None:
    from tasks.downloads import PrefectGate
    from tasks.limits import ensure_limits

    current = _settings(MEDIALAKE_DOWNLOADS_MIN_INTERVAL_S="{ http = 0.5 }")
    limits = ensure_limits(current)
    assert limits["medialake-download-http-rate"] == 1
    assert _limit("medialake-download-http-rate")[1] == 2.0  # one token per 0.5 s
    gate = PrefectGate(current.downloads.min_interval_s)
    starts: list[float] = []

    def request() -> None:
        gate.pace("http")
        starts.append(time.monotonic())

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    gate.pace("ytdlp")  # a source without an interval is not paced (and needs no limit)

    starts.sort()
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(starts) == 4
    assert min(gaps) >= 0.45, f"requests closer than the interval: {gaps}"


def test_limits_come_from_settings_by_one_idempotent_function(ml_home: Path) -> None:
    from tasks.limits import ensure_limits

    first = ensure_limits(_settings())
    assert ensure_limits(_settings()) == first  # again: nothing changes
    assert first["medialake-download-http"] == 2
    assert first["medialake-rip"] == 1
    assert first["medialake-ffmpeg"] == 1
    changed = ensure_limits(
        _settings(
            MEDIALAKE_TRANSCODE_MAX_PARALLEL="3",
            MEDIALAKE_DOWNLOADS_CONCURRENCY="{ slskd = 4 }",
        )
    )
    assert (changed["medialake-ffmpeg"], changed["medialake-download-slskd"]) == (3, 4)
    assert _limit("medialake-ffmpeg")[0] == 3
    assert _limit("medialake-download-slskd")[0] == 4
    ensure_limits(_settings())  # back to the defaults for the other tests
    assert _limit("medialake-ffmpeg")[0] == 1


def test_a_full_source_times_out_and_a_missing_limit_says_how_to_make_it(
    ml_home: Path,
) -> None:
    from tasks.downloads import PrefectGate
    from tasks.limits import MissingLimit, ensure_limits

    full = {
        "MEDIALAKE_DOWNLOADS_CONCURRENCY": "{ full = 1 }",
        "MEDIALAKE_DOWNLOADS_SOURCES": '["http", "full"]',
    }
    ensure_limits(_settings(**full))
    gate = PrefectGate({})
    with gate.slot("full", 10):
        assert _limit("medialake-download-full")[2] == 1  # held on the server
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="medialake-download-full"):
            with gate.slot("full", 0.5):
                pass
        assert time.monotonic() - started >= 0.45
    assert _limit("medialake-download-full")[2] == 0  # given back at once
    with gate.slot("full", 1):  # free again
        pass
    with pytest.raises(MissingLimit, match="medialake up"):
        with gate.slot("never-configured", 1):
            pass
    ensure_limits(_settings())
