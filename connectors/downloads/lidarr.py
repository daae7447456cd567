"""Lidarr (API v1): album lookup, add and search, then follow its queue. Album-only.

Lidarr downloads through its own indexers and download clients and imports into its
own root folder, so this source hands back the files Lidarr placed (its track files)
instead of a file in the staging folder; the engine probes the ones it can see and
records the import. Progress comes from Lidarr's queue (``size``/``sizeleft``); a queue
record in ``downloadFailed``/``importFailed`` fails the download.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.downloads.base import DownloadSource, register
from connectors.downloads.http_file import http_client
from connectors.downloads.records import Candidate, Fetched, Kind
from connectors.errors import NotFound, TransientError

if TYPE_CHECKING:
    from connectors.downloads.base import ProgressFn
    from connectors.downloads.records import Request
    from medialake.settings import DownloadsSettings

_FAILED_STATES = frozenset({"downloadFailed", "importFailed", "importBlocked"})
IDLE_POLLS = 10  # polls with nothing queued and no files before "not found"


@register
class LidarrSource(DownloadSource):
    """Albums through Lidarr."""

    name = "lidarr"
    kinds = frozenset({Kind.ALBUM})
    album_only = True

    def reload_settings(self, settings: DownloadsSettings) -> None:
        super().reload_settings(settings)
        key = (
            settings.lidarr_api_key.get_secret_value()
            if settings.lidarr_api_key
            else ""
        )
        self.http = http_client(
            self.name,
            settings,
            base_url=(settings.lidarr_url or "").rstrip("/") + "/api/v1",
            headers={"X-Api-Key": key},
            credential="downloads.lidarr_api_key",
        )

    def is_configured(self) -> bool:
        return bool(self.settings.lidarr_url and self.settings.lidarr_api_key)

    def check_connection(self) -> None:
        self.http.get("/system/status")

    def search_raw(self, request: Request) -> list[Candidate]:
        term = request.text
        if not term:
            return []
        albums = self.http.get("/album/lookup", params={"term": term}).json()
        return [self._candidate(album) for album in albums]

    def _candidate(self, album: dict[str, Any]) -> Candidate:
        artist = album.get("artist") or {}
        return Candidate(
            source=self.name,
            key=str(album["foreignAlbumId"]),
            title=str(album.get("title") or album["foreignAlbumId"]),
            artist=artist.get("artistName"),
            album=album.get("title"),
            published=album.get("releaseDate"),
            duration_s=(album.get("duration") or 0) / 1000 or None,
            extra={"album": album},
        )

    def download_raw(
        self, candidate: Candidate, staging: Path, progress: ProgressFn
    ) -> Fetched:
        album_id = self._ensure_album(candidate.extra["album"])
        command = self.http.post(
            "/command", json={"name": "AlbumSearch", "albumIds": [album_id]}
        ).json()
        files = self._follow(album_id, int(command["id"]), progress)
        return Fetched(
            None,
            metadata={"album": candidate.album, "artist": candidate.artist},
            imported_paths=[Path(str(f["path"])) for f in files],
        )

    def _ensure_album(self, album: dict[str, Any]) -> int:
        """The album's Lidarr id, adding the album (monitored, unsearched) if needed."""
        existing = self.http.get(
            "/album", params={"foreignAlbumId": album["foreignAlbumId"]}
        ).json()
        if existing:
            return int(existing[0]["id"])
        root = self._root_folder()
        artist = dict(album.get("artist") or {})
        artist.update(
            qualityProfileId=root.get("defaultQualityProfileId") or 1,
            metadataProfileId=root.get("defaultMetadataProfileId") or 1,
            rootFolderPath=root["path"],
            monitored=True,
        )
        body = {
            **album,
            "monitored": True,
            "artist": artist,
            "addOptions": {"addType": "manual", "searchForNewAlbum": False},
        }
        return int(self.http.post("/album", json=body).json()["id"])

    def _root_folder(self) -> dict[str, Any]:
        folders = self.http.get("/rootfolder").json()
        wanted = self.settings.lidarr_root_folder
        for folder in folders:
            if wanted is None or folder.get("path") == wanted:
                return dict(folder)
        raise NotFound(
            self.name, "no Lidarr root folder (downloads.lidarr_root_folder)"
        )

    def _follow(
        self, album_id: int, command_id: int, progress: ProgressFn
    ) -> list[dict[str, Any]]:
        """Wait until the album's files are imported; report queue progress."""
        poll = self.settings.poll_interval_s
        deadline = time.monotonic() + self.settings.transfer_timeout_s
        idle_since: float | None = None
        while time.monotonic() < deadline:
            command = self.http.get(f"/command/{command_id}").json()
            if command.get("status") in ("failed", "aborted", "cancelled", "orphaned"):
                raise TransientError(self.name, f"AlbumSearch {command.get('status')}")
            records = self._queue(album_id)
            if records:
                idle_since = None
                _report(records, progress)
            elif command.get("status") == "completed":
                files = self.http.get("/trackfile", params={"albumId": album_id}).json()
                if files:
                    return list(files)
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > IDLE_POLLS * poll:
                    raise NotFound(self.name, "Lidarr found no release for this album")
            time.sleep(poll)
        raise TransientError(self.name, "Lidarr did not finish the album in time")

    def _queue(self, album_id: int) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = self.http.get(
                "/queue", params={"page": page, "pageSize": 50, "includeAlbum": True}
            ).json()
            records += [
                r for r in answer.get("records", []) if r.get("albumId") == album_id
            ]
            if page * int(answer.get("pageSize") or 50) >= int(answer["totalRecords"]):
                return records
            page += 1

    def close(self) -> None:
        self.http.close()


def _report(records: list[dict[str, Any]], progress: ProgressFn) -> None:
    """Fail on a failed queue record, else report the album's bytes done."""
    for record in records:
        if record.get("trackedDownloadState") in _FAILED_STATES:
            why = record.get("errorMessage") or record["trackedDownloadState"]
            raise TransientError("lidarr", f"Lidarr download failed: {why}")
    size = sum(int(r.get("size") or 0) for r in records)
    left = sum(int(r.get("sizeleft") or 0) for r in records)
    progress(size - left, size or None)
