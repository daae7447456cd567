"""``medialake rip-cd``: rip an audio CD (a drive, or a CUE image) to tagged FLAC,
with a progress bar; ``--list`` shows the rips, the review queue first."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.main import console, fail
from medialake.progress_bars import ProgressBars
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError

COLUMNS = ("rip_id", "state", "artist", "album", "tracks_done", "tracks", "reason")


def rip_cd(
    source: Annotated[
        str | None, typer.Argument(help="Drive (/dev/sr0) or CUE sheet (disc.cue).")
    ] = None,
    show: Annotated[bool, typer.Option("--list", help="Show the CD rips.")] = False,
    review: Annotated[
        str | None, typer.Option(help="Settle a rip waiting for review (its rip id).")
    ] = None,
    release: Annotated[
        str | None, typer.Option(help="With --review: the MusicBrainz release id.")
    ] = None,
) -> None:
    """Rip an audio CD to FLAC: disc id, MusicBrainz, tags and cover, verified."""
    try:
        prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    if show:
        _list()
        return
    if review:
        _review(review, release)
        return
    if not source:
        raise fail("name a drive or a .cue image to rip, or use --list")
    from connectors.rips.audiocd import DiscError
    from flows.audiocd import rip_cd as rip_flow

    bars = ProgressBars(console)
    with bars:
        try:
            result = rip_flow(source)
        except DiscError as exc:
            raise fail(str(exc)) from None
    where = result.get("path") or ""
    console.print(
        Text(f"{result['disc_id']}: {result['state']} {where}".strip())
        + Text(f" ({result['reason']})" if result.get("reason") else "")
    )
    if result["state"] == "failed":
        raise typer.Exit(1)


def _review(rip_id: str, release: str | None) -> None:
    from connectors.errors import ConnectorError
    from flows.audiocd import review_cd

    try:
        result = review_cd(rip_id, release)
    except (ValueError, ConnectorError) as exc:
        raise fail(str(exc)) from None
    where = result.get("path") or result.get("reason") or ""
    console.print(Text(f"{rip_id}: {result['state']} {where}".strip()))


def _list() -> None:
    from tasks.context import warehouse
    from warehouse.cdrips import rips

    with warehouse().read() as con:
        found = rips(con)
    table = Table(title=f"{found.height} CD rips")
    for column in COLUMNS:
        table.add_column(column)
    for row in found.iter_rows(named=True):
        table.add_row(*(Text("" if row[c] is None else str(row[c])) for c in COLUMNS))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``rip-cd`` to the CLI."""
    app.command(name="rip-cd")(rip_cd)
