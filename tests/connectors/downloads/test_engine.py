"""The DownloadEngine against a real local HTTP server and real media files: files land
verified, tagged and named; duplicates, partial and bad files never land; retries,
backoff, fallback, cancel and per-source limits behave as a user expects."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import mutagen

from connectors.downloads.base import DownloadSource
from connectors.downloads.http_file import HttpSource
from connectors.downloads.records import Candidate, Fetched, Kind, Request
from connectors.errors import TransientError
from medialake.settings import DownloadsSettings
from tests.connectors.downloads.fixtures import job_rows, library_files, wanted_row
from tests.connectors.downloads.servers import MediaServer
from warehouse.db import Warehouse
from warehouse.downloads import DownloadStore

REPO = Path(__file__).resolve().parents[3]


def test_a_direct_file_lands_verified_tagged_and_named(
    make_engine, media_server, warehouse, tmp_path
) -> None:
    engine = make_engine()
    wanted_id, status, new = engine.submit(
        Request.parse(media_server.url("song.mp3"), Kind.TRACK)
    )
    outcome = engine.run(wanted_id)

    assert (status, new, outcome.status, outcome.source) == (
        "wanted",
        True,
        "imported",
        "http",
    )
    final = tmp_path / "library/Music/Test Artist/Test Album/Test Song.mp3"
    assert outcome.path == final
    assert library_files(tmp_path / "library") == [final]
    assert mutagen.File(final, easy=True)["title"] == ["Test Song"]
    job = job_rows(warehouse, wanted_id)[-1]
    assert job["state"] == "imported"
    assert job["final_path"] == str(final)
    assert job["size"] == final.stat().st_size
    assert 7.5 < job["duration_s"] < 8.5
    assert not (tmp_path / "staging" / wanted_id).exists()


def test_ytdlp_downloads_a_video_and_an_hls_stream(make_engine, media_server, tmp_path):
    engine = make_engine()
    outcomes = []
    for name in ("clip.mp4", "hls/index.m3u8"):
        request = Request.parse(media_server.url(name), source="ytdlp")
        outcomes.append(engine.run(engine.submit(request)[0]))

    assert [o.status for o in outcomes] == ["imported", "imported"]
    assert all(o.source == "ytdlp" for o in outcomes)
    names = sorted(p.name for p in library_files(tmp_path / "library"))
    assert names == ["clip.mp4", "index.mp4"]
    from connectors.downloads.verify import probe

    hls = probe(outcomes[1].path)
    assert hls.has_video
    assert hls.has_audio
    assert 3.5 < hls.duration_s < 4.5


def test_the_same_request_twice_downloads_once(make_engine, media_server) -> None:
    engine = make_engine()
    url = media_server.url("other.mp3")
    first = engine.submit(Request.parse(url, Kind.TRACK))
    second = engine.submit(Request.parse(url + " ", Kind.TRACK))
    before = len([r for r in media_server.requests if r.startswith("GET /other.mp3")])

    outcomes = [engine.run(first[0]), engine.run(second[0])]

    assert first[0] == second[0]
    assert second[2] is False
    assert [o.status for o in outcomes] == ["imported", "duplicate"]
    gets = [r for r in media_server.requests if r.startswith("GET /other.mp3")]
    assert len(gets) - before == 1


def test_a_track_already_in_the_library_is_not_downloaded(
    make_engine, media_server, warehouse, tmp_path
) -> None:
    with warehouse.write() as con:
        con.execute(
            "INSERT INTO tracks (server_id, native_id, title, artist, duration_s)"
            " VALUES ('local', 't1', 'Test Song (Remastered)', 'TEST ARTIST', 8.0)"
        )
    engine = make_engine()
    request = Request.parse(
        "Test Artist - Test Song", Kind.TRACK, url=media_server.url("song.mp3")
    )
    seen = len(media_server.requests)

    outcome = engine.run(engine.submit(request)[0])

    assert outcome.status == "duplicate"
    assert "track local:t1" in (outcome.reason or "")
    assert len(media_server.requests) == seen  # nothing was even searched
    assert library_files(tmp_path / "library") == []


def test_a_truncated_file_is_rejected_and_never_lands(
    make_engine, media_server, warehouse, tmp_path
) -> None:
    engine = make_engine()
    wanted_id = engine.submit(
        Request.parse(media_server.url("broken.mp3"), Kind.TRACK)
    )[0]

    outcome = engine.run(wanted_id)

    assert outcome.status == "wanted"
    assert "failed verification" in (outcome.reason or "")
    assert library_files(tmp_path / "library") == []
    assert list((tmp_path / "staging").rglob("*.mp3")) == []
    assert DownloadStore(warehouse).blocklist("http") == {
        media_server.url("broken.mp3")
    }
    again = engine.run(wanted_id, force=True)  # the bad result is never picked again
    assert again.status == "wanted"
    assert "failed verification" not in (again.reason or "")


def test_a_dropped_connection_leaves_nothing_and_the_retry_resumes(
    make_engine, media_server, warehouse, tmp_path
) -> None:
    engine = make_engine()
    url = media_server.url("song.mp3", drop=70000)  # every answer stops after 70 kB
    wanted_id = engine.submit(Request.parse(url, Kind.TRACK, source="http"))[0]

    first = engine.run(wanted_id)
    assert first.status == "wanted"
    assert "RemoteProtocolError" in (first.reason or "")
    assert library_files(tmp_path / "library") == []
    assert (tmp_path / "staging" / wanted_id / "song.mp3.part").stat().st_size > 0

    outcomes = [engine.run(wanted_id, force=True) for _ in range(4)]
    assert "imported" in [o.status for o in outcomes]
    assert any(r.startswith("GET /song.mp3 bytes=") for r in media_server.requests)
    final = tmp_path / "library/Music/Test Artist/Test Album/Test Song.mp3"
    assert final.stat().st_size == (media_server.root / "song.mp3").stat().st_size


def test_a_killed_download_leaves_nothing_and_the_retry_completes(
    make_engine, media_server, warehouse, tmp_path
) -> None:
    engine = make_engine(lease_s=1.0)
    url = media_server.url("song.mp3", rate=100000)
    wanted_id = engine.submit(Request.parse(url, Kind.TRACK))[0]
    script = (
        "import sys; from pathlib import Path;"
        "from connectors.downloads.base import build_sources;"
        "from connectors.downloads.engine import DownloadEngine;"
        "from medialake.settings import DownloadsSettings;"
        "from warehouse.db import Warehouse;"
        "from warehouse.downloads import DownloadStore;"
        "s = DownloadsSettings(sources=['http']); a = sys.argv[1:];"
        "DownloadEngine(build_sources(s), DownloadStore(Warehouse(Path(a[0]))), s,"
        " library_root=Path(a[1]), staging_root=Path(a[2])).run(a[3])"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script, str(warehouse.path), str(tmp_path / "library"),
         str(tmp_path / "staging"), wanted_id],
        cwd=REPO, start_new_session=True,
    )  # fmt: skip
    part = tmp_path / "staging" / wanted_id / "song.mp3.part"
    deadline = time.monotonic() + 30
    while not (part.exists() and part.stat().st_size > 20000):
        assert time.monotonic() < deadline
        assert worker.poll() is None
        time.sleep(0.05)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()

    assert library_files(tmp_path / "library") == []
    assert job_rows(warehouse, wanted_id)[-1]["state"] == "downloading"
    time.sleep(1.2)  # the dead job's lease runs out
    outcome = engine.run(wanted_id)

    assert outcome.status == "imported"
    states = [job["state"] for job in job_rows(warehouse, wanted_id)]
    assert states == ["failed", "imported"]
    assert "interrupted" in job_rows(warehouse, wanted_id)[0]["reason"]
    assert len(library_files(tmp_path / "library")) == 1


class _AlwaysDown(DownloadSource):
    """A source whose service keeps failing (every search is a 5xx)."""

    name = "always-down"
    kinds = frozenset({Kind.TRACK})

    def is_configured(self) -> bool:
        return True

    def check_connection(self) -> None:
        raise TransientError(self.name, "HTTP 503")

    def search_raw(self, request: Request) -> list[Candidate]:
        raise TransientError(self.name, "HTTP 503 on GET /search after 4 attempts")

    def download_raw(self, candidate, staging, progress) -> Fetched:  # pragma: no cover
        raise AssertionError("never reached")


def test_a_source_that_keeps_failing_falls_back_to_the_next(
    make_engine, media_server, tmp_path
) -> None:
    settings = DownloadsSettings(http_retries=0)
    engine = make_engine(sources=[_AlwaysDown(settings), HttpSource(settings)])
    request = Request.parse(media_server.url("other.mp3"), Kind.TRACK)

    outcome = engine.run(engine.submit(request)[0])

    assert outcome.status == "imported"
    assert outcome.source == "http"


def test_cancelled_stays_cancelled(make_engine, media_server, warehouse, tmp_path):
    engine = make_engine()
    url = media_server.url("song.mp3", rate=30000)
    wanted_id = engine.submit(Request.parse(url, Kind.TRACK))[0]
    result = {}
    runner = threading.Thread(target=lambda: result.update(o=engine.run(wanted_id)))
    runner.start()
    while job_rows(warehouse, wanted_id)[-1:] == [] or (
        job_rows(warehouse, wanted_id)[-1]["state"] != "downloading"
    ):
        time.sleep(0.05)

    assert engine.cancel(wanted_id)
    runner.join(20)

    assert result["o"].status == "cancelled"
    assert library_files(tmp_path / "library") == []
    assert not (tmp_path / "staging" / wanted_id).exists()
    assert engine.run(wanted_id, force=True).status == "skipped"
    assert not DownloadStore(warehouse).retry_now(wanted_id)
    assert wanted_row(warehouse, wanted_id)["status"] == "cancelled"
    assert job_rows(warehouse, wanted_id)[-1]["state"] == "cancelled"


def test_a_missing_item_stays_wanted_with_backoff_then_gives_up(
    make_engine, media_server, warehouse
) -> None:
    engine = make_engine(max_attempts=2, retry_base_s=600)
    wanted_id = engine.submit(Request.parse(media_server.url("gone.mp3"), Kind.TRACK))[
        0
    ]
    store = DownloadStore(warehouse)

    first = engine.run(wanted_id)
    row = wanted_row(warehouse, wanted_id)

    assert first.status == "wanted"
    assert row["attempts"] == 1
    assert row["next_attempt_at"].timestamp() - time.time() > 500
    assert wanted_id not in store.due_wanted(10)
    assert engine.run(wanted_id).status == "skipped"  # not due yet
    last = engine.run(wanted_id, force=True)
    assert last.status == "failed"
    assert "gave up after 2 attempts" in (last.reason or "")


def test_per_source_limit_holds_across_engines(
    make_engine, media_server: MediaServer, warehouse: Warehouse
) -> None:
    engines = [make_engine(default_concurrency=2) for _ in range(2)]
    ids = [
        engines[0].submit(
            Request.parse(media_server.url("other.mp3", rate=250000, n=i))
        )[0]
        for i in range(4)
    ]
    media_server.max_active = 0
    threads = [
        threading.Thread(target=engines[i % 2].run, args=(wanted_id,))
        for i, wanted_id in enumerate(ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert media_server.max_active == 2
    with warehouse.read() as con:
        states = con.execute("SELECT state FROM download_jobs").fetchall()
    # one copy lands; the others turn out to be the same tune once their tags are read
    assert sorted({row[0] for row in states}) == ["cancelled", "imported"]
