"""``medialake identify``: identify music files without MBIDs by their sound
(Chromaprint fingerprints, AcoustID, then MusicBrainz), with a progress bar."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.main import console, fail
from medialake.progress_bars import ProgressBars
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError

COLUMNS = ("status", "score", "artist", "album", "track_no", "title", "path", "reason")


def identify(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Folders or audio files (none: library tracks without MBIDs)."
        ),
    ] = None,
    redo: Annotated[
        bool, typer.Option(help="Identify again files already accepted.")
    ] = False,
    write_tags: Annotated[
        bool, typer.Option(help="Write accepted identifications into the files.")
    ] = False,
) -> None:
    """Identify untagged music by AcoustID fingerprint, one release per album."""
    try:
        prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    from flows.identify import identify as identify_flow
    from tasks.fingerprint import result_rows

    bars = ProgressBars(console)
    with bars:
        try:
            result = identify_flow(paths, redo, write_tags)
        except FileNotFoundError as exc:
            raise fail(str(exc)) from None
    table = Table(title="identified")
    for column in COLUMNS:
        table.add_column(column)
    for row in result_rows(result["run_id"]):
        table.add_row(*(Text("" if row[c] is None else str(row[c])) for c in COLUMNS))
    console.print(table)
    console.print(
        f"{result['files_done']} files: {result['accepted']} accepted,"
        f" {result['review']} for review, {result['no_match']} not identified"
    )
    if result["error"]:
        raise fail(result["error"])


def register(app: typer.Typer) -> None:
    """Add ``identify`` to the CLI."""
    app.command()(identify)
