"""The fake PMS's per-user endpoints: accounts, play state (``/:/scrobble``), play
history and playlists."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from tests.connectors.media_servers.plex.fakes.library import ACCOUNTS, FakePlaylist
from tests.connectors.media_servers.plex.fakes.render import (
    container,
    history_element,
    item_element,
    playlist_element,
)
from tests.connectors.media_servers.plex.fakes.routes import (
    Answer,
    HttpError,
    Request,
    flat,
    page_of,
    paged,
)

if TYPE_CHECKING:
    from tests.connectors.media_servers.plex.fakes.server import FakePlex

_URI = re.compile(
    r"^server://([^/]+)/com\.plexapp\.plugins\.library/library/metadata/([\d,]+)$"
)


def accounts(fake: FakePlex, req: Request) -> Answer:
    el = ET.Element("MediaContainer", {"identifier": "com.plexapp.system.accounts"})
    names = {0: "", **ACCOUNTS}
    kids = [
        ET.Element(
            "Account",
            {
                "id": str(i),
                "key": f"/accounts/{i}",
                "name": n,
                "defaultAudioLanguage": "en",
                "autoSelectAudio": "1",
            },
        )
        for i, n in names.items()
    ]
    return paged(req, el, page_of(req, kids), len(kids))


def scrobble(fake: FakePlex, req: Request, undo: bool = False) -> Answer:
    key = req.param("key") or ""
    item = fake.library.get(int(key)) if key.isdigit() else None
    if item is None:
        raise HttpError(404)
    if undo:
        with fake.library.lock:
            item.view_count, item.last_viewed_at = 0, None
            fake.library.version += 1
    else:
        fake.library.play(item.key)
    return 200, None


# -- history ---------------------------------------------------------------------------
def history(fake: FakePlex, req: Request) -> Answer:
    allowed = {
        "sort",
        "accountID",
        "metadataItemID",
        "librarySectionID",
        "viewedAt>",
        "viewedAt<",
    }
    unknown = [
        k for k, _ in req.params if k not in allowed and not k.startswith("X-Plex-")
    ]
    if unknown:
        raise HttpError(400, f"unknown parameter {unknown[0]}")
    with fake.library.lock:
        events = list(fake.library.history)
    checks = {
        "accountID": lambda e, v: e.account == int(v),
        "metadataItemID": lambda e, v: e.key == int(v),
        "librarySectionID": lambda e, v: (
            (i := fake.library.get(e.key)) is not None and i.section == int(v)
        ),
        "viewedAt>": lambda e, v: e.viewed_at >= int(v),
        "viewedAt<": lambda e, v: e.viewed_at <= int(v),
    }
    for name, check in checks.items():
        value = req.param(name)
        if value is not None:
            events = [e for e in events if check(e, value)]
    events.sort(
        key=lambda e: (e.viewed_at, e.id),
        reverse=req.param("sort", "") == "viewedAt:desc",
    )
    elements = [
        el
        for e in page_of(req, events)
        if (el := history_element(e, fake.library)) is not None
    ]
    return paged(req, ET.Element("MediaContainer"), elements, len(events))


# -- playlists -------------------------------------------------------------------------
def _playlist(fake: FakePlex, key: str) -> FakePlaylist:
    found = fake.library.playlists.get(int(key)) if key.isdigit() else None
    if found is None:
        raise HttpError(404, "no such playlist")
    return found


def _uri_keys(fake: FakePlex, uri: str | None) -> list[int]:
    match = _URI.match(uri or "")
    if match is None or match.group(1) != fake.machine_id:
        raise HttpError(400, "bad uri")
    keys = [int(k) for k in match.group(2).split(",")]
    if any(fake.library.get(k) is None for k in keys):
        raise HttpError(400, "unknown item in uri")
    return keys


def _one(playlist: FakePlaylist, fake: FakePlex) -> Answer:
    el = container("playlists", size=1)
    el.append(playlist_element(playlist, fake.library))
    return 200, el


def playlists(fake: FakePlex, req: Request) -> Answer:
    lib = fake.library
    if req.method == "POST":
        if req.param("smart", "0") != "0" or req.param("type") not in (
            "audio",
            "video",
            "photo",
        ):
            raise HttpError(400, "only regular playlists of a known type")
        keys = _uri_keys(fake, req.param("uri"))
        now = lib.now()
        playlist = FakePlaylist(
            lib.new_key(), req.param("title") or "", req.param("type") or "", now, now
        )
        playlist.entries = [(lib.new_id(), k) for k in keys]
        lib.playlists[playlist.key] = playlist
        return _one(playlist, fake)
    found = [
        p
        for p in lib.playlists.values()
        if req.param("playlistType") in (None, p.playlist_type)
        and (req.param("title") or "").casefold() in p.title.casefold()
    ]
    elements = [playlist_element(p, lib) for p in page_of(req, found)]
    return paged(req, container("playlists"), elements, len(found))


def playlist(fake: FakePlex, req: Request, key: str) -> Answer:
    found = _playlist(fake, key)
    if req.method == "DELETE":
        del fake.library.playlists[found.key]
        return 200, None
    return _one(found, fake)


def playlist_items(
    fake: FakePlex, req: Request, key: str, item_id: str | None = None
) -> Answer:
    lib = fake.library
    found = _playlist(fake, key)
    if req.method in ("PUT", "DELETE"):
        if req.method == "PUT":
            found.entries += [
                (lib.new_id(), k) for k in _uri_keys(fake, req.param("uri"))
            ]
        elif item_id is None:
            found.entries = []
        elif not any(str(i) == item_id for i, _ in found.entries):
            raise HttpError(404, "no such playlist item")
        else:
            found.entries = [(i, k) for i, k in found.entries if str(i) != item_id]
        found.updated_at = max(lib.now(), found.updated_at + 1)
        return _one(found, fake)
    entries = [(i, lib.get(k)) for i, k in found.entries]
    live = [(i, item) for i, item in entries if item is not None]
    elements = []
    for playlist_item_id, item in page_of(req, live):
        el = item_element(item, lib, flat=flat(fake, item), guids=False)
        el.set("playlistItemID", str(playlist_item_id))
        elements.append(el)
    root_el = container(
        "playlists",
        ratingKey=found.key,
        title=found.title,
        playlistType=found.playlist_type,
        smart=int(found.smart),
        leafCount=len(live),
        duration=0,
    )
    return paged(req, root_el, elements, len(live))
