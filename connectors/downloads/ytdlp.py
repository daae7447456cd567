"""yt-dlp through its Python API: YouTube, SoundCloud and any URL yt-dlp supports.

A URL is resolved with ``extract_info(download=False)`` (the generic extractor handles
direct media files and HLS playlists); free text becomes a ``ytsearch`` query. Music
requests download the best audio and extract it with ffmpeg; yt-dlp's progress hooks
feed the job's progress. A ``.part`` file left in the staging folder is resumed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.downloads.base import DownloadSource, register
from connectors.downloads.records import AUDIO_KINDS, Candidate, Fetched, Kind
from connectors.errors import NotFound, TransientError

if TYPE_CHECKING:
    from connectors.downloads.base import ProgressFn
    from connectors.downloads.records import Request

log = logging.getLogger(__name__)
SEARCH_RESULTS = 5


class _Logger:
    """Routes yt-dlp's messages to the stdlib logger instead of the terminal."""

    def debug(self, msg: str) -> None:
        log.debug("%s", msg)

    def info(self, msg: str) -> None:
        log.debug("%s", msg)

    def warning(self, msg: str) -> None:
        log.info("%s", msg)

    def error(self, msg: str) -> None:
        log.info("%s", msg)


@register
class YtDlpSource(DownloadSource):
    """Any site yt-dlp supports, and plain media URLs through its generic extractor."""

    name = "ytdlp"
    kinds = frozenset({Kind.TRACK, Kind.EPISODE, Kind.VIDEO, Kind.FILE})

    def is_configured(self) -> bool:
        return True

    def check_connection(self) -> None:
        import yt_dlp  # noqa: F401 - a missing install is the only local failure

    def _options(self, **extra: Any) -> dict[str, Any]:
        return {
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "logger": _Logger(),
            "socket_timeout": self.settings.http_timeout_s,
            "retries": self.settings.http_retries,
            "noplaylist": True,
            **extra,
        }

    def search_raw(self, request: Request) -> list[Candidate]:
        target = request.url or (
            f"ytsearch{SEARCH_RESULTS}:{request.text}" if request.text else None
        )
        if not target:
            return []
        flat = {"extract_flat": "in_playlist"} if not request.url else {}
        info = self._call(lambda ydl: ydl.extract_info(target, download=False), flat)
        entries = info.get("entries") if info else None
        found = [e for e in (entries if entries is not None else [info]) if e]
        audio = request.kind in AUDIO_KINDS
        return [_candidate(self.name, entry, audio) for entry in found]

    def download_raw(
        self, candidate: Candidate, staging: Path, progress: ProgressFn
    ) -> Fetched:
        def hook(status: dict[str, Any]) -> None:
            if status.get("status") == "downloading":
                total = status.get("total_bytes") or status.get("total_bytes_estimate")
                progress(int(status.get("downloaded_bytes") or 0), total and int(total))

        options = self._options(
            outtmpl=str(staging / "%(id).80B.%(ext)s"),
            progress_hooks=[hook],
            continuedl=True,
            **_format_options(candidate.extra.get("audio", False)),
        )
        info = self._call(
            lambda ydl: ydl.extract_info(candidate.url, download=True), options
        )
        path = _downloaded_path(info)
        metadata = {
            "title": info.get("track") or info.get("title"),
            "artist": info.get("artist") or info.get("creator") or info.get("uploader"),
            "album": info.get("album"),
            "duration_s": info.get("duration"),
        }
        return Fetched(path, announced_size=None, metadata=metadata)

    def _call(self, action: Any, options: dict[str, Any]) -> dict[str, Any]:
        import yt_dlp

        opts = options if "quiet" in options else self._options(**options)
        try:
            with yt_dlp.YoutubeDL(opts) as ydl:
                return ydl.sanitize_info(action(ydl)) or {}
        except yt_dlp.utils.DownloadError as exc:
            text = str(exc).removeprefix("ERROR: ")
            if "Unsupported URL" in text or "HTTP Error 404" in text:
                raise NotFound(self.name, text[:300]) from None
            raise TransientError(self.name, text[:300]) from None


def _format_options(audio: bool) -> dict[str, Any]:
    if not audio:
        return {"format": "bv*+ba/b", "merge_output_format": "mkv"}
    return {
        "format": "bestaudio/best",
        "postprocessors": [{"key": "FFmpegExtractAudio", "preferredcodec": "best"}],
    }


def _candidate(source: str, info: dict[str, Any], audio: bool) -> Candidate:
    url = info.get("webpage_url") or info.get("original_url") or info.get("url")
    bitrate = info.get("abr") or info.get("tbr")
    return Candidate(
        source=source,
        key=str(url or info.get("id")),
        title=str(info.get("track") or info.get("title") or info.get("id") or "video"),
        url=url,
        artist=info.get("artist") or info.get("uploader"),
        album=info.get("album"),
        extension=None if audio else info.get("ext"),
        bitrate_kbps=int(bitrate) if bitrate else None,
        sample_rate_hz=info.get("asr"),
        size=info.get("filesize"),
        duration_s=info.get("duration"),
        extra={"audio": audio},
    )


def _downloaded_path(info: dict[str, Any]) -> Path:
    downloads = info.get("requested_downloads") or []
    for item in downloads:
        path = item.get("filepath") or item.get("_filename")
        if path and Path(path).exists():
            return Path(path)
    raise TransientError("ytdlp", "yt-dlp reported no downloaded file")
