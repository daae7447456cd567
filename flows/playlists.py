"""Playlist flows: ``playlist-push`` (import sources, match, push to the targets) and
the scheduled ``playlist-sync`` (the watch folder and every mirrored playlist: re-read
the source, re-match every entry, push only what changed).

Matching is one task per target server over every playlist of the run (a batch), and
a push is one task per playlist and server. Re-running changes nothing: a source read
twice is the same playlist, matches are merged on their key, and a target that already
holds the wanted list is left alone (``unchanged``).
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow

from connectors.media_servers.base import Unsupported
from flows.errors import FlowError
from tasks import playlist_sources as src
from tasks.context import engine, warehouse
from tasks.flow_runs import recorded_run
from tasks.playlist_push import push_playlist
from warehouse import playlist_sync as store


class PlaylistFailed(FlowError):
    """At least one push failed (each is recorded in ``playlist_syncs``)."""

    def __init__(self, message: str, summaries: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.summaries = summaries


@flow(name="playlist-push", log_prints=True)
@recorded_run
def playlist_push(
    sources: list[dict[str, Any]] | None = None,
    playlists: list[str] | None = None,
    targets: list[str] | None = None,
    force: bool = False,
    rescan: bool = False,
    want_missing: bool = False,
) -> list[dict[str, Any]]:
    """Import ``sources`` (specs: ``source``, ``name``, ``targets``, ``mirror``), then
    match and push them and the managed ``playlists`` (ids or names).

    Args:
        targets: push only to these servers (default: each playlist's targets).
        force: replace a target edited by hand since the last push.
        rescan: first ask each target to rescan its library and sync it, so that
            files added since (downloads) can match.
        want_missing: afterwards, put the entries still missing on the wanted list.
    """
    imported = src.import_playlists(sources) if sources else []
    ids = [row["playlist_id"] for row in imported if not row.get("error")]
    for ref in playlists or []:
        found = store.find_playlist(warehouse(), ref)
        if found is None:
            raise KeyError(
                f"no managed playlist {ref!r} (see 'medialake playlist list')"
            )
        ids.append(found["playlist_id"])
    ids = list(dict.fromkeys(ids))
    try:
        return _match_and_push(ids, targets, force, rescan)
    finally:
        if want_missing:
            for pid in ids:
                print(f"wanted list: {src.want_missing(pid)}")


@flow(name="playlist-sync", log_prints=True)
@recorded_run
def playlist_sync(force: bool = False) -> list[dict[str, Any]]:
    """Import new files of the watch folder as mirrored playlists, re-read every
    mirrored source, re-match and push the changes. A target with missing entries
    that a download was imported for since its last push is rescanned and synced
    first (the download may fill one)."""
    wh = warehouse()
    specs = [{"source": str(path), "mirror": True} for path in src.watched_files()]
    mirrored = store.list_playlists(wh, mirrored_only=True)
    known = {row["source_ref"] for row in mirrored}
    specs = [s for s in specs if str(s["source"]) not in known]
    specs += [{"source": _spec(row)} for row in mirrored]
    imported = src.import_playlists(specs) if specs else []
    ids = [row["playlist_id"] for row in imported]
    targets = {t for row in mirrored for t in row["targets"]}
    rescan = store.downloads_since_push(wh, sorted(targets))
    return _match_and_push(ids, None, force, rescan)


def _spec(row: dict[str, Any]) -> str:
    return str(row["source_ref"])


def _match_and_push(
    ids: list[str], only: list[str] | None, force: bool, rescan: bool | list[str]
) -> list[dict[str, Any]]:
    wh = warehouse()
    per_server: dict[str, list[str]] = {}
    for pid in ids:
        playlist = store.find_playlist(wh, pid)
        if playlist is None:
            continue
        for server in playlist["targets"]:
            if only is None or server in only:
                per_server.setdefault(server, []).append(pid)
    for server in per_server:
        if rescan is True or (isinstance(rescan, list) and server in rescan):
            _rescan(server)
    for server, pids in per_server.items():
        src.match_playlists(server, pids)
    summaries = [
        push_playlist(pid, server, force)
        for server, pids in per_server.items()
        for pid in pids
    ]
    failed = [s for s in summaries if s["status"] == "failed"]
    if failed:
        text = "; ".join(
            f"{s['playlist']} on {s['server_id']}: {s['error']}" for s in failed
        )
        raise PlaylistFailed(text, summaries)
    return summaries


def _rescan(server: str, timeout_s: float = 300.0) -> None:
    """Ask a server to rescan, wait for it, then sync it (incremental)."""
    from connectors.media_servers.base import SyncMode
    from flows.library_sync import sync_server

    client = engine().get(server)
    started = client.trigger_library_scan()
    if not isinstance(started, Unsupported):
        deadline = time.monotonic() + timeout_s
        while client.is_library_scanning() is True and time.monotonic() < deadline:
            time.sleep(1.0)
    sync_server(server, SyncMode.INCREMENTAL)
