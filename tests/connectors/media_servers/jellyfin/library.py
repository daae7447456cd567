"""The fake Jellyfin's library: items as Jellyfin describes them (``BaseItemDto``).

Built from the sample library's plan (its tags and paths, without reading files) or as
N synthetic tracks, plus a few movies, a series and its episodes. Every item keeps its
full DTO (every field the fake can serve), its last-saved time (which drives ``Etag``
and ``minDateLastSaved``) and the test user's play data.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from medialake.sample import SAMPLE_VIDEOS, sample_tracks

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://medialake.invalid/fake-jellyfin")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
TICKS = 10_000_000
GATED = frozenset(
    {
        "Path",
        "MediaSources",
        "DateCreated",
        "Etag",
        "Genres",
        "ProviderIds",
        "SortName",
        "ChildCount",
        "Overview",
    }
)
"""Fields Jellyfin only writes when ``fields=`` asks for them."""


def guid(*parts: object) -> str:
    """A stable GUID written the way Jellyfin writes them (32 hex digits)."""
    return uuid.uuid5(NAMESPACE, "\x1f".join(map(str, parts))).hex


def jf_date(moment: datetime) -> str:
    """A date as Jellyfin writes it: UTC with seven fractional digits."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


@dataclass(slots=True)
class Item:
    """One library item with the fake's bookkeeping."""

    dto: dict[str, Any]
    created: datetime
    saved: datetime
    play_count: int = 0
    last_played: datetime | None = None
    position_ticks: int = 0  # the test user's resume position
    images: dict[str, bytes] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.dto["Id"])

    @property
    def type(self) -> str:
        return str(self.dto["Type"])

    def etag(self) -> str:
        """Jellyfin's Etag: an MD5 of the last-saved time in .NET ticks."""
        ticks = int(
            (self.saved - datetime(1, 1, 1, tzinfo=UTC)).total_seconds() * TICKS
        )
        return hashlib.md5(str(ticks).encode()).hexdigest()

    def user_data(self) -> dict[str, Any]:
        """``UserItemDataDto`` of the test user (``Key`` is required by 12.0)."""
        data: dict[str, Any] = {
            "PlaybackPositionTicks": self.position_ticks,
            "PlayCount": self.play_count,
            "IsFavorite": False,
            "Played": self.play_count > 0,
            "Key": self.id,
            "ItemId": self.id,
        }
        if self.last_played is not None:
            data["LastPlayedDate"] = jf_date(self.last_played)
        return data


class Library:
    """Items and artists by id, in creation order, with a change counter."""

    def __init__(self, server_id: str) -> None:
        self.server_id = server_id
        self.items: dict[str, Item] = {}
        self.artists: dict[str, Item] = {}
        self.version = 0
        self._clock = EPOCH

    def tick(self) -> datetime:
        """The next creation time (one minute after the previous item)."""
        self._clock += timedelta(minutes=1)
        return self._clock

    def _base(
        self, item_type: str, name: str, key: tuple[object, ...]
    ) -> dict[str, Any]:
        return {
            "Name": name,
            "ServerId": self.server_id,
            "Id": guid(item_type, *key),
            "SortName": name.casefold(),
            "Type": item_type,
            "IsFolder": item_type in ("MusicAlbum", "MusicArtist", "Series"),
        }

    def add(self, dto: dict[str, Any], created: datetime | None = None) -> Item:
        """Store an item (artists separately, as Jellyfin does)."""
        created = created or self.tick()
        item = Item(dto, created, created + timedelta(seconds=1))
        dto["DateCreated"] = jf_date(created)
        target = self.artists if dto["Type"] == "MusicArtist" else self.items
        target[item.id] = item
        self.version += 1
        return item

    def artist(self, name: str, mbid: str | None = None) -> dict[str, Any]:
        """The artist called ``name`` (created on first use); a NameGuidPair."""
        dto = self._base("MusicArtist", name, (name.casefold(),))
        if dto["Id"] not in self.artists:
            dto.update(
                Genres=[], ProviderIds={"MusicBrainzArtist": mbid} if mbid else {}
            )
            self.add(dto)
        return {"Name": name, "Id": dto["Id"]}

    def album(
        self, title: str, artist: str, year: int, genre: str, mbid: str | None
    ) -> dict[str, Any]:
        """An album by ``artist`` (created on first use)."""
        dto = self._base("MusicAlbum", title, (artist.casefold(), title.casefold()))
        if dto["Id"] not in self.items:
            pair = self.artist(artist)
            dto.update(
                AlbumArtist=artist,
                AlbumArtists=[pair],
                ArtistItems=[pair],
                Artists=[artist],
                ProductionYear=year,
                Genres=[genre],
                ChildCount=0,
                ProviderIds={"MusicBrainzAlbum": mbid} if mbid else {},
                MediaType="Unknown",
            )
            self.add(dto)
        return self.items[dto["Id"]].dto

    def track(
        self,
        path: str,
        title: str,
        artist: str,
        album: dict[str, Any],
        number: int,
        disc: int,
        seconds: float,
        ids: dict[str, str],
    ) -> Item:
        """A track of ``album`` stored at ``path``."""
        album["ChildCount"] += 1
        dto = self._base("Audio", title, (path,))
        pair = self.artist(artist, ids.get("MusicBrainzArtist"))
        container = path.rsplit(".", 1)[-1].lower()
        dto.update(
            Album=album["Name"],
            AlbumId=album["Id"],
            AlbumArtist=album["AlbumArtist"],
            AlbumArtists=album["AlbumArtists"],
            Artists=[artist],
            ArtistItems=[pair],
            IndexNumber=number,
            ParentIndexNumber=disc,
            ProductionYear=album["ProductionYear"],
            Genres=list(album["Genres"]),
            RunTimeTicks=int(seconds * TICKS),
            Path=path,
            ProviderIds={k: v for k, v in ids.items() if v},
            MediaType="Audio",
            MediaSources=[_source(dto["Id"], path, container, seconds, "audio")],
        )
        return self.add(dto)

    def video(
        self,
        item_type: str,
        path: str,
        title: str,
        year: int | None,
        series: dict[str, Any] | None = None,
        season: int | None = None,
        episode: int | None = None,
    ) -> Item:
        """A movie or an episode (of ``series``)."""
        dto = self._base(item_type, title, (path,))
        dto.update(
            Path=path,
            RunTimeTicks=120 * TICKS,
            MediaType="Video",
            MediaSources=[
                _source(dto["Id"], path, path.rsplit(".", 1)[-1], 120, "video")
            ],
        )
        if year:
            dto["ProductionYear"] = year
        if series is not None:
            dto.update(
                SeriesId=series["Id"],
                SeriesName=series["Name"],
                ParentIndexNumber=season,
                IndexNumber=episode,
            )
        return self.add(dto)

    def series(self, title: str) -> dict[str, Any]:
        dto = self._base("Series", title, (title.casefold(),))
        if dto["Id"] not in self.items:
            dto.update(Genres=["Drama"], MediaType="Unknown")
            self.add(dto)
        return self.items[dto["Id"]].dto


def _source(
    item_id: str, path: str, container: str, seconds: float, kind: str
) -> dict[str, Any]:
    size = int(seconds * (40_000 if kind == "audio" else 200_000))
    return {
        "Protocol": "File",
        "Id": item_id,
        "Path": path,
        "Type": "Default",
        "Container": container,
        "Size": size,
        "Name": Path(path).stem,
        "IsRemote": False,
        "RunTimeTicks": int(seconds * TICKS),
        "SupportsTranscoding": True,
        "SupportsDirectStream": True,
        "SupportsDirectPlay": True,
        "Bitrate": int(size * 8 / max(seconds, 1)),
        "MediaStreams": [
            {
                "Codec": container,
                "Type": "Audio",
                "Index": 0,
                "IsDefault": True,
                "Channels": 2,
                "SampleRate": 44100,
            }
        ],
    }


def _add_videos(library: Library, root: str) -> None:
    for video in SAMPLE_VIDEOS:
        path = f"{root}/{video.path}"
        if video.kind == "movie":
            library.video("Movie", path, video.title, video.year)
        else:
            show = library.series(video.title)
            library.video(
                "Episode",
                path,
                f"Episode {video.episode}",
                None,
                show,
                video.season,
                video.episode,
            )


def from_sample(root: Path, server_id: str) -> Library:
    """The sample library's tracks and videos, as a Jellyfin scan would list them."""
    library = Library(server_id)
    for planned in sample_tracks():
        tags = planned.tags
        mb = tags.musicbrainz
        album = library.album(
            tags.album,
            tags.album_artist,
            tags.year,
            tags.genre,
            mb.release if mb else None,
        )
        ids = (
            {
                "MusicBrainzTrack": mb.recording,
                "MusicBrainzAlbum": mb.release,
                "MusicBrainzArtist": mb.artist,
            }
            if mb
            else {}
        )
        library.track(
            f"{root}/{planned.path}",
            tags.title,
            tags.artist,
            album,
            tags.track,
            tags.disc,
            2.0,
            ids,
        )
    _add_videos(library, str(root))
    play_some(library)
    return library


def synthetic(tracks: int, server_id: str, root: str = "/media") -> Library:
    """``tracks`` tracks, 10 per album and 5 albums per artist, plus the videos."""
    library = Library(server_id)
    for i in range(tracks):
        artist_no, rest = divmod(i, 50)
        album_no, number = divmod(rest, 10)
        artist = f"Artist {artist_no:05d}"
        title = f"Album {album_no + 1} of {artist}"
        album = library.album(
            title,
            artist,
            1970 + (i // 50) % 50,
            "Rock",
            guid("mb", artist_no, album_no),
        )
        library.track(
            f"{root}/Music/{artist}/{title}/{number + 1:02d} Track {i:06d}.flac",
            f"Track {i:06d}",
            artist,
            album,
            number + 1,
            1,
            180.0,
            {"MusicBrainzTrack": guid("rec", i)},
        )
    _add_videos(library, root)
    play_some(library)
    return library


def play_some(library: Library) -> None:
    """Give every seventh track some plays."""
    for n, item in enumerate(i for i in library.items.values() if i.type == "Audio"):
        if n % 7 == 0:
            item.play_count = n % 5 + 1
            item.last_played = EPOCH + timedelta(days=30, minutes=n)
