"""Acquisition tasks without a flow: podcast subscriptions queue each new episode once,
and the scan request after imports records what the media server answered."""

from __future__ import annotations

from pathlib import Path

from tasks.context import warehouse
from tasks.downloads import check_feeds, trigger_scan
from tests.connectors.downloads import fixtures
from tests.connectors.downloads.test_podcasts import EPISODES, write_feed
from warehouse.downloads import rows

media, media_server = fixtures.media, fixtures.media_server  # shared fixtures


def wanted_titles() -> list[str]:
    with warehouse().read() as con:
        found = rows(con, "SELECT title FROM wanted_items ORDER BY title")
    return [row["title"] for row in found]


def test_a_subscription_queues_the_latest_then_only_new_episodes(
    ml_home: Path,
    media: Path,
    media_server,
) -> None:
    url = write_feed(media, media_server, "feed-sub.xml", EPISODES)

    first = check_feeds.fn([url], keep_latest=2)
    second = check_feeds.fn()
    newer = ("Fresh", "ep-4", "Mon, 27 Jan 2025 08:00:00 +0000", "8", "song.mp3")
    write_feed(media, media_server, "feed-sub.xml", [*EPISODES, newer])
    third = check_feeds.fn()

    assert (first, second, third) == (2, 0, 1)
    assert wanted_titles() == ["Dead Air", "Fresh", "Full Signal"]


def test_a_broken_feed_is_recorded_and_does_not_stop_the_others(
    ml_home: Path,
    media: Path,
    media_server,
) -> None:
    good = write_feed(media, media_server, "feed-ok.xml", EPISODES[:1])

    queued = check_feeds.fn([media_server.url("page.html"), good], keep_latest=5)

    assert queued == 1
    with warehouse().read() as con:
        feeds = rows(con, "SELECT feed_url, last_error FROM podcast_subscriptions")
    errors = {f["feed_url"]: f["last_error"] for f in feeds}
    assert "not a podcast feed" in errors[media_server.url("page.html")]
    assert errors[good] is None


def test_the_scan_answer_is_recorded_on_the_jobs(ml_home: Path) -> None:
    with warehouse().write() as con:
        con.execute(
            "INSERT INTO download_jobs (job_id, wanted_id, state) VALUES ('j1', 'w1',"
            " 'imported')"
        )

    answer = trigger_scan.fn(["j1"])

    assert "trigger_library_scan: unsupported by filesystem" in answer
    with warehouse().read() as con:
        [job] = rows(con, "SELECT scan_result FROM download_jobs")
    assert job["scan_result"] == answer
