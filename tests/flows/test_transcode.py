"""The transcode flow end to end: a real folder synced, real ffmpeg, Prefect's API with
its global concurrency limit, and the warehouse rows a user (or the dashboard) reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.library_sync import library_sync
from flows.transcode import TranscodeFailed, transcode
from medialake.sample import SampleSummary
from tasks.context import reset, warehouse
from tasks.transcode import FFMPEG_LIMIT
from tests.connectors.transcode import media

pytestmark = pytest.mark.usefixtures("prefect_harness")

LADDER = (
    '[{name="180p", height=180, video_kbps=300, audio_kbps=64},'
    ' {name="120p", height=120, video_kbps=150, audio_kbps=48}]'
)


@pytest.fixture
def library(
    sample_library: SampleSummary, ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Two sample movies (MP4 and MKV), an HEVC film with subtitles, a corrupt file."""
    root = ml_home.parent / "library"
    movies = sample_library.root / "Video" / "Movies"
    for name in ("Big Test Picture (2019)", "The Color Bars (2021)"):
        shutil.copytree(movies / name, root / "Video" / "Movies" / name)
    film = root / "Video" / "Movies" / "Deep Space (2020)"
    film.mkdir()
    media.hevc_with_subtitles(film / "Deep Space (2020).mkv", seconds=4)
    broken = root / "Video" / "Movies" / "Broken (2001)"
    broken.mkdir()
    media.corrupt(broken / "Broken (2001).mp4")
    for key, value in {
        "SERVERS_LOCAL_KIND": "filesystem",
        "SERVERS_LOCAL_ROOTS": str(root),
        "TRANSCODE_SEGMENT_S": "2",
        "TRANSCODE_RENDITIONS": LADDER,
        "TRANSCODE_MAX_PARALLEL": "1",
    }.items():
        monkeypatch.setenv(f"MEDIALAKE_{key}", value)
    reset()
    library_sync(mode="full")
    return root


def rows(sql: str) -> list[tuple]:
    with warehouse().read() as con:
        return con.execute(sql).fetchall()


def test_every_video_gets_its_asset_once(library: Path, ml_home: Path) -> None:
    summary = transcode()
    assert {
        k: summary[k] for k in ("sources", "published", "failed", "unplayable")
    } == {
        "sources": 4,
        "published": 3,
        "failed": 0,
        "unplayable": 1,
    }
    assert dict(
        rows("SELECT decision, count(*) FROM playback_decisions GROUP BY 1")
    ) == {
        "direct": 1,
        "remux": 1,
        "transcode": 1,
        "unplayable": 1,
    }
    assets = rows(
        "SELECT asset_id, mode, encoder, title FROM hls_assets"
        " WHERE status = 'current' ORDER BY title"
    )
    assert [(a[1], a[2], a[3]) for a in assets] == [
        ("copy", "copy", "Big Test Picture (2019)"),
        ("ladder", "libx264", "Deep Space (2020)"),
        ("copy", "copy", "The Color Bars (2021)"),
    ]
    on_disk = sorted(p.name for p in (ml_home / "hls").iterdir())
    assert on_disk == sorted(a[0] for a in assets)
    ladder = rows(
        "SELECT name, kind, width, height FROM hls_renditions r"
        " JOIN hls_assets a USING (asset_id) WHERE a.mode = 'ladder'"
        " ORDER BY kind, height DESC"
    )
    assert ladder == [
        ("sub0_eng", "subtitles", None, None),
        ("180p", "video", 320, 180),
        ("120p", "video", 214, 120),
    ]
    jobs = rows(
        "SELECT status, percent, speed, eta_s, elapsed_s, error FROM transcode_jobs"
    )
    assert len(jobs) == 3
    assert all(
        j[0] == "succeeded"
        and j[1] == 100
        and j[2] > 0
        and j[3] == 0
        and j[4] > 0
        and j[5] is None
        for j in jobs
    )
    again = transcode()
    assert (again["sources"], again["published"]) == (0, 0)


def test_two_flows_at_once_share_one_ffmpeg_slot(library: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from prefect.client.orchestration import get_client

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(transcode, item) for item in ("big test", "deep space")]
        assert [r.result()["published"] for r in runs] == [1, 1]
    spans = rows(
        "SELECT started_at, finished_at FROM transcode_jobs ORDER BY started_at"
    )
    assert len(spans) == 2
    assert spans[1][0] >= spans[0][1], "two ffmpeg jobs ran at the same time"
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(FFMPEG_LIMIT)
    assert (limit.limit, limit.active_slots) == (1, 0)


def test_a_changed_source_is_rebuilt_and_the_old_asset_removed(
    library: Path, ml_home: Path
) -> None:
    transcode("deep space")
    [(old,)] = rows("SELECT asset_id FROM hls_assets WHERE title LIKE 'Deep Space%'")
    media.hevc_with_subtitles(
        library / "Video/Movies/Deep Space (2020)/Deep Space (2020).mkv", seconds=6
    )
    library_sync(mode="incremental")
    summary = transcode("deep space")
    assert summary["published"] == 1
    assert rows("SELECT status FROM hls_assets WHERE asset_id = '" + old + "'") == [
        ("superseded",)
    ]
    [(new, length)] = rows(
        "SELECT asset_id, duration_s FROM hls_assets"
        " WHERE title LIKE 'Deep Space%' AND status = 'current'"
    )
    assert abs(length - 6) < 1
    assert not (ml_home / "hls" / old).exists()
    assert (ml_home / "hls" / new).is_dir()


def test_failures_are_recorded_and_reported(
    library: Path, ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = ml_home.parent / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("MEDIALAKE_TRANSCODE_ASSETS_PATH", str(blocker / "hls"))
    reset()
    with pytest.raises(TranscodeFailed) as caught:
        transcode("deep space")
    assert caught.value.summary["failed"] == 1
    errors = rows("SELECT DISTINCT status, error FROM transcode_jobs")
    assert len(errors) == 1
    assert errors[0][0] == "failed"
    assert errors[0][1].startswith("ffmpeg: cannot write to the assets folder")
    assert rows("SELECT count(*) FROM hls_assets") == [(0,)]


def test_the_cli_transcodes_one_item_and_prints_what_it_did(library: Path) -> None:
    from cli.main import _load_commands, app

    _load_commands()
    result = CliRunner().invoke(app, ["transcode", "deep space"])
    assert result.exit_code == 0, result.output
    assert "Deep Space (2020)" in result.output
    assert "transcode" in result.output
    assert "1 sources: 1 published, 0 failed" in result.output
    result = CliRunner().invoke(app, ["link", "deep space"])
    assert result.exit_code == 0, result.output
    assert "/watch/" in result.output
    assert "?t=" in result.output
