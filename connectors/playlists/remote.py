"""Remote playlists: a playlist file behind a URL, or any list yt-dlp can read.

A URL whose path ends in a playlist suffix (``.m3u``, ``.m3u8``, ``.pls``, ``.xspf``,
``.jspf``) is fetched with httpx and parsed like a file (relative entries resolve
against the URL). Anything else goes to yt-dlp with ``extract_flat`` (the list only,
nothing downloaded): a YouTube or SoundCloud playlist, an RSS feed, an XSPF page. Each
item becomes an entry with its title (``Artist - Title`` split when present), its
uploader as the artist when the title has none, its duration and its URL.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from connectors.errors import NotFound, TransientError
from connectors.playlists.formats import (
    SUFFIXES,
    Entry,
    Parsed,
    PlaylistFormatError,
    parse_playlist,
)

log = logging.getLogger(__name__)
MAX_BYTES = 20 * 1024 * 1024


def read_remote(url: str, timeout_s: float = 30.0) -> Parsed:
    """The entries of the playlist at ``url``.

    Raises:
        NotFound: the URL answered but holds no playlist.
        TransientError: the URL did not answer.
        PlaylistFormatError: a playlist file that cannot be parsed.
    """
    path = PurePosixPath(urlsplit(url).path)
    if path.suffix.lower() in SUFFIXES:
        return _fetch_file(url, path, timeout_s)
    return _ytdlp(url, timeout_s)


def _fetch_file(url: str, path: PurePosixPath, timeout_s: float) -> Parsed:
    import httpx

    host = urlsplit(url).netloc
    try:
        reply = httpx.get(url, timeout=timeout_s, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise TransientError(host, f"{url}: {exc}") from None
    if reply.status_code == 404:
        raise NotFound(host, f"{url}: no such playlist (404)")
    if reply.status_code >= 400:
        raise TransientError(host, f"{url}: HTTP {reply.status_code}")
    if len(reply.content) > MAX_BYTES:
        raise PlaylistFormatError(f"{url}: larger than {MAX_BYTES} bytes")
    base = url.rsplit("/", 1)[0]
    return parse_playlist(reply.content, path.suffix.lower(), path.stem, base, url)


def _ytdlp(url: str, timeout_s: float) -> Parsed:
    import yt_dlp
    from yt_dlp.utils import DownloadError

    options: dict[str, Any] = {
        "quiet": True,
        "no_warnings": True,
        "extract_flat": "in_playlist",
        "skip_download": True,
        "socket_timeout": timeout_s,
        "logger": log,
    }
    host = urlsplit(url).netloc
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(url, download=False)
    except DownloadError as exc:
        text = str(exc)
        if "Unsupported URL" in text or "404" in text:
            raise NotFound(host, f"{url}: yt-dlp found no playlist there") from None
        raise TransientError(host, f"{url}: {text}") from None
    if not info or info.get("_type") != "playlist":
        raise NotFound(host, f"{url}: not a playlist (a single item)")
    out = Parsed(str(info.get("title") or host))
    for index, item in enumerate(info.get("entries") or [], 1):
        entry = _entry(item)
        if entry is None:
            out.problems.append(f"{url}: item {index} has no title or URL; skipped")
        else:
            out.entries.append(entry)
    return out


def _entry(item: Any) -> Entry | None:
    if not isinstance(item, dict):
        return None
    title = str(item.get("track") or item.get("title") or "").strip()
    artist = str(item.get("artist") or item.get("creator") or "").strip()
    if not item.get("track") and " - " in title and not artist:
        artist, _, title = (part.strip() for part in title.partition(" - "))
    artist = artist or str(item.get("uploader") or "").strip()
    location = item.get("url") or item.get("webpage_url")
    if not title and not location:
        return None
    duration = item.get("duration")
    return Entry(
        title=title or None,
        artist=artist or None,
        album=item.get("album") or None,
        duration_s=float(duration) if isinstance(duration, int | float) else None,
        location=str(location) if location else None,
    )
