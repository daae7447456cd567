"""XML the way PMS writes it, shaped by the recorded payloads in ``shared/peers/plex``.

The recordings are read at run time (never copied into the repository). Each rendered
element keeps the recorded element's tag, attribute names and attribute order, with the
values of the item being rendered; attributes the item has no value for are left out,
and attributes PMS sends that the recording lacks are appended. Parts are nested as
``Media > Part`` (what PMS sends) or flat, ``Part`` beside ``Media`` (as in the
recorded track payloads), as the server is told.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from tests.connectors.media_servers.plex.fakes.library import (
    SECTION_TITLES,
    SECTION_TYPES,
    FakePlaylist,
    Item,
    PlayEvent,
)

if TYPE_CHECKING:
    from tests.connectors.media_servers.plex.fakes.library import FakeLibrary, Media


def peers_dir() -> Path:
    """``<repo>/../shared/peers/plex``."""
    repo = next(
        p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists()
    )
    return repo.parent / "shared" / "peers" / "plex"


@functools.cache
def recorded(name: str) -> ET.Element:
    """A recorded payload (``ha-fixtures/<name>.xml``), parsed."""
    return ET.parse(peers_dir() / "ha-fixtures" / f"{name}.xml").getroot()


@functools.cache
def _template(name: str, path: str) -> tuple[str, tuple[str, ...]]:
    el = recorded(name).find(path) if path else recorded(name)
    assert el is not None, f"{name}.xml has no {path}"
    return el.tag, tuple(el.attrib)


# Elements without a recording (video) follow PMS's documented attribute names.
_VIDEO = (
    "ratingKey",
    "key",
    "parentRatingKey",
    "grandparentRatingKey",
    "guid",
    "type",
    "title",
    "grandparentKey",
    "parentKey",
    "librarySectionTitle",
    "librarySectionID",
    "librarySectionKey",
    "grandparentTitle",
    "parentTitle",
    "contentRating",
    "summary",
    "index",
    "parentIndex",
    "year",
    "thumb",
    "art",
    "duration",
    "viewCount",
    "viewOffset",
    "lastViewedAt",
    "addedAt",
    "updatedAt",
)
_VIDEO_MEDIA = (
    "id",
    "duration",
    "bitrate",
    "width",
    "height",
    "aspectRatio",
    "audioChannels",
    "audioCodec",
    "videoCodec",
    "videoResolution",
    "container",
    "videoFrameRate",
)
_DIRECTORY = (
    "ratingKey",
    "key",
    "parentRatingKey",
    "guid",
    "type",
    "title",
    "titleSort",
    "parentKey",
    "librarySectionTitle",
    "librarySectionID",
    "librarySectionKey",
    "parentTitle",
    "summary",
    "index",
    "year",
    "thumb",
    "art",
    "leafCount",
    "viewedLeafCount",
    "childCount",
    "addedAt",
    "updatedAt",
)


def shaped(
    tag_and_names: tuple[str, tuple[str, ...]], values: dict[str, object]
) -> ET.Element:
    """An element with the template's tag and attribute order, from ``values``."""
    tag, names = tag_and_names
    attrs = {n: str(values[n]) for n in names if values.get(n) is not None}
    attrs.update(
        {n: str(v) for n, v in values.items() if v is not None and n not in attrs}
    )
    return ET.Element(tag, attrs)


def container(name: str, **values: object) -> ET.Element:
    """A ``MediaContainer`` shaped like the one recorded in ``name``: the recorded
    attributes, overridden by ``values`` (a None value drops the attribute)."""
    merged: dict[str, object] = {**recorded(name).attrib, **values}
    return shaped(_template(name, ""), merged)


def _common(item: Item, lib: FakeLibrary) -> dict[str, object]:
    section = item.section
    return {
        "ratingKey": item.key,
        "key": f"/library/metadata/{item.key}"
        + ("/children" if not item.media else ""),
        "guid": f"plex://{item.type}/{item.key:024x}",
        "type": item.type,
        "title": item.title,
        "summary": item.summary,
        "index": item.index,
        "year": item.year,
        "librarySectionTitle": SECTION_TITLES[section],
        "librarySectionID": section,
        "librarySectionKey": f"/library/sections/{section}",
        "thumb": item.thumb or f"/library/metadata/{item.key}/thumb/{item.updated_at}",
        "viewCount": item.view_count or None,
        "viewOffset": item.view_offset_ms,
        "lastViewedAt": item.last_viewed_at,
        "addedAt": item.added_at,
        "updatedAt": item.updated_at,
    }


def _lineage(item: Item, lib: FakeLibrary) -> dict[str, object]:
    values: dict[str, object] = {}
    parent = lib.get(item.parent) if item.parent else None
    grand = lib.get(parent.parent) if parent and parent.parent else None
    for prefix, rel in (("parent", parent), ("grandparent", grand)):
        if rel is None:
            continue
        values |= {
            f"{prefix}RatingKey": rel.key,
            f"{prefix}Key": f"/library/metadata/{rel.key}",
            f"{prefix}Guid": f"plex://{rel.type}/{rel.key:024x}",
            f"{prefix}Title": rel.title,
            f"{prefix}Thumb": f"/library/metadata/{rel.key}/thumb/{rel.updated_at}",
        }
    if parent is not None and item.type == "episode":
        values["parentIndex"] = parent.index
    if parent is not None and item.type == "track":
        values["parentIndex"] = item.disc
        values["parentYear"] = parent.year
    return values


def item_element(
    item: Item, lib: FakeLibrary, *, flat: bool, guids: bool
) -> ET.Element:
    """One item as PMS lists it."""
    values = _common(item, lib) | _lineage(item, lib)
    if item.type == "track":
        values |= {"originalTitle": item.original_title, "duration": item.duration_ms}
        el = shaped(_template("media_100", "Track"), values)
    elif item.media:  # movie, episode
        values |= {"duration": item.duration_ms, "editionTitle": item.edition}
        el = shaped(("Video", _VIDEO), values)
    else:
        kids = lib.kids(item.key)
        leaves = lib.leaves(item.key) if item.type != "artist" else []
        values |= {
            "leafCount": len(leaves) if item.type != "artist" else None,
            "viewedLeafCount": sum(1 for k in leaves if k.view_count)
            if leaves
            else None,
            "childCount": len(kids) if item.type == "show" else None,
            "originallyAvailableAt": f"{item.year}-01-01" if item.year else None,
        }
        template = (
            _template("album", "Directory")
            if item.type == "album"
            else ("Directory", _DIRECTORY)
        )
        el = shaped(template, values)
    for genre in item.genres:
        ET.SubElement(el, "Genre", {"tag": genre})
    if guids and item.mbid:
        ET.SubElement(el, "Guid", {"id": f"mbid://{item.mbid}"})
    for media in item.media:
        _media(el, media, flat)
    return el


def _media(parent: ET.Element, media: Media, flat: bool) -> None:
    values: dict[str, object] = {
        "id": media.id,
        "duration": media.duration_ms,
        "bitrate": media.bitrate,
        "container": media.container,
    }
    if media.video:
        values |= {
            "width": 1920,
            "height": 1080,
            "videoCodec": "h264",
            "audioCodec": "aac",
            "audioChannels": 2,
            "videoResolution": "1080",
        }
        el = shaped(("Media", _VIDEO_MEDIA), values)
    else:
        values |= {"audioCodec": media.container, "audioChannels": 2}
        el = shaped(_template("media_100", "Track/Media"), values)
    parent.append(el)
    for part in media.parts:
        part_values = {
            "id": part.id,
            "key": f"/library/parts/{part.id}/{part.size}/file.{part.container}",
            "duration": part.duration_ms,
            "file": part.file,
            "size": part.size,
            "container": part.container,
        }
        (parent if flat else el).append(
            shaped(_template("media_100", "Track/Part"), part_values)
        )


def section_element(key: int, *, refreshing: bool, scanned_at: int) -> ET.Element:
    """A library section ``Directory`` shaped like the recorded one of its type."""
    type_ = SECTION_TYPES[key]
    recorded_dirs = recorded("library_sections").findall("Directory")
    source = next(d for d in recorded_dirs if d.get("type") == type_)
    el = ET.Element("Directory", dict(source.attrib))
    el.attrib.update(
        {
            "key": str(key),
            "title": SECTION_TITLES[key],
            "refreshing": "1" if refreshing else "0",
            "scannedAt": str(scanned_at),
            "uuid": f"00000000-0000-4000-8000-{key:012d}",
            "hidden": "0",
        }
    )
    location = source.find("Location")
    assert location is not None
    ET.SubElement(el, "Location", dict(location.attrib))
    return el


def playlist_element(playlist: FakePlaylist, lib: FakeLibrary) -> ET.Element:
    """A ``Playlist`` shaped like the recorded ones."""
    items = [lib.get(k) for _, k in playlist.entries]
    values = {
        "ratingKey": playlist.key,
        "key": f"/playlists/{playlist.key}/items",
        "guid": f"com.plexapp.agents.none://{playlist.key:032x}",
        "type": "playlist",
        "title": playlist.title,
        "summary": "",
        "smart": int(playlist.smart),
        "playlistType": playlist.playlist_type,
        "composite": f"/playlists/{playlist.key}/composite/{playlist.updated_at}",
        "duration": sum((i.duration_ms or 0) for i in items if i),
        "leafCount": len(playlist.entries),
        "addedAt": playlist.added_at,
        "updatedAt": playlist.updated_at,
    }
    return shaped(_template("playlists", "Playlist"), values)


def history_element(event: PlayEvent, lib: FakeLibrary) -> ET.Element | None:
    """A history entry (the shape of ``/status/sessions/history/all``)."""
    item = lib.get(event.key)
    if item is None:
        return None
    values = _lineage(item, lib) | {
        "historyKey": f"/status/sessions/history/{event.id}",
        "key": f"/library/metadata/{item.key}",
        "ratingKey": item.key,
        "librarySectionID": item.section,
        "title": item.title,
        "type": item.type,
        "index": item.index,
        "viewedAt": event.viewed_at,
        "accountID": event.account,
        "deviceID": event.device,
    }
    tag = "Track" if item.type == "track" else "Video"
    return ET.Element(tag, {k: str(v) for k, v in values.items() if v is not None})


def to_bytes(root: ET.Element) -> bytes:
    """The document as PMS sends it."""
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        root, encoding="utf-8", xml_declaration=False
    )
