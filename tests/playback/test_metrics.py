"""``/metrics`` scraped by a real Prometheus (Debian's ``prometheus``): after a sync the
scan counters move, the flow-run counters count it, and a refused playback request
counts as a playback error."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.connectors.downloads.servers import make_mp3
from tests.medialake.test_prefect_server import wait_for

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="prometheus is not installed"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def library(ml_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of three tagged mp3s, configured as the filesystem server ``lib``."""
    from tasks.context import reset

    root = tmp_path / "music"
    root.mkdir()
    for i in range(3):
        make_mp3(root / f"{i}.mp3", seconds=1.0, artist="A", title=f"T{i}")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LIB_KIND", "filesystem")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LIB_ROOTS", json.dumps([str(root)]))
    reset()
    return root


@pytest.fixture
def service(ml_home: Path, library: Path, tmp_path: Path) -> Iterator[str]:
    """``medialake serve`` on a free port; its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: answers(f"{url}/health"), 60), (
            tmp_path / "serve.log"
        ).read_text()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def prometheus(service: str, tmp_path: Path) -> Iterator[str]:
    """A real Prometheus scraping the service every 2 s; its API base URL."""
    assert answers(f"{service}/metrics")  # the service's first read attaches the lake
    port = free_port()
    config = tmp_path / "prometheus.yml"
    target = service.removeprefix("http://")
    config.write_text(
        "global: {scrape_interval: 2s, scrape_timeout: 2s}\n"
        "scrape_configs:\n"
        f"  - job_name: medialake\n    static_configs: [{{targets: ['{target}']}}]\n"
    )
    process = subprocess.Popen(
        [
            "prometheus", f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: answers(f"{url}/-/ready"), 60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def query(prometheus: str, promql: str) -> float | None:
    """The value of an instant query with one series (None: no series yet)."""
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql})
    result = answer.json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def settles(prometheus: str, promql: str, wanted: float, timeout_s: float = 30) -> bool:
    return wait_for(lambda: query(prometheus, promql) == wanted, timeout_s)


def test_prometheus_sees_the_counters_move_after_a_sync(
    prometheus: str, service: str, prefect_harness: None
) -> None:
    from flows.library_sync import library_sync

    assert settles(prometheus, 'up{job="medialake"}', 1.0)
    assert settles(prometheus, "medialake_warehouse_up", 1.0)
    assert query(prometheus, 'medialake_sync_items_seen_total{server="lib"}') is None

    library_sync(server="lib", mode="full")

    seen = 'medialake_sync_items_seen_total{server="lib"}'
    assert settles(prometheus, seen, 3.0), query(prometheus, seen)
    runs = 'medialake_flow_runs_total{flow="library-sync",status="succeeded"}'
    assert settles(prometheus, runs, 1.0)
    assert query(prometheus, 'medialake_sync_seconds_total{server="lib"}') > 0  # type: ignore[operator]
    assert query(prometheus, 'medialake_queue_depth{queue="transcode"}') == 0.0

    library_sync(server="lib", mode="full")
    assert settles(prometheus, seen, 6.0)
    assert settles(prometheus, runs, 2.0)


def test_a_refused_playback_request_is_a_playback_error(
    prometheus: str, service: str
) -> None:
    errors = 'sum(medialake_playback_errors_total{route="hls"})'
    assert httpx.get(f"{service}/hls/nope/master.m3u8?t=forged").status_code >= 400
    assert wait_for(lambda: (query(prometheus, errors) or 0) >= 1, 30)
    assert query(prometheus, "medialake_watch_sessions_active") == 0.0
    started = time.monotonic()
    text = httpx.get(f"{service}/metrics").text
    assert time.monotonic() - started < 2.0
    assert "medialake_watch_session_members_connected 0.0" in text


def test_the_grafana_dashboard_queries_what_is_exported(
    prometheus: str, service: str
) -> None:
    board = json.loads((REPO / "docs" / "grafana-medialake.json").read_text())
    exported = httpx.get(f"{service}/metrics").text
    for panel in board["panels"]:
        for target in panel["targets"]:
            answer = httpx.get(
                f"{prometheus}/api/v1/query", params={"query": target["expr"]}
            ).json()
            assert answer["status"] == "success", (panel["title"], answer)
            names = re.findall(r"medialake_[a-z_]+", target["expr"])
            for name in names:
                assert f"# TYPE {name.removesuffix('_total')} " in exported or (
                    f"# TYPE {name} " in exported
                ), (panel["title"], name)


def test_metrics_answer_only_this_machine_or_the_token() -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from playback.metrics import Metrics

    metrics = Metrics(token="scrape-secret-0123456789")
    remote = TestClient(Starlette(routes=[metrics.route()]))  # client "testclient"
    assert remote.get("/metrics").status_code == 403
    wrong = remote.get("/metrics", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 403
    ok = remote.get(
        "/metrics", headers={"authorization": "Bearer scrape-secret-0123456789"}
    )
    assert ok.status_code == 200
    assert "medialake_playback_requests" in ok.text
