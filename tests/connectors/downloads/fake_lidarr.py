"""A fake Lidarr (API v1) following ``../shared/peers/lidarr/lidarr-openapi-v1.json``.

The spec is read at run time: every route the fake serves must be a path and method of
the spec, and every record it returns may only carry properties of the spec's schema
(``AlbumResource``, ``QueueResource``...), with enum values from the spec. Auth is the
``X-Api-Key`` header or the ``apikey`` query parameter (401 otherwise). An
``AlbumSearch`` command grabs the album: a queue record appears (paged among other
downloads), its ``sizeleft`` shrinks, and the tracks are imported into the root folder
(or the record ends ``downloadFailed`` for an album marked to fail).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from tests.connectors.downloads.fake_api import FakeApi, Route

PEERS = Path(__file__).resolve().parents[3].parent / "shared" / "peers"
SPEC = PEERS / "lidarr" / "lidarr-openapi-v1.json"


@dataclass
class Album:
    """An album Lidarr can find: its tracks are (title, file with the bytes)."""

    foreign_id: str
    title: str
    artist: str
    tracks: list[tuple[str, Path]]
    fails: bool = False
    lidarr_id: int | None = None
    files: list[dict[str, Any]] = field(default_factory=list)


class Spec:
    """The OpenAPI document: routes and schema properties."""

    def __init__(self) -> None:
        self.doc = json.loads(SPEC.read_text())

    def has_route(self, method: str, path: str) -> bool:
        return method.lower() in self.doc["paths"].get(path, {})

    def check(self, schema: str, record: dict[str, Any]) -> dict[str, Any]:
        """Assert ``record`` only uses properties (and enum values) of ``schema``."""
        props = self.doc["components"]["schemas"][schema]["properties"]
        extra = set(record) - set(props)
        assert not extra, f"{schema} has no properties {extra}"
        for name, value in record.items():
            ref = props[name].get("$ref", "")
            enum = self.doc["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
            if "enum" in enum:
                assert value in enum["enum"], f"{schema}.{name}: {value!r} not in spec"
        return record


class FakeLidarr(FakeApi):
    """``with FakeLidarr(root, key, albums) as fake: fake.url``."""

    key_in_query = True
    unauthorized: ClassVar[dict[str, str]] = {"error": "Unauthorized"}

    def __init__(self, root: Path, api_key: str, albums: list[Album]) -> None:
        self.spec = Spec()
        self.root = root
        self.albums = {a.foreign_id: a for a in albums}
        self.commands: dict[int, dict[str, Any]] = {}
        self.queue: list[dict[str, Any]] = [_other_download(i) for i in range(60)]
        self._ids = iter(range(100, 10_000))
        for method, pattern, _ in ROUTES:
            template = pattern.pattern.strip("^$").replace(r"(\d+)", "{id}")
            assert self.spec.has_route(method, template), (method, template)
        super().__init__(api_key, ROUTES)

    def album_resource(self, album: Album) -> dict[str, Any]:
        record = {
            "title": album.title, "foreignAlbumId": album.foreign_id,
            "monitored": album.lidarr_id is not None, "albumType": "Album",
            "releaseDate": "2020-05-01T00:00:00Z", "duration": 0,
            "artist": {
                "artistName": album.artist,
                "foreignArtistId": f"ar-{album.foreign_id}",
            },
        }  # fmt: skip
        if album.lidarr_id is not None:
            record["id"] = album.lidarr_id
        return self.spec.check("AlbumResource", record)

    # -- endpoints ------------------------------------------------------------------
    def lookup(self, q: dict[str, str], body: Any, m: Any) -> tuple[int, Any]:
        words = q.get("term", "").casefold().replace("-", " ").split()
        found = [
            self.album_resource(a)
            for a in self.albums.values()
            if all(w in f"{a.artist} {a.title}".casefold() for w in words)
        ]
        return 200, found

    def albums_get(self, q: dict[str, str], body: Any, m: Any) -> tuple[int, Any]:
        album = self.albums.get(q.get("foreignAlbumId", ""))
        if album is None or album.lidarr_id is None:
            return 200, []
        return 200, [self.album_resource(album)]

    def album_add(self, q: dict[str, str], body: Any, m: Any) -> tuple[int, Any]:
        album = self.albums.get(body.get("foreignAlbumId"))
        artist = body.get("artist") or {}
        required = ("qualityProfileId", "metadataProfileId", "rootFolderPath")
        if album is None or not all(artist.get(k) for k in required):
            return 400, [{"propertyName": "artist", "errorMessage": "incomplete"}]
        album.lidarr_id = next(self._ids)
        return 201, self.album_resource(album)

    def command(self, q: dict[str, str], body: Any, m: Any) -> tuple[int, Any]:
        command_id = next(self._ids)
        record = {
            "id": command_id, "name": body["name"], "commandName": "Album Search",
            "status": "queued", "queued": _now(), "trigger": "manual",
        }  # fmt: skip
        self.commands[command_id] = self.spec.check("CommandResource", record)
        album = next(a for a in self.albums.values() if a.lidarr_id in body["albumIds"])
        threading.Thread(target=self._grab, args=(record, album), daemon=True).start()
        return 201, record

    def _grab(self, command: dict[str, Any], album: Album) -> None:
        time.sleep(0.05)
        command["status"] = "started"
        size = sum(path.stat().st_size for _, path in album.tracks)
        record = {"id": next(self._ids), "albumId": album.lidarr_id, "size": size,
                  "sizeleft": size, "status": "downloading", "title": album.title,
                  "trackedDownloadStatus": "ok", "trackedDownloadState": "downloading",
                  "protocol": "torrent", "downloadClient": "qBittorrent"}  # fmt: skip
        self.queue.insert(30, self.spec.check("QueueResource", record))
        command.update(status="completed", ended=_now(), result="successful")
        for left in (0.6, 0.3, 0.0):
            time.sleep(0.1)
            record["sizeleft"] = size * left
        if album.fails:
            record.update(
                trackedDownloadStatus="error",
                trackedDownloadState="downloadFailed",
                errorMessage="Download failed: the archive is corrupt",
            )
            return
        record["trackedDownloadState"] = "importing"
        time.sleep(0.1)
        self._import(album)
        self.queue.remove(record)

    def _import(self, album: Album) -> None:
        folder = self.root / album.artist / f"{album.title} (2020)"
        folder.mkdir(parents=True, exist_ok=True)
        for n, (title, source) in enumerate(album.tracks, 1):
            dest = folder / f"{n:02d} - {title}{source.suffix}"
            shutil.copyfile(source, dest)
            album.files.append(self.spec.check("TrackFileResource", {
                "id": next(self._ids), "albumId": album.lidarr_id, "path": str(dest),
                "size": dest.stat().st_size, "dateAdded": _now(),
            }))  # fmt: skip

    def command_get(self, q: dict[str, str], body: Any, m: Any) -> tuple[int, Any]:
        command = self.commands.get(int(m[1]))
        return (200, command) if command else (404, None)

    def queue_get(self, q: dict[str, str], body: Any, m: Any) -> tuple[int, Any]:
        page, size = int(q.get("page", 1)), int(q.get("pageSize", 10))
        records = self.queue[(page - 1) * size : page * size]
        return 200, self.spec.check("QueueResourcePagingResource", {
            "page": page, "pageSize": size, "sortKey": "timeleft",
            "sortDirection": "ascending", "totalRecords": len(self.queue),
            "records": records,
        })  # fmt: skip

    def trackfiles(self, q: dict[str, str], body: Any, m: Any) -> tuple[int, Any]:
        wanted = int(q.get("albumId", -1))
        return 200, [
            f for a in self.albums.values() if a.lidarr_id == wanted for f in a.files
        ]

    def rootfolders(self, q: dict[str, str], body: Any, m: Any) -> tuple[int, Any]:
        return 200, [self.spec.check("RootFolderResource", {
            "id": 1, "name": "Music", "path": str(self.root), "accessible": True,
            "defaultQualityProfileId": 1, "defaultMetadataProfileId": 1,
        })]  # fmt: skip

    def status(self, q: dict[str, str], body: Any, m: Any) -> tuple[int, Any]:
        return 200, {"appName": "Lidarr", "version": "2.14.5.4836"}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _other_download(n: int) -> dict[str, Any]:
    return {"id": n + 1, "albumId": 9000 + n, "size": 1e8, "sizeleft": 5e7,
            "status": "downloading", "trackedDownloadState": "downloading",
            "title": f"Someone Else - Album {n}"}  # fmt: skip


ROUTES: list[Route] = [
    ("GET", re.compile(r"^/api/v1/system/status$"), FakeLidarr.status),
    ("GET", re.compile(r"^/api/v1/album/lookup$"), FakeLidarr.lookup),
    ("GET", re.compile(r"^/api/v1/album$"), FakeLidarr.albums_get),
    ("POST", re.compile(r"^/api/v1/album$"), FakeLidarr.album_add),
    ("POST", re.compile(r"^/api/v1/command$"), FakeLidarr.command),
    ("GET", re.compile(r"^/api/v1/command/(\d+)$"), FakeLidarr.command_get),
    ("GET", re.compile(r"^/api/v1/queue$"), FakeLidarr.queue_get),
    ("GET", re.compile(r"^/api/v1/trackfile$"), FakeLidarr.trackfiles),
    ("GET", re.compile(r"^/api/v1/rootfolder$"), FakeLidarr.rootfolders),
]
