"""Reading playlist files (M3U/M3U8 with ``#EXTINF``, PLS, XSPF, JSPF) into entries,
and writing an M3U8.

Hand-written on purpose: each format is a few lines of text, XML (the standard
library's ``ElementTree``, which resolves no external entity) or JSON, and the
maintained parsers on PyPI either target HLS (``m3u8``) or drop the fields a match
needs (``#EXTINF`` artist, XSPF identifiers). A file that is not a playlist raises
:class:`PlaylistFormatError` naming the file and the line; an entry that cannot be
used (no title and no location) is skipped and listed in ``problems``, never silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import unquote, urlsplit

SUFFIXES = (".m3u", ".m3u8", ".pls", ".xspf", ".jspf")
_XSPF_NS = "{http://xspf.org/ns/0/}"
_MBID = re.compile(
    r"musicbrainz\.org/recording/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{12})",
    re.I,
)
_TRACK_NO = re.compile(r"^\s*(\d{1,2}-)?\d{1,3}(\s*[-.]\s*|\s+)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]+://", re.I)


class PlaylistFormatError(ValueError):
    """The file is not a playlist medialake can read (the message says why)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a playlist, as much as its source says about the track."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    duration_s: float | None = None
    location: str | None = None
    mb_recording_id: str | None = None
    match_key: str | None = None

    def key(self) -> str:
        """A stable id of the entry (the same entry read twice has the same key)."""
        basis = "\x1f".join(
            str(v or "")
            for v in (
                self.location,
                self.mb_recording_id,
                self.match_key,
                self.artist,
                self.title,
                self.album,
            )
        )
        return hashlib.sha1(basis.encode()).hexdigest()[:20]

    @property
    def label(self) -> str:
        """``Artist - Title`` (or what the entry has) for reports."""
        parts = [p for p in (self.artist, self.title) if p]
        return " - ".join(parts) or self.location or "(empty entry)"


@dataclass(slots=True)
class Parsed:
    """A playlist read from a file: its name, entries in order, what was skipped."""

    name: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_playlist(path: Path) -> Parsed:
    """Read ``path`` by its suffix (``.m3u``, ``.m3u8``, ``.pls``, ``.xspf``,
    ``.jspf``).

    Raises:
        PlaylistFormatError: unknown suffix, unreadable or malformed file.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise PlaylistFormatError(
            f"{path.name}: not a playlist file (expected one of {', '.join(SUFFIXES)})"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlaylistFormatError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_playlist(raw, suffix, path.stem, str(path.parent), path.name)


def parse_playlist(
    raw: bytes, suffix: str, name: str, base: str = "", label: str = ""
) -> Parsed:
    """Parse playlist bytes; ``base`` is the folder relative locations resolve
    against (a directory path or a URL)."""
    label = label or name
    if suffix in (".m3u", ".m3u8"):
        return _m3u(_text(raw, suffix, label), name, base, label)
    if suffix == ".pls":
        return _pls(_text(raw, suffix, label), name, base, label)
    if suffix == ".xspf":
        return _xspf(raw, name, base, label)
    if suffix == ".jspf":
        return _jspf(raw, name, base, label)
    raise PlaylistFormatError(f"{label}: unknown playlist format {suffix!r}")


def _text(raw: bytes, suffix: str, label: str) -> str:
    if b"\x00" in raw[:4096]:
        raise PlaylistFormatError(f"{label}: binary data, not a playlist")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if suffix == ".m3u8":
            raise PlaylistFormatError(f"{label}: an .m3u8 must be UTF-8") from None
        return raw.decode("latin-1")  # classic .m3u: the system's 8-bit encoding


def resolve_location(location: str, base: str) -> str:
    """An absolute path or a URL for a playlist location: ``file://`` URLs become
    paths, Windows separators become ``/``, relative paths join ``base``."""
    text = location.strip()
    if text.lower().startswith("file://"):
        return unquote(urlsplit(text).path)
    if _SCHEME.match(text):
        return text
    if re.match(r"^[A-Za-z]:[\\/]", text) or "\\" in text:
        text = PureWindowsPath(text).as_posix()
    if text.startswith("/") or re.match(r"^[A-Za-z]:/", text):
        return text
    if _SCHEME.match(base):
        return base.rstrip("/") + "/" + text
    return os.path.normpath(os.path.join(base, text)) if base else text


def _from_location(location: str) -> dict[str, Any]:
    """Title, album and artist as a ``Artist/Album/NN Title.ext`` path says them."""
    path = PurePosixPath(unquote(urlsplit(location).path) or location)
    stem = _TRACK_NO.sub("", path.stem).strip() or path.stem
    hints: dict[str, Any] = {"title": stem}
    if " - " in stem:
        artist, _, title = stem.partition(" - ")
        hints.update(artist=artist.strip(), title=title.strip())
    parents = path.parts[:-1]
    if len(parents) >= 3:
        hints["album"] = re.sub(r"\s*\(\d{4}\)$", "", parents[-1])
        hints.setdefault("artist", parents[-2])
    return hints


def _split_label(text: str) -> dict[str, Any]:
    artist, sep, title = text.partition(" - ")
    if sep and artist.strip() and title.strip():
        return {"artist": artist.strip(), "title": title.strip()}
    return {"title": text.strip()} if text.strip() else {}


def _duration(text: str | None, scale: float = 1.0) -> float | None:
    try:
        value = float(str(text).strip()) * scale
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _entry(fields: dict[str, Any]) -> Entry:
    clean = {k: v for k, v in fields.items() if v not in (None, "")}
    return Entry(**clean)


def _m3u(text: str, name: str, base: str, label: str) -> Parsed:
    out = Parsed(name)
    pending: dict[str, Any] = {}
    for line in (raw_line.strip() for raw_line in text.splitlines()):
        if not line or line == "#EXTM3U":
            continue
        if line.startswith("#EXTINF:"):
            head, _, rest = line[8:].partition(",")
            pending.update(_split_label(rest))
            pending["duration_s"] = _duration(head.split()[0] if head else None)
        elif line.startswith("#PLAYLIST:"):
            out.name = line[10:].strip() or out.name
        elif line.startswith("#EXTALB:"):
            pending["album"] = line[8:].strip()
        elif line.startswith("#EXTART:"):
            pending["artist"] = line[8:].strip()
        elif line.startswith("#"):
            continue
        else:
            location = resolve_location(line, base)
            hints = {} if pending.get("title") else _from_location(location)
            fields = {**hints, **pending, "location": location}
            out.entries.append(_entry(fields))
            pending = {}
    if pending:
        out.problems.append(f"{label}: the last #EXTINF has no location; skipped")
    return out


def _pls(text: str, name: str, base: str, label: str) -> Parsed:
    rows: dict[int, dict[str, Any]] = {}
    seen_header = False
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.lower() == "[playlist]":
            seen_header = True
            continue
        key, sep, value = line.partition("=")
        match = re.fullmatch(r"(file|title|length)(\d+)", key.strip(), re.I)
        if not sep:
            raise PlaylistFormatError(f"{label}: line {number} is not KEY=VALUE")
        if match:
            row = rows.setdefault(int(match[2]), {})
            row[match[1].lower()] = value.strip()
    if not seen_header:
        raise PlaylistFormatError(f"{label}: no [playlist] section")
    out = Parsed(name)
    for index in sorted(rows):
        row = rows[index]
        if not row.get("file"):
            out.problems.append(f"{label}: entry {index} has no File{index}; skipped")
            continue
        location = resolve_location(row["file"], base)
        label_fields = _split_label(row.get("title", ""))
        hints = {} if label_fields else _from_location(location)
        fields = {**hints, **label_fields}
        fields.update(location=location, duration_s=_duration(row.get("length")))
        out.entries.append(_entry(fields))
    return out


def _xspf(raw: bytes, name: str, base: str, label: str) -> Parsed:
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise PlaylistFormatError(f"{label}: not valid XML ({exc})") from None
    if root.tag != f"{_XSPF_NS}playlist":
        raise PlaylistFormatError(f"{label}: not an XSPF playlist (root {root.tag})")

    def text(node: ET.Element, tag: str) -> str | None:
        found = node.find(f"{_XSPF_NS}{tag}")
        return found.text.strip() if found is not None and found.text else None

    out = Parsed(text(root, "title") or name)
    tracks = root.findall(f"{_XSPF_NS}trackList/{_XSPF_NS}track")
    for index, track in enumerate(tracks, 1):
        ids = [n.text or "" for n in track.findall(f"{_XSPF_NS}identifier")]
        fields = {
            "title": text(track, "title"),
            "artist": text(track, "creator"),
            "album": text(track, "album"),
            "duration_s": _duration(text(track, "duration"), 0.001),
            "mb_recording_id": _mbid(ids),
        }
        _locate(fields, text(track, "location"), base)
        if not fields.get("title") and not fields.get("location"):
            out.problems.append(f"{label}: track {index} has no title or location")
            continue
        out.entries.append(_entry(fields))
    return out


def _jspf(raw: bytes, name: str, base: str, label: str) -> Parsed:
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlaylistFormatError(f"{label}: not valid JSON ({exc})") from None
    playlist = doc.get("playlist") if isinstance(doc, dict) else None
    if not isinstance(playlist, dict):
        raise PlaylistFormatError(f'{label}: no "playlist" object (not JSPF)')
    out = Parsed(str(playlist.get("title") or name))
    for index, track in enumerate(playlist.get("track") or [], 1):
        if not isinstance(track, dict):
            out.problems.append(f"{label}: track {index} is not an object; skipped")
            continue
        ids = track.get("identifier") or []
        locations = track.get("location") or []
        fields = {
            "title": _str(track.get("title")),
            "artist": _str(track.get("creator")),
            "album": _str(track.get("album")),
            "duration_s": _duration(track.get("duration"), 0.001),
            "mb_recording_id": _mbid(ids if isinstance(ids, list) else [ids]),
        }
        first = locations[0] if isinstance(locations, list) and locations else None
        _locate(fields, _str(first if isinstance(locations, list) else locations), base)
        if not fields.get("title") and not fields.get("location"):
            out.problems.append(f"{label}: track {index} has no title or location")
            continue
        out.entries.append(_entry(fields))
    return out


def _str(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _mbid(identifiers: list[Any]) -> str | None:
    for identifier in identifiers:
        found = _MBID.search(str(identifier))
        if found:
            return found[1].lower()
    return None


def _locate(fields: dict[str, Any], location: str | None, base: str) -> None:
    if not location:
        return
    fields["location"] = resolve_location(location, base)
    if fields.get("title"):
        return  # the path says less than the tags do
    for key, value in _from_location(fields["location"]).items():
        if not fields.get(key):
            fields[key] = value


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One line of an exported M3U8."""

    path: str
    title: str | None = None
    artist: str | None = None
    duration_s: float | None = None


def write_m3u8(target: Path, name: str, items: list[ExportItem]) -> Path:
    """Write ``items`` as an extended M3U8 at ``target`` (paths relative to its
    folder where they lie under it), atomically; returns ``target``."""
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(name)}"]
    for item in items:
        seconds = round(item.duration_s) if item.duration_s else -1
        label = " - ".join(_one_line(p) for p in (item.artist, item.title) if p)
        lines.append(f"#EXTINF:{seconds},{label}")
        folder = str(target.parent).rstrip(os.sep) + os.sep
        inside = item.path.startswith(folder)
        lines.append(item.path[len(folder) :] if inside else item.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(target)
    return target


def _one_line(text: str) -> str:
    return " ".join(text.split())
