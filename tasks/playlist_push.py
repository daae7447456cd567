"""Pushing a managed playlist to one target server, with a per-item report.

The pushed list is the playlist's matched tracks in the playlist's order, each track
once. Against what the server holds now: nothing to change -> ``unchanged`` (no write);
a playlist medialake made -> updated in place (``update_playlist``); none yet -> created
(``create_playlist``), or one of the same name adopted. When the server's copy differs
from what medialake last pushed, somebody edited it by hand: the push is ``edited``
(nothing written, the differences reported) unless ``force``. A server that cannot hold
playlists but whose files are readable here (a folder of files) gets an M3U8 next to
the music instead. When the server refuses tracks it names (it no longer has them:
the warehouse is older than the server), those are reported ``refused`` and the rest
is written. Every push stores a ``playlist_syncs`` row and its items.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.errors import ConnectorError, NotFound, RequestRejected
from connectors.media_servers.base import Unsupported
from connectors.media_servers.records import PlaylistRecord
from connectors.playlists.formats import ExportItem, read_playlist, write_m3u8
from medialake.runtime import settings
from tasks.context import engine, flow_run_id, warehouse
from warehouse import playlist_sync as store

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.media_servers.base import MediaServerClient


def _label(entry: dict[str, Any]) -> str:
    parts = [p for p in (entry.get("artist"), entry.get("title")) if p]
    return " - ".join(parts) or entry.get("location") or "(empty entry)"


def plan(
    entries: list[dict[str, Any]], matches: dict[str, dict[str, Any]]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The track ids to push, in order, and one report item per entry."""
    desired: list[str] = []
    items = []
    for entry in entries:
        match = matches.get(entry["entry_key"]) or {"status": "missing"}
        item = {
            "position": entry["position"],
            "entry_key": entry["entry_key"],
            "label": _label(entry),
            "status": match["status"],
            "track_native_id": match.get("track_native_id"),
            "score": match.get("score"),
            "method": match.get("method"),
            "reason": match.get("reason") or ("not matched yet"),
        }
        if match["status"] == "ambiguous":
            named = json.loads(match.get("candidates") or "[]")
            listed = "; ".join(f"{c[2]} ({c[1]:.2f})" for c in named[:3])
            item["reason"] = f"{item['reason']}: {listed}" if listed else item["reason"]
        elif match["status"] == "matched":
            native = match["track_native_id"]
            if native in desired:
                item.update(status="duplicate", reason="already earlier in the list")
            else:
                desired.append(native)
                item.update(status="pending", reason=None)
        items.append(item)
    return desired, items


def _find(
    client: MediaServerClient, name: str, target: dict[str, Any] | None
) -> PlaylistRecord | Unsupported | None:
    found = client.get_playlists()
    if isinstance(found, Unsupported):
        return found
    if target and target.get("target_native_id"):
        same = [p for p in found if p.native_id == target["target_native_id"]]
        if same:
            return same[0]
    return next((p for p in found if p.name == name), None)


@task(name="playlist-push", cache_policy=NO_CACHE)
def push_playlist(playlist_id: str, server: str, force: bool = False) -> dict[str, Any]:
    """Push one playlist to one server and store the report; returns its summary."""
    wh = warehouse()
    playlist = store.find_playlist(wh, playlist_id)
    if playlist is None:
        raise KeyError(f"no managed playlist {playlist_id!r}")
    entries = store.entries(wh, playlist_id)
    desired, items = plan(entries, store.matches(wh, playlist_id, server))
    target = store.target(wh, playlist_id, server)
    sync: dict[str, Any] = {
        "playlist_id": playlist_id,
        "server_id": server,
        "entries": len(entries),
        "flow_run_id": flow_run_id(),
        "started_at": datetime.now(UTC),
    }
    client = engine().get(server)
    pushed = None
    try:
        current = _find(client, playlist["name"], target)
        if isinstance(current, Unsupported):
            status, pushed, removed = _export(
                server, playlist, desired, items, target, force
            )
        else:
            status, pushed, removed = _write(
                client, playlist, desired, items, current, target, force
            )
    except (ConnectorError, OSError) as exc:
        status, removed = "failed", []
        sync["error"] = str(exc)
        for item in items:
            if item["status"] == "pending":
                item.update(status="refused", reason=f"the server refused: {exc}")
    sync.update(status=status, finished_at=datetime.now(UTC))
    if pushed is not None:
        sync["target_native_id"] = pushed["target_native_id"]
        pushed.update(playlist_id=playlist_id, server_id=server)
    elif target:
        sync["target_native_id"] = target["target_native_id"]
    items += removed
    counts = {
        key: sum(1 for i in items if i["status"] == key)
        for key in ("added", "kept", "removed", "missing", "ambiguous", "refused")
    }
    sync.update(counts)
    if status == "unchanged":  # only what needs attention: keeps the table small
        items = [i for i in items if i["status"] in ("missing", "ambiguous")]
    sync_id = store.record_push(wh, sync, items, pushed)
    return {"sync_id": sync_id, "playlist": playlist["name"], **sync, **counts}


def _mark(items: list[dict[str, Any]], before: list[str]) -> list[dict[str, Any]]:
    """Added or kept for the pushed items; removal items for what left."""
    had = set(before)
    for item in items:
        if item["status"] == "pending":
            kept = item["track_native_id"] in had
            item["status"] = "kept" if kept else "added"
    pushed = {i["track_native_id"] for i in items if i["status"] in ("added", "kept")}
    return [
        {
            "position": None,
            "entry_key": None,
            "label": None,
            "status": "removed",
            "track_native_id": native,
            "score": None,
            "method": None,
            "reason": "no longer in the source",
        }
        for native in dict.fromkeys(before)
        if native not in pushed
    ]


def _write(
    client: MediaServerClient,
    playlist: dict[str, Any],
    desired: list[str],
    items: list[dict[str, Any]],
    current: PlaylistRecord | None,
    target: dict[str, Any] | None,
    force: bool,
) -> tuple[str, dict[str, Any] | None, list[dict[str, Any]]]:
    last = list((target or {}).get("pushed_track_ids") or [])
    if current is not None and current.track_native_ids != (
        last if target else desired
    ):
        if not force:  # changed by hand since the last push, or never ours
            return (
                "edited",
                None,
                _edited(
                    items, current.track_native_ids, last, known=target is not None
                ),
            )
    before = current.track_native_ids if current is not None else []
    removed = _mark(items, before)
    if current is not None and current.track_native_ids == desired:
        status, record = "unchanged", current
    elif current is not None:
        native = current.native_id
        record, desired = _send(
            lambda ids: _checked(client.update_playlist(native, ids)), desired, items
        )
        status = "updated"
    elif not desired:
        return "empty", None, removed
    else:
        name = playlist["name"]

        def create_or_update(ids: list[str]) -> PlaylistRecord:
            made = _find(client, name, None)  # a first try may have left one behind
            if isinstance(made, PlaylistRecord):
                return _checked(client.update_playlist(made.native_id, ids))
            return _checked(client.create_playlist(name, ids))

        record, desired = _send(
            lambda ids: _checked(client.create_playlist(name, ids)),
            desired,
            items,
            retry=create_or_update,
        )
        status = "created"
    pushed = {
        "target_native_id": record.native_id,
        "pushed_track_ids": list(record.track_native_ids or desired),
        "pushed_at": datetime.now(UTC),
    }
    return status, pushed, removed


def _send(
    call: Callable[[list[str]], PlaylistRecord],
    desired: list[str],
    items: list[dict[str, Any]],
    retry: Callable[[list[str]], PlaylistRecord] | None = None,
) -> tuple[PlaylistRecord, list[str]]:
    """Write ``desired``; when the server refuses some tracks and names them (a track
    it no longer has), report those ``refused`` and write the rest, once."""
    try:
        return call(desired), desired
    except (NotFound, RequestRejected) as exc:
        text = str(exc)
        refused = {n for n in desired if re.search(_named(n), text)}
        if not refused or len(refused) == len(set(desired)):
            raise
        for item in items:
            if item["track_native_id"] in refused and item["status"] != "refused":
                item.update(status="refused", reason=f"the server refused it: {text}")
        keep = [n for n in desired if n not in refused]
        return (retry or call)(keep), keep


def _named(native_id: str) -> str:
    return rf"(?<![\w-]){re.escape(native_id)}(?![\w-])"


def _checked(answer: PlaylistRecord | Unsupported) -> PlaylistRecord:
    if isinstance(answer, Unsupported):
        raise ConnectorError(answer.kind, str(answer))
    return answer


def _edited(
    items: list[dict[str, Any]], now: list[str], last: list[str], known: bool = True
) -> list[dict[str, Any]]:
    """Report a playlist edited on the server since the last push, or one of the same
    name that medialake did not make; change nothing."""
    added_by_hand = [n for n in now if n not in set(last)]
    removed_by_hand = [n for n in last if n not in set(now)]
    reason = (
        f"edited on the server since the last push ({len(added_by_hand)} added, "
        f"{len(removed_by_hand)} removed by hand, or reordered); not overwritten: "
        f"push with --force to replace it"
        if known
        else "the server already has a playlist of this name with other tracks; not"
        " overwritten: push with --force to replace it"
    )
    for item in items:
        if item["status"] == "pending":
            item.update(status="held", reason=reason)
    return [
        {
            "position": None,
            "entry_key": None,
            "label": None,
            "status": "edited",
            "track_native_id": native,
            "score": None,
            "method": None,
            "reason": why,
        }
        for natives, why in (
            (added_by_hand, "added on the server by hand"),
            (removed_by_hand, "removed on the server by hand"),
        )
        for native in natives
    ]


def _export(
    server: str,
    playlist: dict[str, Any],
    desired: list[str],
    items: list[dict[str, Any]],
    target_row: dict[str, Any] | None,
    force: bool,
) -> tuple[str, dict[str, Any] | None, list[dict[str, Any]]]:
    """Write the playlist as an M3U8 beside the music of a server without playlists;
    a file edited by hand since the last export is reported, not overwritten."""
    client = engine().get(server)
    before = list((target_row or {}).get("pushed_track_ids") or [])
    files = store.track_files(warehouse(), server, [*desired, *before])
    local = {native: client.local_path(row["path"]) for native, row in files.items()}
    readable = [native for native in desired if local.get(native)]
    for item in items:
        if item["status"] == "pending" and item["track_native_id"] not in readable:
            item.update(status="refused", reason="the file is not readable here")
    if not readable:
        raise ConnectorError(
            server, "cannot hold playlists, and none of its files is readable here"
        )
    folder = settings().playlists.export_dir or _library_folder(
        client, server, [Path(str(local[n])) for n in readable]
    )
    name = re.sub(r"[/\\\0]", "_", playlist["name"]).strip(". ") or "playlist"
    target = Path(folder) / f"{name}.m3u8"
    by_hand = False
    if target_row and target.exists():
        wrote = [str(local[n]) for n in before if local.get(n)]
        now = [e.location or "" for e in read_playlist(target).entries]
        by_hand = now != wrote
        if by_hand and not force:
            return "edited", None, _edited_file(items, now, wrote)
    unchanged = before == readable and target.exists() and not by_hand
    if not unchanged:
        export = [
            ExportItem(
                str(local[n]),
                files[n]["title"],
                files[n]["artist"],
                files[n]["duration_s"],
            )
            for n in readable
        ]
        write_m3u8(target, playlist["name"], export)
    removed = _mark(items, before)
    pushed = {
        "target_native_id": str(target),
        "pushed_track_ids": readable,
        "pushed_at": datetime.now(UTC),
    }
    return ("unchanged" if unchanged else "exported"), pushed, removed


def _edited_file(
    items: list[dict[str, Any]], now: list[str], wrote: list[str]
) -> list[dict[str, Any]]:
    """Report an exported M3U8 edited by hand (by path); change nothing."""
    for item in items:
        if item["status"] == "pending":
            item.update(
                status="held",
                reason="the exported file was edited by hand since the last export;"
                " not overwritten: push with --force to replace it",
            )
    return [
        {
            "position": None,
            "entry_key": None,
            "label": path,
            "status": "edited",
            "track_native_id": None,
            "score": None,
            "method": None,
            "reason": why,
        }
        for paths, why in (
            ([p for p in now if p not in set(wrote)], "added to the file by hand"),
            ([p for p in wrote if p not in set(now)], "removed from the file by hand"),
        )
        for path in paths
    ]


def _library_folder(client: MediaServerClient, server: str, files: list[Path]) -> Path:
    """The folder every file of the server shares (its library root), as readable
    here; else the folder the pushed files share."""
    ends = [
        client.local_path(p) for p in store.library_bounds(warehouse(), server) if p
    ]
    found = [p for p in ends if p is not None] if len(ends) == 2 else []
    chosen = found if len(found) == 2 else files
    return Path(os.path.commonpath([str(p.parent) for p in chosen]))
