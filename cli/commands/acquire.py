"""Acquisition commands: ``download`` (URLs, searches, podcasts, the wanted list) and
``rip`` (discs, images, DVD/Blu-ray folders, the watcher), with progress bars."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from cli.main import console, err, fail, flows_ready
from medialake.failures import advice
from medialake.progress_bars import ProgressBars
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError

if TYPE_CHECKING:
    from collections.abc import Sequence


class KindOption(StrEnum):
    """Request kinds, as the CLI spells them."""

    track = "track"
    album = "album"
    episode = "episode"
    video = "video"
    file = "file"
    article = "article"


def _bars() -> ProgressBars:
    """Bars in bytes (downloads) or per mille (rips)."""
    return ProgressBars(
        console,
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        describe=lambda label: label[:48],
    )


def _prepare() -> None:
    try:
        prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None


def _table(title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)


def _manage(
    cancel: str | None, retry: str | None, blocklist: str | None, show: bool
) -> bool:
    """Handle --cancel/--retry/--blocklist/--list; True when one was given."""
    from tasks.context import warehouse
    from warehouse import acquisition
    from warehouse.downloads import DownloadStore

    store = DownloadStore(warehouse())
    if cancel:
        done = store.cancel(cancel)
        console.print(f"{cancel}: {'cancelled' if done else 'nothing to cancel'}")
    if retry and not store.retry_now(retry):
        raise fail(f"{retry}: not a waiting or failed item")
    if blocklist:
        with warehouse().read() as con:
            picked = acquisition.latest_candidate(con, blocklist)
        if picked is None:
            raise fail(f"{blocklist}: no download picked a result for this item yet")
        store.add_to_blocklist(picked[0], picked[1], "blocklisted by the user")
        console.print(f"blocklisted {picked[0]} result {picked[1]}")
    if show:
        with warehouse().read() as con:
            items = acquisition.list_wanted(con)
        columns = ("wanted_id", "kind", "request", "status", "attempts", "job_state")
        _table("wanted items", items, (*columns, "source", "last_reason"))
    return bool(cancel or blocklist or show) and not retry


def download(
    requests: Annotated[
        list[str] | None,
        typer.Argument(
            help="URLs or 'Artist - Title' searches (none: the wanted list)."
        ),
    ] = None,
    kind: Annotated[KindOption | None, typer.Option(help="What to get.")] = None,
    source: Annotated[str | None, typer.Option(help="Use only this source.")] = None,
    artist: Annotated[str | None, typer.Option(help="Artist (for tags/dedup).")] = None,
    title: Annotated[str | None, typer.Option(help="Title (for tags/dedup).")] = None,
    album: Annotated[str | None, typer.Option(help="Album, or the show.")] = None,
    feed: Annotated[
        list[str] | None, typer.Option(help="Subscribe to a podcast feed.")
    ] = None,
    feeds: Annotated[bool, typer.Option(help="Check podcast feeds.")] = False,
    wanted: Annotated[
        bool | None, typer.Option(help="Also retry due wanted items.")
    ] = None,
    cancel: Annotated[str | None, typer.Option(help="Cancel a wanted item.")] = None,
    retry: Annotated[str | None, typer.Option(help="Retry an item now.")] = None,
    blocklist: Annotated[
        str | None, typer.Option(help="Never pick the item's last result again.")
    ] = None,
    show: Annotated[bool, typer.Option("--list", help="Show the wanted list.")] = False,
) -> None:
    """Download URLs or searches into the library, verified, tagged and named."""
    _prepare()
    if _manage(cancel, retry, blocklist, show):
        return
    fields = {"kind": kind and kind.value, "source": source, "artist": artist}
    fields |= {"title": title, "album": album}
    specs = [{"text": text, **fields} for text in requests or []]
    for text in requests or []:
        _check_address(text)
    flows_ready()
    from flows.acquire import acquire

    with _bars():
        result = acquire(
            requests=specs,
            retry_wanted=wanted if wanted is not None else not specs,
            check_feeds=feeds,
            subscribe=feed,
        )
    outcomes = result["outcomes"]
    for bad in [o for o in outcomes if o["status"] in ("wanted", "failed", "error")]:
        what = advice(bad.get("reason") or "") or "it stays on the wanted list"
        err.print(
            f"[bold red]error:[/] download {bad['wanted_id']} {bad['status']}: "
            f"{escape(bad.get('reason') or 'no reason given')}; {what}",
            highlight=False,
            soft_wrap=True,
        )
    _table("downloads", outcomes, ("wanted_id", "status", "source", "path", "reason"))
    if result["episodes_queued"]:
        console.print(f"{result['episodes_queued']} new podcast episode(s) queued")
    if result["scan"]:
        console.print(f"library scan: {result['scan']}")
    if any(o["status"] in ("wanted", "failed", "error") for o in outcomes):
        raise typer.Exit(1)


def rip(
    source: Annotated[
        str | None,
        typer.Argument(help="Drive (/dev/sr0), ISO, VIDEO_TS/BDMV folder or video."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Film title.")] = None,
    year: Annotated[int | None, typer.Option(help="Release year.")] = None,
    title_index: Annotated[
        int | None, typer.Option(help="Disc title to rip (default: main feature).")
    ] = None,
    watch: Annotated[
        bool, typer.Option(help="Rip what the watcher sees (drives, watch folder).")
    ] = False,
    cancel: Annotated[str | None, typer.Option(help="Cancel a rip.")] = None,
    show: Annotated[bool, typer.Option("--list", help="Show rip jobs.")] = False,
) -> None:
    """Rip a DVD or Blu-ray (drive, image or folder) into the library with HandBrake."""
    _prepare()
    if cancel or show:
        _manage_rips(cancel, show)
        return
    if not source and not watch:
        raise fail("name a SOURCE to rip, or use --watch")
    if source and not Path(source).exists():
        raise fail(
            f"rip source {source}: no such file, folder or drive; check the path (a "
            "drive such as /dev/sr0, an ISO image, a VIDEO_TS or BDMV folder, a video)"
        )
    flows_ready()
    from flows.acquire import rip as rip_flow
    from flows.acquire import watch_rips

    with _bars():
        try:
            results = (
                [rip_flow(source, title, year, title_index)] if source else watch_rips()
            )
        except ValueError as exc:
            raise fail(str(exc)) from None
    _table("rips", results, ("rip_id", "state", "path", "reason"))
    if any(r.get("state") == "failed" for r in results):
        raise typer.Exit(1)


def _manage_rips(cancel: str | None, show: bool) -> None:
    from tasks.context import warehouse
    from tasks.rips import cancel as cancel_rip
    from warehouse import acquisition

    if cancel:
        done = cancel_rip(cancel)
        console.print(f"{cancel}: {'cancelled' if done else 'nothing to cancel'}")
    if show:
        with warehouse().read() as con:
            items = acquisition.list_rips(con)
        _table("rips", items, ("rip_id", "source_path", "state", "title", "progress"))


def _check_address(text: str) -> None:
    """A request that looks like an address must be one medialake can fetch."""
    if "://" not in text:
        return  # a search
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail(
            f"not an address medialake can download: {text!r}; use an http:// or "
            "https:// URL, or words to search for"
        )


def register(app: typer.Typer) -> None:
    """Add ``download`` and ``rip`` to the CLI."""
    app.command()(download)
    app.command()(rip)
