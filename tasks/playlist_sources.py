"""Reading a playlist's source into the warehouse: a file, a server's playlist, or a
remote list yt-dlp can read; and matching entries to each target server's tracks.

A source is written as the user gives it: a path to an M3U/M3U8/PLS/XSPF/JSPF file, a
URL, or ``server:NAME:PLAYLIST`` (a playlist id or name on a configured server). Its id
is a hash of the source, so importing the same source again updates the same playlist.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.media_servers.base import Unsupported
from connectors.playlists.formats import SUFFIXES, Entry, Parsed, read_playlist
from connectors.playlists.matching import Thresholds, Track, decide
from medialake.runtime import settings
from tasks.context import engine, warehouse
from tasks.errors import TaskError
from warehouse import playlist_sync as store
from warehouse.playlist_match import candidates

_URL = re.compile(r"^https?://", re.I)


class SourceError(TaskError, ValueError):
    """A playlist source cannot be read (the message says which and why)."""


def parse_source(text: str) -> tuple[str, str]:
    """``(kind, ref)`` of a source as the user wrote it."""
    text = text.strip()
    if text.startswith("server:"):
        parts = text.split(":", 2)
        if len(parts) != 3 or not parts[1] or not parts[2]:
            raise SourceError(f"{text!r}: write a server playlist as server:NAME:ID")
        return "server", text
    if _URL.match(text):
        return "url", text
    return "file", str(Path(text).expanduser().absolute())


def read_source(kind: str, ref: str) -> Parsed:
    """Read a source's entries. Raises :class:`SourceError` with the reason."""
    from connectors.errors import ConnectorError
    from connectors.playlists.formats import PlaylistFormatError

    try:
        if kind == "file":
            return read_playlist(Path(ref))
        if kind == "url":
            from connectors.playlists.remote import read_remote

            return read_remote(ref)
        return _read_server(ref)
    except (PlaylistFormatError, ConnectorError, KeyError) as exc:
        raise SourceError(str(exc).strip("'\"")) from None


def _read_server(ref: str) -> Parsed:
    _, server, wanted = ref.split(":", 2)
    client = engine().get(server)
    found = client.get_playlists()
    if isinstance(found, Unsupported):
        raise SourceError(f"{server}: {found}")
    source = next((p for p in found if p.native_id == wanted), None)
    source = source or next((p for p in found if p.name == wanted), None)
    if source is None:
        raise SourceError(f"{server} has no playlist {wanted!r}")
    known = store.server_tracks(warehouse(), server, source.track_native_ids)
    out = Parsed(source.name)
    for native_id in source.track_native_ids:
        row = known.get(native_id)
        if row is None:
            out.problems.append(
                f"track {native_id} of {server} is not in the warehouse yet: run "
                f"'medialake sync {server}'"
            )
            continue
        out.entries.append(
            Entry(**{k: row[k] for k in row if k != "native_id" and row[k] is not None})
        )
    return out


def source_server(kind: str, ref: str) -> str | None:
    """The server a playlist is read from (never one of its targets)."""
    return ref.split(":", 2)[1] if kind == "server" else None


def resolve_targets(
    wanted: list[str] | None, kind: str, ref: str, previous: list[str] | None = None
) -> list[str]:
    """The target servers: as asked, else as before, else the configured default,
    else every server; the source server is left out. Unknown names raise."""
    names = engine().names
    chosen = wanted or previous or settings().playlists.targets or names
    for name in chosen:
        engine().get(name)  # raises KeyError naming the configured servers
    skip = source_server(kind, ref)
    return [name for name in dict.fromkeys(chosen) if name != skip]


@task(name="playlist-import", cache_policy=NO_CACHE)
def import_playlists(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Read each source and store it with its entries. A spec: ``source``, and
    optionally ``name``, ``targets``, ``mirror``. A mirrored playlist whose source
    cannot be read keeps its entries and records the error; a new one raises."""
    wh = warehouse()
    done = []
    for spec in specs:
        kind, ref = parse_source(spec["source"])
        pid = store.playlist_id(kind, ref)
        previous = store.find_playlist(wh, pid)
        try:
            parsed = read_source(kind, ref)
        except SourceError as exc:
            if previous is None:
                raise
            store.mark_source_error(wh, pid, str(exc))
            done.append(
                {"playlist_id": pid, "name": previous["name"], "error": str(exc)}
            )
            continue
        targets = resolve_targets(
            spec.get("targets"), kind, ref, (previous or {}).get("targets")
        )
        row = {
            "playlist_id": pid,
            "name": spec.get("name") or (previous or {}).get("name") or parsed.name,
            "source_kind": kind,
            "source_ref": ref,
            "targets": targets,
            "mirror": bool(spec.get("mirror") or (previous or {}).get("mirror")),
            "source_problems": "\n".join(parsed.problems) or None,
            "source_error": None,
            "read_at": datetime.now(UTC),
        }
        rows = [{**asdict(e), "entry_key": e.key()} for e in parsed.entries]
        store.save_source(wh, row, rows)
        done.append(
            {
                "playlist_id": pid,
                "name": row["name"],
                "entries": len(rows),
                "targets": targets,
                "problems": parsed.problems,
            }
        )
    return done


def watched_files() -> list[Path]:
    """Playlist files in ``[playlists] watch_dir`` (none when it is not set)."""
    folder = settings().playlists.watch_dir
    if folder is None or not folder.is_dir():
        return []
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
    )


def thresholds() -> Thresholds:
    """The matcher's thresholds from ``[playlists]``."""
    current = settings().playlists
    return Thresholds(current.accept, current.review, current.margin)


def match_entries(
    server: str, entry_rows: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Decide every entry on ``server``: a match row by entry key."""
    exact, fuzzy = candidates(warehouse(), server, entry_rows)
    limits = thresholds()
    decided: dict[str, dict[str, Any]] = {}
    for row in entry_rows:
        key = row["entry_key"]
        if key in decided:
            continue
        entry = Entry(**{k: row.get(k) for k in Entry.__dataclass_fields__})
        found = decide(
            entry,
            [(method, Track(**t)) for method, t in exact.get(key, [])],
            [Track(**t) for t in fuzzy.get(key, [])],
            limits,
        )
        decided[key] = {
            "entry_key": key,
            "status": found.status,
            "track_native_id": found.native_id,
            "score": found.score,
            "method": found.method,
            "reason": found.reason,
            "candidates": found.candidates,
        }
    return decided


@task(name="playlist-match", cache_policy=NO_CACHE)
def match_playlists(server: str, playlist_ids: list[str]) -> dict[str, int]:
    """Match the entries of several playlists on one server in one pass and store the
    matches (a match resolved by hand stays). Returns counts by status."""
    wh = warehouse()
    by_playlist = {pid: store.entries(wh, pid) for pid in playlist_ids}
    every = [row for rows in by_playlist.values() for row in rows]
    decided = match_entries(server, every)
    counts: dict[str, int] = {}
    for pid, rows in by_playlist.items():
        keys = dict.fromkeys(row["entry_key"] for row in rows)
        found = [decided[key] for key in keys]
        store.save_matches(wh, pid, server, found)
        for match in found:
            counts[match["status"]] = counts.get(match["status"], 0) + 1
    return counts


@task(name="playlist-want-missing", cache_policy=NO_CACHE)
def want_missing(playlist_id: str, server: str | None = None) -> dict[str, int]:
    """Put the entries missing on ``server`` (any target when None) on the wanted
    list; an entry already wanted is not added twice. Returns counts."""
    from connectors.downloads.records import Kind, Request
    from warehouse.downloads import DownloadStore

    downloads = DownloadStore(warehouse())
    added = already = 0
    for row in store.missing_entries(warehouse(), playlist_id, server):
        if not row.get("title"):
            continue
        request = Request(
            kind=Kind.TRACK,
            query=" - ".join(p for p in (row.get("artist"), row["title"]) if p),
            artist=row.get("artist"),
            title=row["title"],
            album=row.get("album"),
            duration_s=row.get("duration_s"),
            mb_recording_id=row.get("mb_recording_id"),
        )
        _, _, new = downloads.add_wanted(request.key(), request.as_row())
        added, already = added + new, already + (not new)
    return {"added": added, "already": already}
