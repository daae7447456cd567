"""Plain HTTP(S) files: a URL that answers with audio or video is downloaded as is.

Search is a ``HEAD`` request: a URL whose answer is a media type (or a media file
extension sent as ``application/octet-stream``) becomes one candidate whose announced
size is the ``Content-Length``. Anything else (a web page, a playlist) is left to the
next source in the chain, usually yt-dlp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.downloads.base import DownloadSource, register
from connectors.downloads.fetch import extension, fetch_to, file_name, staged
from connectors.downloads.records import Candidate, Fetched, Kind
from connectors.errors import RequestRejected
from connectors.http import HttpClient

if TYPE_CHECKING:
    from pathlib import Path

    from connectors.downloads.base import ProgressFn
    from connectors.downloads.records import Request
    from medialake.settings import DownloadsSettings

MEDIA_EXTENSIONS = frozenset(
    "mp3 flac ogg oga opus m4a m4b aac wav aif aiff wma wv"
    " mp4 m4v mkv webm avi mov ts mpg mpeg ogv".split()
)


def is_media(content_type: str, ext: str | None) -> bool:
    """Whether a response is a media file (by MIME type, else by extension)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind.startswith(("audio/", "video/")) and "mpegurl" not in kind:
        return True
    return kind in ("application/octet-stream", "") and (ext or "") in MEDIA_EXTENSIONS


def http_client(
    name: str,
    settings: DownloadsSettings,
    base_url: str = "",
    headers: dict[str, str] | None = None,
    credential: str = "credentials",
) -> HttpClient:
    """An :class:`HttpClient` with the ``[downloads]`` timeout and retry settings."""
    return HttpClient(
        name,
        base_url,
        credential=credential,
        headers=headers,
        timeout=settings.http_timeout_s,
        retries=settings.http_retries,
        backoff=settings.http_backoff_s,
    )


@register
class HttpSource(DownloadSource):
    """Direct file URLs."""

    name = "http"
    kinds = frozenset({Kind.TRACK, Kind.EPISODE, Kind.VIDEO, Kind.FILE})

    def reload_settings(self, settings: DownloadsSettings) -> None:
        super().reload_settings(settings)
        self.http = http_client(self.name, settings)

    def is_configured(self) -> bool:
        return True

    def check_connection(self) -> None:
        return None  # nothing to reach until a URL is asked for

    def search_raw(self, request: Request) -> list[Candidate]:
        if not request.url:
            return []
        try:
            response = self.http.request("HEAD", request.url)
        except RequestRejected:
            return []  # 405 and friends: not a plain file server
        content_type = response.headers.get("Content-Type", "")
        ext = extension(str(response.url), content_type)
        if not is_media(content_type, ext):
            return []
        length = response.headers.get("Content-Length", "")
        name = file_name(str(response.url), content_type)
        return [
            Candidate(
                source=self.name,
                key=request.url,
                title=name.rsplit(".", 1)[0],
                url=request.url,
                extension=ext,
                size=int(length) if length.isdigit() else None,
                extra={"content_type": content_type, "file_name": name},
            )
        ]

    def download_raw(
        self, candidate: Candidate, staging: Path, progress: ProgressFn
    ) -> Fetched:
        assert candidate.url is not None
        name = candidate.extra.get("file_name") or file_name(candidate.url)
        dest = staged(staging, name)
        total = fetch_to(self.http, candidate.url, dest, progress)
        return Fetched(dest, announced_size=candidate.size or total)

    def close(self) -> None:
        self.http.close()
