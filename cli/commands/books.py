"""``medialake books``: scan the books roots (EPUB and PDF metadata), add a manual
record for a book without a file, list the shelf."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cli.main import console, fail
from medialake.progress_bars import ProgressBars
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError


def books(
    roots: Annotated[
        list[str] | None,
        typer.Argument(help="Folders of EPUB/PDF files (default: [books] roots)."),
    ] = None,
    add: Annotated[
        str | None, typer.Option(help="Add a book without a file: its title.")
    ] = None,
    author: Annotated[
        list[str] | None, typer.Option(help="Author of the added book (repeatable).")
    ] = None,
    series: Annotated[
        str | None, typer.Option(help="Series of the added book.")
    ] = None,
    series_index: Annotated[
        float | None, typer.Option(help="Its number in the series.")
    ] = None,
    isbn: Annotated[str | None, typer.Option(help="ISBN of the added book.")] = None,
    language: Annotated[str | None, typer.Option(help="Its language.")] = None,
    show: Annotated[bool, typer.Option("--list", help="List the books.")] = False,
) -> None:
    """Read EPUB and PDF metadata from the books roots into the warehouse."""
    try:
        prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    if show:
        _list()
        return
    manual = None
    if add is not None:
        manual = [
            {
                "title": add,
                "authors": author or [],
                "series": series,
                "series_index": series_index,
                "isbn": isbn,
                "language": language,
            }
        ]
    from flows.books import books as books_flow

    bars = ProgressBars(console)
    with bars:
        try:
            result = books_flow(roots, manual, scan=add is None or bool(roots))
        except ValueError as exc:
            raise fail(str(exc)) from None
    _report(result)


def _report(result: dict[str, Any]) -> None:
    if result["manual"]:
        console.print(f"added {len(result['manual'])} manual record(s)")
    elif not result["scans"]:
        console.print(
            "no books root: name one, set [books] roots, or create <library>/Books"
        )
    failed = False
    for scan in result["scans"]:
        if scan["status"] != "succeeded":
            failed = True
            console.print(f"{scan['root']}: {scan['error']}", markup=False)
            continue
        console.print(
            f"{scan['root']}: {scan['files_done']} read, {scan['added']} added,"
            f" {scan['updated']} updated, {scan['removed']} removed,"
            f" {scan['unreadable']} unreadable",
            markup=False,
        )
    if failed:
        raise typer.Exit(1)


def _list() -> None:
    from tasks.context import warehouse
    from warehouse.reading import search_books

    with warehouse().read() as con:
        found = search_books(con)
    table = Table(title=f"{found.height} books")
    columns = ("title", "authors", "series", "series_index", "format", "isbn", "error")
    for column in columns:
        table.add_column(column)
    for row in found.iter_rows(named=True):
        table.add_row(*(Text("" if row[c] is None else str(row[c])) for c in columns))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``books`` to the CLI."""
    app.command()(books)
