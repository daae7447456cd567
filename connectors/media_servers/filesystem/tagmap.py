"""Every tag system mapped to the same fields.

mutagen hands back a different object per tag system (ID3 frames, Vorbis comments,
APEv2 items, MP4 atoms, ASF attributes); RIFF INFO and AIFF text chunks come from
:mod:`.chunks`, and ffprobe's format tags from the fallback. Each is flattened into a
case-insensitive ``{key: text}`` and then read through one table per system, so the
same fields come out whatever wrote the file: ``title``, ``artist``, ``albumartist``,
``album``, ``track``/``tracktotal``, ``disc``/``disctotal``, ``date``, ``genre``,
``compilation``, MusicBrainz ids (``mb_track``, ``mb_album``, ``mb_artist``) and
ReplayGain (``rg_track``, ``rg_album``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Table = Mapping[str, tuple[str, ...]]

Fields = dict[str, str]

_COMMON: Table = {
    "title": ("title",),
    "artist": ("artist",),
    "albumartist": ("albumartist", "album artist", "album_artist"),
    "album": ("album",),
    "track": ("tracknumber", "track"),
    "tracktotal": ("tracktotal", "totaltracks"),
    "disc": ("discnumber", "disc"),
    "disctotal": ("disctotal", "totaldiscs"),
    "date": ("date", "year", "originaldate", "originalyear"),
    "genre": ("genre",),
    "compilation": ("compilation",),
    "mb_track": ("musicbrainz_trackid",),
    "mb_album": ("musicbrainz_albumid",),
    "mb_artist": ("musicbrainz_artistid",),
    "rg_track": ("replaygain_track_gain",),
    "rg_album": ("replaygain_album_gain",),
}
ID3: Table = {
    "title": ("tit2",),
    "artist": ("tpe1",),
    "albumartist": ("tpe2", "txxx:album artist", "txxx:albumartist"),
    "album": ("talb",),
    "track": ("trck",),
    "disc": ("tpos",),
    "date": ("tdrc", "tyer", "tdor", "tory", "txxx:originalyear"),
    "genre": ("tcon",),
    "compilation": ("tcmp", "txxx:compilation"),
    "mb_track": ("ufid:http://musicbrainz.org", "txxx:musicbrainz track id"),
    "mb_album": ("txxx:musicbrainz album id",),
    "mb_artist": ("txxx:musicbrainz artist id",),
    "rg_track": ("txxx:replaygain_track_gain",),
    "rg_album": ("txxx:replaygain_album_gain",),
}
MP4: Table = {
    "title": ("©nam",),
    "artist": ("©art",),
    "albumartist": ("aart",),
    "album": ("©alb",),
    "track": ("trkn",),
    "disc": ("disk",),
    "date": ("©day",),
    "genre": ("©gen",),
    "compilation": ("cpil",),
    "mb_track": ("----:com.apple.itunes:musicbrainz track id",),
    "mb_album": ("----:com.apple.itunes:musicbrainz album id",),
    "mb_artist": ("----:com.apple.itunes:musicbrainz artist id",),
    "rg_track": ("----:com.apple.itunes:replaygain_track_gain",),
    "rg_album": ("----:com.apple.itunes:replaygain_album_gain",),
}
ASF: Table = {
    "title": ("title",),
    "artist": ("author", "wm/artists"),
    "albumartist": ("wm/albumartist",),
    "album": ("wm/albumtitle",),
    "track": ("wm/tracknumber",),
    "disc": ("wm/partofset",),
    "date": ("wm/year", "wm/originalreleaseyear"),
    "genre": ("wm/genre",),
    "compilation": ("wm/iscompilation",),
    "mb_track": ("musicbrainz/track id",),
    "mb_album": ("musicbrainz/album id",),
    "mb_artist": ("musicbrainz/artist id",),
    "rg_track": ("replaygain_track_gain",),
    "rg_album": ("replaygain_album_gain",),
}
RIFF_INFO: Table = {
    "title": ("inam",),
    "artist": ("iart",),
    "album": ("iprd", "ialb"),
    "track": ("itrk", "iprt"),
    "date": ("icrd",),
    "genre": ("ignr",),
}
AIFF_TEXT: Table = {"title": ("name",), "artist": ("auth",)}


def map_fields(flat: Mapping[str, Any], table: Table) -> Fields:
    """The canonical fields ``table`` finds in ``flat`` (lower-case keys, raw values
    turned into text only when asked for: cover art is never decoded)."""
    found: Fields = {}
    for field, keys in table.items():
        for key in keys:
            value = flat.get(key)
            if value is None:
                continue
            text = _first_text(value)
            if text:
                found[field] = text
                break
    return found


def from_mutagen(tags: Any) -> Fields:
    """The canonical fields of any mutagen tag object (None: no tags)."""
    if tags is None:
        return {}
    kind = type(tags).__module__
    if kind.startswith("mutagen.id3") or hasattr(tags, "getall"):
        return map_fields(_flat_id3(tags), ID3)
    if kind.startswith("mutagen.mp4"):
        return map_fields(_flat_items(tags.items()), MP4)
    if kind.startswith("mutagen.asf"):
        fields = map_fields(_flat_items(tags.items()), ASF)
        if "track" not in fields:  # WM/Track counts from zero
            zero_based = _first_text(_get(tags, "WM/Track"))
            if zero_based and zero_based.isdigit():
                fields["track"] = str(int(zero_based) + 1)
        return fields
    # Vorbis comments (a list of pairs) and APEv2 (a case-insensitive mapping)
    items = tags if isinstance(tags, list) else tags.items()
    return map_fields(_flat_items(items), _COMMON)


def from_ffprobe(tags: dict[str, str]) -> Fields:
    """The canonical fields of ffprobe's format tags (its own spellings included)."""
    flat = {k.lower(): str(v).strip() for k, v in tags.items() if str(v).strip()}
    table = dict(_COMMON)
    table["albumartist"] = (*_COMMON["albumartist"], "album-artist")
    table["artist"] = ("artist", "author")
    table["date"] = (*_COMMON["date"], "creation_time")
    return map_fields(flat, table)


def merge(*sources: Fields) -> Fields:
    """Fields from the first source that has each one."""
    merged: Fields = {}
    for source in sources:
        for key, value in source.items():
            merged.setdefault(key, value)
    return merged


def _flat_items(items: Any) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in items:
        flat.setdefault(str(key).lower(), value)
    return flat


def _flat_id3(tags: Any) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for frame in tags.values():
        frame_id = frame.FrameID.lower()
        if frame_id == "txxx":
            key, text = f"txxx:{str(frame.desc).lower()}", _first_text(frame.text)
        elif frame_id == "ufid":
            key, text = f"ufid:{frame.owner}", _first_text(frame.data)
        elif frame_id == "tcon":
            key, text = frame_id, _first_text(frame.genres)
        elif hasattr(frame, "text"):
            key, text = frame_id, _first_text(frame.text)
        else:
            continue
        if text and key not in flat:
            flat[key] = text
    return flat


def _get(tags: Any, key: str) -> Any:
    try:
        return tags.get(key)
    except (KeyError, ValueError, TypeError):
        return None


def _first_text(value: Any) -> str | None:
    """One value as text: the first of a list, ``n/total`` of a pair, bytes decoded,
    multi-value separators cut off."""
    if type(value) is list and value and type(value[0]) is str:  # the common case
        value = value[0]
    if type(value) is str:
        text = value.split("\0", 1)[0].strip()
        return text or None
    if isinstance(value, list | tuple) and value and not _is_pair(value):
        value = value[0]
    if _is_pair(value):
        number, total = value
        return f"{number}/{total}" if total else (str(number) if number else None)
    if isinstance(value, bool):
        return "1" if value else "0"
    if hasattr(value, "value") and not isinstance(value, str | bytes):  # ASF
        value = value.value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if value is None:
        return None
    text = str(value).split("\0", 1)[0].strip()
    return text or None


def _is_pair(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )
