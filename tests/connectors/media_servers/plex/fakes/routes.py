"""The library endpoints of the fake Plex Media Server (per-user ones: user_routes).

Each handler takes a :class:`Request` and returns ``(status, MediaContainer or None)``;
a :class:`HttpError` answers with its status instead (404 for what does not exist, 400
for what PMS would refuse).
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote

from tests.connectors.media_servers.plex.fakes import queries
from tests.connectors.media_servers.plex.fakes.library import (
    SECTION_TITLES,
    SECTION_TYPES,
    TYPE_NUMBERS,
    Item,
)
from tests.connectors.media_servers.plex.fakes.render import (
    container,
    item_element,
    recorded,
    section_element,
)

if TYPE_CHECKING:
    from tests.connectors.media_servers.plex.fakes.server import FakePlex

TYPE_NAMES = {number: name for name, number in TYPE_NUMBERS.items()}


class HttpError(Exception):
    """Answer with ``status`` (and PMS's short HTML body)."""

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(reason)
        self.status = status


@dataclass(slots=True)
class Request:
    method: str
    path: str
    params: list[tuple[str, str]]
    start: int = 0
    size: int | None = None
    paged: bool = False
    body: bytes = b""
    served: list[int] = field(default_factory=lambda: [0])  # items in the answer

    def param(self, name: str, default: str | None = None) -> str | None:
        return next((v for k, v in reversed(self.params) if k == name), default)


Answer = tuple[int, ET.Element | bytes | None]


def paged(
    req: Request, root: ET.Element, elements: list[ET.Element], total: int
) -> Answer:
    root.set("size", str(len(elements)))
    if req.paged:
        root.set("totalSize", str(total))
        root.set("offset", str(req.start))
    else:
        root.attrib.pop("totalSize", None)
        root.attrib.pop("offset", None)
    root.extend(elements)
    req.served[0] = len(elements)
    return 200, root


def page_of(req: Request, items: list) -> list:
    try:
        return queries.page(items, req.start, req.size)
    except queries.BadQuery as exc:
        raise HttpError(400, str(exc)) from None


def flat(fake: FakePlex, item: Item) -> bool:
    return fake.layout == "flat" or (fake.layout == "mixed" and item.key % 2 == 1)


def _elements(fake: FakePlex, req: Request, items: list[Item]) -> list[ET.Element]:
    guids = req.param("includeGuids") == "1"
    return [
        item_element(i, fake.library, flat=flat(fake, i), guids=guids) for i in items
    ]


# -- server ----------------------------------------------------------------------------
def root(fake: FakePlex, req: Request) -> Answer:
    el = ET.Element(
        "MediaContainer",
        {
            "size": "1",
            "allowCameraUpload": "0",
            "allowSync": "1",
            "friendlyName": "medialake-fake",
            "machineIdentifier": fake.machine_id,
            "multiuser": "1",
            "myPlex": "0",
            "platform": "Linux",
            "platformVersion": "6.1",
            "transcoderAudio": "1",
            "transcoderVideo": "1",
            "updatedAt": str(fake.started_at),
            "version": fake.version,
        },
    )
    ET.SubElement(el, "Directory", {"count": "1", "key": "library", "title": "library"})
    return 200, el


def identity(fake: FakePlex, req: Request) -> Answer:
    return 200, ET.Element(
        "MediaContainer",
        {
            "size": "0",
            "claimed": "1",
            "machineIdentifier": fake.machine_id,
            "version": fake.version,
        },
    )


def library(fake: FakePlex, req: Request) -> Answer:
    el = ET.Element(
        "MediaContainer",
        {
            "size": "3",
            "allowSync": "0",
            "identifier": "com.plexapp.plugins.library",
            "title1": "Plex Library",
            "title2": "",
        },
    )
    for key, title in (
        ("sections", "Library Sections"),
        ("recentlyAdded", "Recently Added Content"),
        ("onDeck", "On Deck Content"),
    ):
        ET.SubElement(el, "Directory", {"key": key, "title": title})
    return 200, el


# -- sections --------------------------------------------------------------------------
def sections(fake: FakePlex, req: Request) -> Answer:
    el = container("library_sections", size=len(SECTION_TYPES))
    for key in sorted(SECTION_TYPES):
        el.append(
            section_element(
                key, refreshing=fake.refreshing(key), scanned_at=fake.scanned_at(key)
            )
        )
    return 200, el


def _section(key: str) -> int:
    if not key.isdigit() or int(key) not in SECTION_TYPES:
        raise HttpError(404, "no such section")
    return int(key)


def section_listing(fake: FakePlex, req: Request, key: str) -> Answer:
    section = _section(key)
    number = req.param("type") or str(TYPE_NUMBERS[SECTION_TYPES[section]])
    type_name = TYPE_NAMES.get(int(number)) if number.isdigit() else None
    if type_name is None:
        raise HttpError(400, "bad type")
    try:
        items = fake.listing(section, type_name, req.param("sort"), req.params)
    except queries.BadQuery as exc:
        raise HttpError(400, str(exc)) from None
    root_el = container(
        "library_music_metadata",
        librarySectionID=section,
        librarySectionTitle=SECTION_TITLES[section],
        librarySectionUUID=f"00000000-0000-4000-8000-{section:012d}",
        title1=SECTION_TITLES[section],
        title2=f"All {type_name.title()}s",
        viewGroup=type_name,
    )
    if req.param("includeMeta") == "1" and section == 3:
        meta = recorded("library_music_metadata").find("Meta")
        if meta is not None:
            root_el.append(copy.deepcopy(meta))
    return paged(req, root_el, _elements(fake, req, page_of(req, items)), len(items))


def section_edit(fake: FakePlex, req: Request, key: str) -> Answer:
    """``PUT /library/sections/N/all?type=&id=&field.value=&genre[i].tag.tag=``."""
    section = _section(key)
    ids = [int(i) for i in (req.param("id") or "").split(",") if i.isdigit()]
    items = [fake.library.get(i) for i in ids]
    if not ids or any(i is None or i.section != section for i in items):
        raise HttpError(400, "edit needs the id of items in this section")
    genres = [v for k, v in req.params if re.fullmatch(r"genre\[\d+\]\.tag\.tag", k)]
    drop = [
        unquote(v)
        for k, v in req.params
        if k == "genre[].tag.tag-"
        for v in v.split(",")
    ]
    for item in items:
        assert item is not None
        changes: dict[str, object] = {}
        if req.param("title.value") is not None:
            changes["title"] = req.param("title.value")
        if req.param("summary.value") is not None:
            changes["summary"] = req.param("summary.value")
        if genres or drop:
            kept = genres or list(item.genres)
            changes["genres"] = [g for g in kept if g not in drop]
        fake.library.touch(item.key, **changes)
    return 200, None


def section_browse(fake: FakePlex, req: Request, key: str) -> Answer:
    section = _section(key)
    el = ET.Element(
        "MediaContainer",
        {
            "size": "2",
            "librarySectionID": str(section),
            "title1": SECTION_TITLES[section],
        },
    )
    for sub, title in (("all", "All"), ("recentlyAdded", "Recently Added")):
        ET.SubElement(el, "Directory", {"key": sub, "title": title})
    return 200, el


def sorts(fake: FakePlex, req: Request, key: str) -> Answer:
    _section(key)
    return 200, copy.deepcopy(recorded("library_music_sort"))


def collections(fake: FakePlex, req: Request, key: str) -> Answer:
    section = _section(key)
    root_el = ET.Element("MediaContainer", {"librarySectionID": str(section)})
    return paged(req, root_el, [], 0)


def refresh(fake: FakePlex, req: Request, key: str) -> Answer:
    targets = list(SECTION_TYPES) if key == "all" else [_section(key)]
    for section in targets:
        fake.scan(section, cancel=req.method == "DELETE")
    return 200, None


# -- metadata --------------------------------------------------------------------------
def _items(fake: FakePlex, ids: str) -> list[Item]:
    if fake.empty:
        raise HttpError(404)
    found = [fake.library.get(int(i)) for i in ids.split(",") if i.isdigit()]
    items = [i for i in found if i is not None]
    if not items:
        raise HttpError(404, "no such item")
    return items


def metadata(fake: FakePlex, req: Request, ids: str) -> Answer:
    items = _items(fake, ids)
    first = items[0]
    root_el = container(
        "media_100",
        librarySectionID=first.section,
        librarySectionTitle=SECTION_TITLES[first.section],
        librarySectionUUID=f"00000000-0000-4000-8000-{first.section:012d}",
    )
    return paged(req, root_el, _elements(fake, req, page_of(req, items)), len(items))


def children(fake: FakePlex, req: Request, ids: str, leaves: bool = False) -> Answer:
    [parent] = _items(fake, ids)[:1]
    kids = fake.library.leaves(parent.key) if leaves else fake.library.kids(parent.key)
    kids.sort(key=lambda i: (_group(fake, i), i.index or 0, i.key))
    name = "grandchildren_300" if leaves else "children_300"
    root_el = container(
        name,
        key=parent.key,
        parentTitle=parent.title,
        title1=SECTION_TITLES[parent.section],
        title2=parent.title,
        summary=parent.summary or None,
        librarySectionID=parent.section,
        librarySectionTitle=SECTION_TITLES[parent.section],
        parentIndex=parent.index,
        art=f"/library/metadata/{parent.key}/art/{parent.updated_at}",
        thumb=f"/library/metadata/{parent.key}/thumb/{parent.updated_at}",
        viewGroup=kids[0].type if kids else None,
    )
    return paged(req, root_el, _elements(fake, req, page_of(req, kids)), len(kids))


def _group(fake: FakePlex, item: Item) -> int:
    """A leaf's disc (tracks) or season number (episodes), for ordering."""
    if item.type == "episode" and item.parent is not None:
        season = fake.library.get(item.parent)
        return season.index or 0 if season else 0
    return item.disc or 0


def posters(fake: FakePlex, req: Request, ids: str) -> Answer:
    [item] = _items(fake, ids)[:1]
    if not req.body and not req.param("url"):
        raise HttpError(400, "no image")
    fake.library.posters[item.key] = req.body or (req.param("url") or "").encode()
    now = fake.library.now()
    fake.library.touch(item.key, thumb=f"/library/metadata/{item.key}/thumb/{now}")
    return 200, None


def thumb(fake: FakePlex, req: Request, key: str) -> Answer:
    """An item's poster or cover (JPEG): the one uploaded, else a small one of its
    own colour."""
    [item] = _items(fake, key)[:1]
    found = fake.library.posters.get(item.key)
    if found is None:
        from tests.connectors.metadata.pictures import jpeg

        found = jpeg(60, 90, "navy")
    return 200, found
