"""What a download tells the user: a URL that is not there says 404 (not "nothing
acceptable found"), and an mp3 asked for by URL alone is recorded as a track."""

from __future__ import annotations

from connectors.downloads.http_file import HttpSource
from connectors.downloads.records import Kind, Request
from medialake.settings import DownloadsSettings
from tests.connectors.downloads.fixtures import wanted_row


def test_a_url_that_is_not_there_says_404(make_engine, media_server) -> None:
    engine = make_engine(sources=[HttpSource(DownloadsSettings())])
    url = media_server.url("gone.mp3")
    wanted_id = engine.submit(Request.parse(url))[0]
    outcome = engine.run(wanted_id)
    assert outcome.status == "wanted"
    assert outcome.reason == f"http: HTTP 404 on HEAD {url}"


def test_a_search_with_no_result_still_says_nothing_found(
    make_engine, media_server
) -> None:
    engine = make_engine(sources=[HttpSource(DownloadsSettings())])
    outcome = engine.run(engine.submit(Request.parse("Nobody - Nothing"))[0])
    assert "HTTP 404" not in (outcome.reason or "")


def test_an_mp3_by_url_alone_is_a_track(
    make_engine, media_server, warehouse, tmp_path
) -> None:
    request = Request.parse(media_server.url("song.mp3"))
    assert request.kind is Kind.TRACK
    assert Request.parse(media_server.url("clip.mp4")).kind is Kind.VIDEO
    engine = make_engine()
    wanted_id = engine.submit(request)[0]
    outcome = engine.run(wanted_id)
    assert outcome.status == "imported"
    assert wanted_row(warehouse, wanted_id)["kind"] == "track"
    assert outcome.path is not None
    assert outcome.path.is_relative_to(tmp_path / "library" / "Music")
