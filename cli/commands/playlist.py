"""``medialake playlist``: import playlists from files, servers and URLs, push them to
the media servers with a per-item report, keep mirrored ones in sync.

- ``import SOURCE`` reads a file (M3U/M3U8, PLS, XSPF, JSPF), a URL, or
  ``server:NAME:PLAYLIST`` into the warehouse (``--push`` pushes it at once);
- ``push [PLAYLIST...]`` matches and pushes (every managed playlist when none named);
- ``sync`` re-reads the watch folder and every mirrored source and pushes the changes;
- ``report PLAYLIST`` shows the last push to each target, missing and ambiguous first;
- ``resolve`` settles an entry by hand; ``want`` puts the missing on the wanted list.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from cli.main import console, fail
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError

app = typer.Typer(
    help="Playlists: import from files, servers and URLs; push; keep in sync.",
    no_args_is_help=True,
)
SUMMARY = ("playlist", "server_id", "status", "added", "kept", "removed", "missing")


def _prepare() -> None:
    try:
        prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None


def _table(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column.replace("_id", ""), overflow="fold")
    for row in rows:
        table.add_row(
            *(escape("" if row.get(c) is None else str(row[c])) for c in columns)
        )
    console.print(table)


def _summaries(rows: list[dict[str, Any]]) -> None:
    columns = (*SUMMARY, "ambiguous", "refused")
    _table("playlist push", rows, columns)
    for row in rows:
        if row.get("error"):
            console.print(f"{escape(row['server_id'])}: {escape(str(row['error']))}")


def _run(call: Any) -> list[dict[str, Any]]:
    from flows.playlists import PlaylistFailed
    from tasks.playlist_sources import SourceError

    try:
        return list(call())
    except PlaylistFailed as exc:
        _summaries(exc.summaries)
        raise fail(f"push failed: {exc}", 1) from None
    except (SourceError, KeyError) as exc:
        raise fail(str(exc).strip("'\"")) from None


@app.command("import")
def import_(
    source: Annotated[str, typer.Argument(help="A file, a URL, or server:NAME:ID.")],
    to: Annotated[
        list[str] | None, typer.Option("--to", help="A target server (repeatable).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="The playlist's name.")] = None,
    mirror: Annotated[
        bool, typer.Option(help="Keep it in sync (the scheduled playlist-sync).")
    ] = False,
    push: Annotated[bool, typer.Option(help="Push it now.")] = False,
) -> None:
    """Read a playlist into the warehouse (and push it with --push)."""
    _prepare()
    spec = {"source": source, "name": name, "targets": to, "mirror": mirror}
    if push:
        from flows.playlists import playlist_push

        _summaries(_run(lambda: playlist_push(sources=[spec])))
        return
    from tasks.playlist_sources import import_playlists

    [done] = _run(lambda: import_playlists.fn([spec]))
    console.print(
        f"{escape(done['name'])}: {done['entries']} entries, targets "
        f"{escape(', '.join(done['targets']))} (id {done['playlist_id']})"
    )
    for problem in done["problems"]:
        console.print(f"  skipped: {escape(problem)}")


@app.command("push")
def push(
    playlists: Annotated[
        list[str] | None, typer.Argument(help="Ids or names (default: every one).")
    ] = None,
    to: Annotated[
        list[str] | None, typer.Option("--to", help="Only this server (repeatable).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Replace a target that was edited by hand.")
    ] = False,
    rescan: Annotated[
        bool, typer.Option(help="Rescan and sync each target first.")
    ] = False,
    want_missing: Annotated[
        bool, typer.Option(help="Put what is still missing on the wanted list.")
    ] = False,
) -> None:
    """Match and push managed playlists to their targets."""
    _prepare()
    from flows.playlists import playlist_push
    from tasks.context import warehouse
    from warehouse.playlist_sync import list_playlists

    names = playlists or [row["playlist_id"] for row in list_playlists(warehouse())]
    if not names:
        console.print("no playlists yet: 'medialake playlist import FILE' first")
        return
    _summaries(
        _run(
            lambda: playlist_push(
                playlists=names,
                targets=to,
                force=force,
                rescan=rescan,
                want_missing=want_missing,
            )
        )
    )


@app.command("sync")
def sync(
    force: Annotated[
        bool, typer.Option(help="Replace targets that were edited by hand.")
    ] = False,
) -> None:
    """Re-read the watch folder and every mirrored source; push only the changes."""
    _prepare()
    from flows.playlists import playlist_sync

    _summaries(_run(lambda: playlist_sync(force=force)))


@app.command("list")
def list_() -> None:
    """Every managed playlist with its source and targets."""
    _prepare()
    from tasks.context import warehouse
    from warehouse.playlist_sync import list_playlists

    rows = list_playlists(warehouse())
    for row in rows:
        row["targets"] = ", ".join(row["targets"])
    columns = ("playlist_id", "name", "source_ref", "targets", "mirror", "entry_count")
    _table("playlists", rows, columns)


@app.command("report")
def report(
    playlist: Annotated[str, typer.Argument(help="An id, a name or a source.")],
    everything: Annotated[
        bool, typer.Option("--all", help="Every item, not only the problems.")
    ] = False,
) -> None:
    """The last push to each target: counts, then the missing and ambiguous entries."""
    _prepare()
    from tasks.context import warehouse
    from warehouse import playlist_sync as store

    wh = warehouse()
    found = store.find_playlist(wh, playlist)
    if found is None:
        raise fail(f"no managed playlist {playlist!r} (see 'medialake playlist list')")
    reports = store.last_reports(wh, found["playlist_id"])
    if not reports:
        console.print(f"{escape(found['name'])} has not been pushed yet")
        return
    for row in reports:
        row["playlist"] = found["name"]
    _summaries(reports)
    wanted = None if everything else ("missing", "ambiguous", "refused", "edited")
    for row in reports:
        items = store.report_items(wh, row["sync_id"], wanted)
        if items:
            columns = ("position", "label", "status", "track_native_id", "reason")
            _table(f"{row['server_id']}", items, columns)


@app.command("resolve")
def resolve(
    playlist: Annotated[str, typer.Argument(help="An id or a name.")],
    entry: Annotated[int, typer.Argument(help="The entry's position (from report).")],
    server: Annotated[str, typer.Argument(help="The target server.")],
    track: Annotated[
        str | None, typer.Argument(help="The track's native id; none: not there.")
    ] = None,
) -> None:
    """Settle one entry on one server by hand (kept on every later match)."""
    _prepare()
    from tasks.context import warehouse
    from warehouse import playlist_sync as store

    wh = warehouse()
    found = store.find_playlist(wh, playlist)
    if found is None:
        raise fail(f"no managed playlist {playlist!r}")
    rows = [
        e for e in store.entries(wh, found["playlist_id"]) if e["position"] == entry
    ]
    if not rows or not store.resolve(
        wh, found["playlist_id"], rows[0]["entry_key"], server, track
    ):
        raise fail(f"no entry {entry}, or no track {track!r} on {server!r}")
    console.print(f"entry {entry} on {escape(server)}: {escape(track or 'not there')}")


@app.command("want")
def want(
    playlist: Annotated[str, typer.Argument(help="An id or a name.")],
    server: Annotated[
        str | None, typer.Option(help="Only what is missing on this server.")
    ] = None,
) -> None:
    """Put the entries missing on the targets on the wanted list (once each)."""
    _prepare()
    from tasks.context import warehouse
    from tasks.playlist_sources import want_missing
    from warehouse import playlist_sync as store

    found = store.find_playlist(warehouse(), playlist)
    if found is None:
        raise fail(f"no managed playlist {playlist!r}")
    counts = want_missing.fn(found["playlist_id"], server)
    console.print(
        f"wanted list: {counts['added']} added, {counts['already']} already there"
    )


def register(root: typer.Typer) -> None:
    """Add ``playlist`` to the CLI."""
    root.add_typer(app, name="playlist")
