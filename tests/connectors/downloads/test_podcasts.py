"""Podcasts: a feed served locally (RSS with enclosures, one of them broken) is parsed
with feedparser, and its episodes land named, tagged and verified; the broken one
stays wanted."""

from __future__ import annotations

from pathlib import Path

import mutagen

from connectors.downloads.podcasts import PodcastSource, parse_duration
from connectors.downloads.records import Kind, Request
from medialake.settings import DownloadsSettings
from tests.connectors.downloads.fixtures import library_files

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Signal Hour</title><link>http://example.invalid/</link>
<description>test feed</description>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><guid isPermaLink="false">{guid}</guid>
<pubDate>{date}</pubDate><itunes:duration>{duration}</itunes:duration>
<enclosure url="{url}" length="12345" type="audio/mpeg"/></item>"""


def write_feed(media: Path, server, name: str, episodes: list[tuple]) -> str:
    """Write an RSS feed into the served folder; return its URL."""
    items = "".join(
        ITEM.format(title=t, guid=g, date=d, duration=s, url=server.url(f))
        for t, g, d, s, f in episodes
    )
    (media / name).write_text(FEED.format(items=items))
    return server.url(name)


EPISODES = [
    ("Pilot Light", "ep-1", "Mon, 06 Jan 2025 08:00:00 +0000", "0:06", "other.mp3"),
    ("Dead Air", "ep-2", "Mon, 13 Jan 2025 08:00:00 +0000", "0:08", "missing.mp3"),
    ("Full Signal", "ep-3", "Mon, 20 Jan 2025 08:00:00 +0000", "8", "song.mp3"),
]


def test_feed_episodes_are_listed_newest_first(media, media_server) -> None:
    url = write_feed(media, media_server, "feed-list.xml", EPISODES)

    feed = PodcastSource(DownloadsSettings()).episodes(url)

    assert feed.title == "Signal Hour"
    assert [e.key for e in feed.episodes] == ["ep-3", "ep-2", "ep-1"]
    assert feed.episodes[0].duration_s == 8
    assert feed.episodes[0].published == "2025-01-20T08:00:00Z"
    assert parse_duration("1:02:03") == 3723


def test_episodes_land_named_and_the_broken_enclosure_stays_wanted(
    media, media_server, make_engine, tmp_path
) -> None:
    url = write_feed(media, media_server, "feed-get.xml", EPISODES)
    engine = make_engine()
    outcomes = {}
    for title, guid, *_ in EPISODES:
        request = Request(
            kind=Kind.EPISODE, query=title, title=title, album="Signal Hour",
            feed_url=url, episode_guid=guid, source="podcast",
        )  # fmt: skip
        outcomes[guid] = engine.run(engine.submit(request)[0])

    assert {g: o.status for g, o in outcomes.items()} == {
        "ep-1": "imported", "ep-2": "wanted", "ep-3": "imported"
    }  # fmt: skip
    assert "HTTP 404" in (outcomes["ep-2"].reason or "")
    show = tmp_path / "library/Podcasts/Signal Hour"
    assert library_files(tmp_path / "library") == [
        show / "2025-01-06 Pilot Light.mp3", show / "2025-01-20 Full Signal.mp3"
    ]  # fmt: skip
    tags = mutagen.File(show / "2025-01-20 Full Signal.mp3", easy=True)
    assert tags["genre"] == ["Podcast"]
    assert tags["album"] == ["Signal Hour"]
