"""Transcode tasks against a real warehouse: which sources need an asset, decisions,
queued jobs, and the sweep after a killed run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors.media_servers.base import SyncMode
from connectors.transcode import publish
from playback import paths
from tasks import transcode as t
from tasks.context import engine, warehouse
from tasks.library_sync import batch_frames
from tests.connectors.transcode import media
from warehouse import hls, library


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The library's files, made once; each test gets a copy."""
    root = tmp_path_factory.mktemp("originals")
    movies = root / "Video" / "Movies"
    for name in ("Alpha (2020)", "Beta (2021)", "Gamma (2022)"):
        (movies / name).mkdir(parents=True)
    media.h264(movies / "Alpha (2020)" / "Alpha (2020).mp4", seconds=2)
    media.hevc_with_subtitles(movies / "Beta (2021)" / "Beta (2021).mkv", seconds=2)
    media.corrupt(movies / "Gamma (2022)" / "Gamma (2022).mp4")
    album = root / "Music" / "Artist" / "Album (2020)"
    album.mkdir(parents=True)
    media.music(album / "01 Song.flac", seconds=2)
    return root


@pytest.fixture
def library_root(
    originals: Path, ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    root = ml_home.parent / "library"
    shutil.copytree(originals, root)
    monkeypatch.setenv("MEDIALAKE_SERVERS_LOCAL_KIND", "filesystem")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LOCAL_ROOTS", str(root))
    land()
    return root


def land(server: str = "local") -> None:
    """What a full sync stores, without Prefect."""
    client = engine().get(server)
    plan = client.plan_sync(SyncMode.FULL, {}, None, 1000)
    with warehouse().write() as con:
        library.upsert_server(con, server, client.kind, client.public_location())
        for unit in plan.units:
            library.write_batch(con, batch_frames(server, client.read_unit(unit)))


def titles(sources: list[t.Source]) -> list[str]:
    return sorted(s.title for s in sources)


def decisions() -> dict[str, tuple[str, str, str]]:
    with warehouse().read() as con:
        rows = con.execute(
            "SELECT m.title || ' (' || m.year || ')', d.decision, d.reason,"
            " d.probed_from"
            " FROM playback_decisions d JOIN movies m ON m.native_id = d.item_native_id"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_every_video_without_an_asset_is_found_music_on_request(
    library_root: Path,
) -> None:
    found = t.find_sources.fn()
    assert titles(found) == ["Alpha (2020)", "Beta (2021)", "Gamma (2022)"]
    assert all(s.abs_path and Path(s.abs_path).is_file() for s in found)
    assert titles(t.find_sources.fn(media="all"))[-1].endswith(" - 01 Song")
    assert titles(t.find_sources.fn("beta (2021")) == ["Beta (2021)"]


def test_decisions_are_recorded_with_reasons_and_jobs_queued(
    library_root: Path,
) -> None:
    planned = t.decide_sources.fn(t.find_sources.fn())
    assert sorted(p.decision.action for p in planned) == ["direct", "transcode"]
    found = decisions()
    assert found["Alpha (2020)"][0] == "direct"
    assert found["Beta (2021)"][:2] == (
        "transcode",
        "hevc video is not playable in browsers: transcoding to H.264 ladder",
    )
    assert found["Gamma (2022)"][0] == "unplayable"
    assert "Invalid data found" in found["Gamma (2022)"][1]
    with warehouse().read() as con:
        jobs = hls.jobs(con, [p.job_id for p in planned])
    assert {(j["status"], j["percent"]) for j in jobs} == {("queued", 0)}
    # an unplayable file is not tried again until it changes
    assert "Gamma (2022)" not in titles(t.find_sources.fn())


def _publish_for(source: t.Source, fingerprint: str | None) -> str:
    asset_id = publish.new_asset_id()
    with warehouse().write() as con:
        hls.publish_asset(
            con,
            {
                "asset_id": asset_id,
                "server_id": source.server_id,
                "file_native_id": source.file_native_id,
                "source_fingerprint": fingerprint,
                "decision": "direct",
                "mode": "copy",
            },
            [],
        )
    return asset_id


def test_a_current_asset_is_skipped_until_the_source_changes(
    library_root: Path,
) -> None:
    alpha = next(s for s in t.find_sources.fn() if s.title == "Alpha (2020)")
    _publish_for(alpha, alpha.fingerprint)
    assert "Alpha (2020)" not in titles(t.find_sources.fn())
    assert "Alpha (2020)" in titles(t.find_sources.fn(force=True))
    path = Path(str(alpha.abs_path))
    media.h264(path, seconds=3)  # replaced by a longer cut
    land()
    again = [s for s in t.find_sources.fn() if s.title == "Alpha (2020)"]
    assert again
    assert again[0].current_asset_id is not None


def test_enrichments_streams_are_used_when_current(library_root: Path) -> None:
    beta = next(s for s in t.find_sources.fn() if s.title == "Beta (2021)")
    with warehouse().write() as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS media_probes (server_id TEXT, native_id TEXT,"
            " probe_key TEXT, status TEXT, container TEXT, duration_s DOUBLE,"
            " bitrate BIGINT)"
        )
        con.execute(
            "CREATE TABLE IF NOT EXISTS media_streams (server_id TEXT, native_id TEXT,"
            " stream_index INTEGER, kind TEXT, codec TEXT, profile TEXT, width INTEGER,"
            " height INTEGER, frame_rate DOUBLE, pix_fmt TEXT, channels INTEGER,"
            " language TEXT, forced BOOLEAN)"
        )
        con.execute(
            "INSERT INTO media_probes (server_id, native_id, probe_key, status,"
            " container, duration_s)"
            " VALUES ('local', ?, ?, 'ok', 'matroska,webm', 2.0)",
            [beta.file_native_id, beta.fingerprint],
        )
        con.execute(
            "INSERT INTO media_streams (server_id, native_id, stream_index, kind,"
            " codec, profile, width, height, frame_rate, pix_fmt, channels, language,"
            " forced)"
            " VALUES ('local', ?, 0, 'video', 'hevc', 'Main', 320, 180, 24, 'yuv420p',"
            " NULL, NULL, false)",
            [beta.file_native_id],
        )
    [planned] = t.decide_sources.fn([beta])
    assert decisions()["Beta (2021)"][::2] == ("transcode", "media_streams")
    exact = t._exact(planned)  # the build probes the file itself for exact lengths
    assert exact.origin == "ffprobe"
    assert exact.info.audio is not None  # the stored probe had no audio row
    assert abs(exact.info.media_duration_s - 2) < 0.1


def test_sweep_fails_interrupted_jobs_and_removes_their_folders(
    library_root: Path, ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = t.decide_sources.fn(t.find_sources.fn())
    beta = next(p for p in planned if p.source.title == "Beta (2021)")
    alpha = next(p for p in planned if p.source.title == "Alpha (2020)")
    with warehouse().write() as con:
        hls.start_job(con, beta.job_id, "libx264")
        con.execute(
            "UPDATE transcode_jobs SET updated_at = now() - INTERVAL 1 HOUR"
            " WHERE job_id = ?",
            [beta.job_id],
        )
    root = ml_home / "hls"
    (root / f".tmp-{beta.asset_id}" / "180p").mkdir(parents=True)
    (root / f".tmp-{alpha.asset_id}").mkdir()  # queued and fresh: still wanted
    current = _publish_for(alpha.source, alpha.source.fingerprint)
    (root / current).mkdir()
    (root / publish.new_asset_id()).mkdir()  # published but never recorded
    assert t.sweep.fn(min_age_s=0) == {"interrupted": 1, "removed": 2}
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [current, f".tmp-{alpha.asset_id}"]
    )
    with warehouse().read() as con:
        [job] = hls.jobs(con, [beta.job_id])
    assert job["status"] == "failed"
    assert job["error"].startswith("interrupted")


KILLED_WORKER = """
import sys
from pathlib import Path
from connectors.transcode import decide, publish
from connectors.transcode.command import make_plan
from connectors.transcode.ladder import RenditionSpec
from connectors.transcode.probe import probe
source, root, asset_id = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
info = probe(source)
plan = make_plan(info, decide.Decision("transcode", "test", "ladder"),
                 specs=[RenditionSpec("180p", 180, 300)], audio_kbps=[96], segment_s=2)
publish.build_asset(source, root, plan, info.media_duration_s, asset_id=asset_id)
"""


def test_a_killed_worker_leaves_nothing_servable_and_the_sweep_cleans_up(
    tmp_path: Path,
) -> None:
    source = media.h264(tmp_path / "long.mkv", seconds=60, size="640x360")
    root, asset_id = tmp_path / "hls", publish.new_asset_id()
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER, str(source), str(root), asset_id],
        start_new_session=True,
        cwd=Path(__file__).parents[2],
    )
    work = publish.tmp_dir(root, asset_id) / "180p"
    deadline = time.monotonic() + 60
    while not list(work.glob("seg_*.ts")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its ffmpeg, mid-encode
    worker.wait()
    assert list(work.glob("seg_*.ts")), "the encode never started"
    assert not (root / asset_id).exists()
    assert paths.asset_folder(root, asset_id) is None
    assert paths.resolve(root, f".tmp-{asset_id}", ["180p", "index.m3u8"]) is None
    publish.sweep(root, keep=set(), keep_tmp=set(), min_age_s=0)
    assert list(root.iterdir()) == []
