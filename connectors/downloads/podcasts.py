"""Podcasts from RSS or Atom feeds (feedparser): episodes and their enclosures.

:meth:`PodcastSource.episodes` lists a feed's episodes (used to subscribe and to find
new ones); a request for an episode names its feed and GUID (or its title). The
enclosure is downloaded like a plain HTTP file, resuming a partial one; its announced
size is the transfer's ``Content-Length`` (feeds' ``length`` attributes are often
wrong), and its ``itunes:duration`` is the duration verification expects.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.downloads.base import DownloadSource, register
from connectors.downloads.fetch import extension, fetch_to, file_name, staged
from connectors.downloads.http_file import http_client
from connectors.downloads.records import Candidate, Fetched, Kind
from connectors.errors import NotFound

if TYPE_CHECKING:
    from pathlib import Path

    from connectors.downloads.base import ProgressFn
    from connectors.downloads.records import Request
    from medialake.settings import DownloadsSettings


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed: its title and its episodes (newest first)."""

    url: str
    title: str
    episodes: list[Candidate]


def parse_duration(value: Any) -> float | None:
    """``itunes:duration`` as seconds: ``"3600"``, ``"59:30"`` or ``"1:02:03"``."""
    if value in (None, ""):
        return None
    try:
        parts = [float(p) for p in str(value).strip().split(":")]
    except ValueError:
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds or None


def _published(entry: Any) -> str | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", stamp) if stamp else None


def _enclosure(entry: Any) -> dict[str, Any] | None:
    for link in entry.get("links", []):
        kind = str(link.get("type", ""))
        if link.get("rel") == "enclosure" and kind.startswith(("audio/", "video/")):
            return dict(link)
    for link in entry.get("links", []):
        if link.get("rel") == "enclosure":
            return dict(link)
    return None


@register
class PodcastSource(DownloadSource):
    """Podcast feeds and their episode enclosures."""

    name = "podcast"
    kinds = frozenset({Kind.EPISODE})

    def reload_settings(self, settings: DownloadsSettings) -> None:
        super().reload_settings(settings)
        self.http = http_client(self.name, settings)

    def is_configured(self) -> bool:
        return True

    def check_connection(self) -> None:
        return None  # each feed is its own server

    def episodes(self, feed_url: str) -> Feed:
        """Every episode of a feed with an enclosure, newest first.

        Raises:
            NotFound: the URL is not a feed. ``TransientError`` when unreachable.
        """
        import feedparser

        response = self.http.get(feed_url)
        parsed = feedparser.parse(response.content)
        if not parsed.get("version") and not parsed.entries:
            raise NotFound(self.name, f"not a podcast feed: {feed_url}")
        title = str(parsed.feed.get("title") or feed_url)
        found = []
        for entry in parsed.entries:
            enclosure = _enclosure(entry)
            if enclosure:
                found.append(self._candidate(entry, enclosure, title, feed_url))
        found.sort(key=lambda c: c.published or "", reverse=True)
        return Feed(feed_url, title, found)

    def _candidate(
        self, entry: Any, enclosure: dict[str, Any], show: str, feed_url: str
    ) -> Candidate:
        href = str(enclosure.get("href"))
        length = str(enclosure.get("length") or "")
        return Candidate(
            source=self.name,
            key=str(entry.get("id") or entry.get("guid") or href),
            title=str(entry.get("title") or file_name(href)),
            url=href,
            artist=entry.get("author") or show,
            album=show,
            extension=extension(href, enclosure.get("type")),
            duration_s=parse_duration(entry.get("itunes_duration")),
            published=_published(entry),
            extra={"feed_url": feed_url, "listed_length": length},
        )

    def search_raw(self, request: Request) -> list[Candidate]:
        if not request.feed_url:
            return []
        feed = self.episodes(request.feed_url)
        if request.episode_guid:
            return [c for c in feed.episodes if c.key == request.episode_guid]
        wanted = (request.title or request.query).casefold().strip()
        return [c for c in feed.episodes if c.title.casefold().strip() == wanted]

    def download_raw(
        self, candidate: Candidate, staging: Path, progress: ProgressFn
    ) -> Fetched:
        assert candidate.url is not None
        dest = staged(staging, file_name(candidate.url))
        total = fetch_to(self.http, candidate.url, dest, progress)
        return Fetched(dest, announced_size=total, metadata={"album": candidate.album})

    def close(self) -> None:
        self.http.close()
