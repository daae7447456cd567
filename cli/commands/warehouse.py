"""``medialake warehouse migrate``: copy a warehouse of the versions before DuckLake
(one DuckDB file, ``<data folder>/medialake.duckdb``) into the configured lake.

Every table of the old file that the lake has is copied, by column name, in one
transaction: all or nothing. Tables that already have rows in the lake are left alone,
so running it again copies nothing twice. The old file is only read and is kept. A file
written by a DuckDB newer than this one is read by the side environment
``.venv-legacy`` (``scripts/setup.sh`` makes it) or the Python named by
``MEDIALAKE_LEGACY_PYTHON``.
"""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - typer reads the annotations at run time
from typing import Annotated

import typer

from cli.main import console, err, fail
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError
from warehouse.db import WarehouseError

app = typer.Typer(
    help="The warehouse itself: copy an old one into it.", no_args_is_help=True
)


@app.command()
def migrate(
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="The old warehouse file (default: medialake.duckdb in the data "
            "folder).",
        ),
    ] = None,
) -> None:
    """Copy an old warehouse (one DuckDB file) into the lake; the old file is kept."""
    from warehouse.current import build
    from warehouse.legacy import migrate_legacy_file
    from warehouse.migrate import migrate as migrate_schema

    try:
        settings = prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    legacy = (source or settings.legacy_warehouse_path).expanduser()
    if not legacy.is_file():
        raise fail(f"there is no old warehouse at {legacy}")
    try:
        wh = build()
        migrate_schema(wh)
        result = migrate_legacy_file(wh, legacy)
    except WarehouseError as exc:
        raise fail(f"{exc}; the warehouse is unchanged") from None
    width = max(len(t) for t in [*result.copied, "total"])
    console.print(f"copied {legacy} into {wh!r}:", highlight=False)
    for table, rows in result.copied.items():
        console.print(f"  {table:<{width}}  {rows:>9}", highlight=False)
    console.print(f"  {'total':<{width}}  {result.total:>9} rows", highlight=False)
    if result.left_alone:
        names = ", ".join(result.left_alone)
        console.print(
            f"left alone (the warehouse already has rows in them): {names}",
            highlight=False,
        )
    for table, rows in result.not_in_lake.items():
        err.print(
            f"[yellow]warning:[/] table {table} ({rows} rows) is not in this "
            "version's warehouse and was not copied",
            highlight=False,
        )
    for table, columns in result.dropped_columns.items():
        err.print(
            f"[yellow]warning:[/] columns {', '.join(columns)} of table {table} are "
            "not in this version's warehouse and were not copied",
            highlight=False,
        )
    console.print(f"the old file is kept: {legacy}", highlight=False)


def register(root: typer.Typer) -> None:
    """Add ``warehouse`` (with ``migrate``) to the CLI."""
    root.add_typer(app, name="warehouse")
