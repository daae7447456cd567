"""Libraries for the fake PMS: the sample library (``medialake.sample``) as Plex would
index it, and synthetic libraries of any size."""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from medialake.sample import SAMPLE_VIDEOS, sample_tracks
from medialake.sample_audio import TEMPLATE_SECONDS
from tests.connectors.media_servers.plex.fakes.library import (
    MOVIES,
    MUSIC,
    TV,
    FakeLibrary,
    Item,
)

_BITRATES = {"mp3": 256, "flac": 900, "ogg": 160, "opus": 96, "m4a": 192}


def from_sample(root: str | os.PathLike[str] = "/data/media") -> FakeLibrary:
    """The sample library (``medialake.sample``) as a Plex server would index it,
    its files under ``root`` (as the server sees them)."""
    lib = FakeLibrary()
    base = PurePosixPath(os.fspath(root))
    artists: dict[str, Item] = {}
    albums: dict[tuple[str, str], Item] = {}
    for track in sample_tracks():
        tags = track.tags
        ids = tags.musicbrainz
        if tags.album_artist not in artists:
            artists[tags.album_artist] = lib.add(
                "artist",
                MUSIC,
                tags.album_artist,
                added_at=lib.generated_stamp(),
                genres=[tags.genre],
                mbid=ids.album_artist if ids else None,
                summary=f"{tags.album_artist} make test tones.",
            )
        album_key = (tags.album_artist, tags.album)
        if album_key not in albums:
            albums[album_key] = lib.add(
                "album",
                MUSIC,
                tags.album,
                artists[tags.album_artist].key,
                added_at=lib.generated_stamp(),
                year=tags.year,
                genres=[tags.genre],
                mbid=ids.release if ids else None,
                index=1,
            )
        seconds = TEMPLATE_SECONDS[track.template]
        lib.add(
            "track",
            MUSIC,
            tags.title,
            albums[album_key].key,
            added_at=lib.generated_stamp(),
            index=tags.track,
            disc=tags.disc,
            original_title=tags.artist if tags.artist != tags.album_artist else None,
            mbid=ids.recording if ids else None,
            duration_ms=seconds * 1000,
            media=lib.media_for(
                str(base / track.path),
                track.fmt,
                seconds,
                bitrate=_BITRATES.get(track.fmt, 256),
            ),
        )
    _add_sample_videos(lib, base)
    return lib


def _add_sample_videos(lib: FakeLibrary, base: PurePosixPath) -> None:
    shows: dict[str, Item] = {}
    seasons: dict[tuple[str, int], Item] = {}
    for video in SAMPLE_VIDEOS:
        ext = video.path.rsplit(".", 1)[-1]
        container = "mkv" if ext == "mkv" else "mp4"
        media = lib.media_for(
            str(base / video.path), container, video.seconds, video=True, bitrate=1200
        )
        stamp = lib.generated_stamp()
        if video.kind == "movie":
            lib.add(
                "movie",
                MOVIES,
                video.title,
                added_at=stamp,
                year=video.year,
                duration_ms=video.seconds * 1000,
                media=media,
            )
            continue
        if video.title not in shows:
            shows[video.title] = lib.add("show", TV, video.title, added_at=stamp)
        season_key = (video.title, video.season or 0)
        if season_key not in seasons:
            seasons[season_key] = lib.add(
                "season",
                TV,
                f"Season {video.season}",
                shows[video.title].key,
                added_at=stamp,
                index=video.season,
            )
        name = video.path.rsplit(" - ", 1)[-1].rsplit(".", 1)[0]
        lib.add(
            "episode",
            TV,
            name,
            seasons[season_key].key,
            added_at=stamp,
            index=video.episode,
            duration_ms=video.seconds * 1000,
            media=media,
        )


def synthetic(
    tracks: int,
    *,
    per_album: int = 10,
    albums_per_artist: int = 4,
    movies: int = 0,
    shows: int = 0,
    episodes_per_show: int = 4,
) -> FakeLibrary:
    """A generated library of ``tracks`` tracks (and optional videos)."""
    lib = FakeLibrary()
    artist = album = None
    for n in range(tracks):
        if n % per_album == 0:
            a = n // per_album
            if a % albums_per_artist == 0:
                artist = lib.add(
                    "artist",
                    MUSIC,
                    f"Artist {a // albums_per_artist:05d}",
                    added_at=lib.generated_stamp(),
                    genres=["Rock"],
                )
            assert artist is not None
            album = lib.add(
                "album",
                MUSIC,
                f"Album {a:05d}",
                artist.key,
                added_at=lib.generated_stamp(),
                year=1990 + a % 30,
                genres=["Rock"],
                index=1,
            )
        assert album is not None
        assert artist is not None
        name = f"{n % per_album + 1:02d} Song {n}.flac"
        path = f"/data/music/{artist.title}/{album.title}/{name}"
        lib.add(
            "track",
            MUSIC,
            f"Song {n:06d}",
            album.key,
            added_at=lib.generated_stamp(),
            index=n % per_album + 1,
            disc=1,
            duration_ms=200_000,
            media=lib.media_for(path, "flac", 200.0, bitrate=900),
        )
    for m in range(movies):
        path = f"/data/video/Movie {m} ({2000 + m % 20}).mkv"
        lib.add(
            "movie",
            MOVIES,
            f"Movie {m:04d}",
            added_at=lib.generated_stamp(),
            year=2000 + m % 20,
            duration_ms=5_400_000,
            media=lib.media_for(path, "mkv", 5400.0, video=True, bitrate=8000),
        )
    for s in range(shows):
        show = lib.add("show", TV, f"Show {s:03d}", added_at=lib.generated_stamp())
        season = lib.add(
            "season", TV, "Season 1", show.key, added_at=lib.generated_stamp(), index=1
        )
        for e in range(episodes_per_show):
            path = f"/data/video/Show {s}/Season 01/Show {s} - S01E{e + 1:02d}.mkv"
            lib.add(
                "episode",
                TV,
                f"Episode {e + 1}",
                season.key,
                added_at=lib.generated_stamp(),
                index=e + 1,
                duration_ms=1_800_000,
                media=lib.media_for(path, "mkv", 1800.0, video=True, bitrate=4000),
            )
    return lib
