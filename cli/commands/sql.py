"""``medialake sql``: ad-hoc SQL on the warehouse, read-only.

With a query it prints the result as a table (or writes all of it to ``--csv`` /
``--parquet``); without one it opens an interactive shell; ``--attach`` prints the SQL
that attaches the warehouse read-only from the DuckDB CLI, Python or a notebook. Every
statement is checked before anything runs, the connection is read-only and sandboxed
(no file but the warehouse's own), and a statement that runs longer than
``[warehouse] statement_timeout_s`` is stopped. Readers never hold up a writer.
"""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - typer reads the annotations at run time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.main import console, fail
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError
from warehouse.current import warehouse as current_warehouse
from warehouse.db import Warehouse, WarehouseError, attach_script
from warehouse.queries.sql import (
    QueryResult,
    arrow_batches,
    iter_rows,
    read_only_statements,
    run_read_only,
    schema_objects,
)

if TYPE_CHECKING:
    import pyarrow as pa

PROMPT = "medialake> "
MORE = "       ...> "
SHELL_HELP = (
    "Statements end with ';'. Commands: .views .tables .help .quit (or Ctrl-D).\n"
    "Read-only: SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN."
)


def sql(
    query: Annotated[
        str | None, typer.Argument(help="SQL to run (none: an interactive shell).")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write every row to this CSV file.")
    ] = None,
    parquet: Annotated[
        Path | None,
        typer.Option("--parquet", help="Write every row to this Parquet file."),
    ] = None,
    max_rows: Annotated[
        int, typer.Option(help="Rows to print at most (files get every row).")
    ] = 1000,
    attach: Annotated[
        bool,
        typer.Option(
            "--attach",
            help="Print the SQL that attaches the warehouse read-only (DuckDB CLI, "
            "Python, notebooks) and exit.",
        ),
    ] = False,
) -> None:
    """Query the warehouse read-only: print a table, write CSV/Parquet, or a shell."""
    try:
        settings = prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    global _timeout_s
    _timeout_s = settings.warehouse.statement_timeout_s
    try:
        wh = current_warehouse()
        if attach:
            print(attach_script(wh.location))
            return
        if query is None:
            if csv or parquet:
                raise fail("--csv and --parquet need a query")
            _shell(wh, max_rows)
        elif csv or parquet:
            _export(wh, query, csv, parquet)
        else:
            _print_results(wh, query, max_rows)
    except WarehouseError as exc:
        raise fail(str(exc)) from None


_timeout_s = 30.0


def _print_results(wh: Warehouse, query: str, max_rows: int) -> None:
    read_only_statements(query)  # refuse before opening anything
    with wh.read(_timeout_s, sandbox=True) as con:
        results = run_read_only(con, query, max_rows=max_rows)
    for result in results:
        _print(result, max_rows)


NARROWEST = 12  # a column squeezed below this is unreadable: print records instead


def _fits(names: list[str], rows: list[list[str]], width: int) -> bool:
    """Whether a table of these columns fits ``width`` with none squeezed."""
    needed = 1
    for i, name in enumerate(names):
        longest = max([len(name), *(len(row[i]) for row in rows)])
        needed += min(longest, NARROWEST) + 3
    return needed <= width


def _print_records(names: list[str], rows: list[list[str]]) -> None:
    """One record after another, a line per column (``psql``'s expanded display)."""
    label = max(len(name) for name in names)
    for number, row in enumerate(rows, 1):
        console.print(f"[dim]-[ record {number} ]" + "-" * 20, highlight=False)
        for name, value in zip(names, row, strict=True):
            console.print(
                f"[bold]{escape(name):<{label}}[/] | {escape(value)}",
                highlight=False,
                soft_wrap=True,
            )


def _print(result: QueryResult, max_rows: int) -> None:
    """A table when every column fits the terminal, else one record at a time."""
    names = list(result.frame.columns)
    rows = [list(row) for row in iter_rows(result)]
    if names and not _fits(names, rows, console.width):
        _print_records(names, rows)
    else:
        table = Table(show_lines=False, header_style="bold")
        for name, dtype in result.frame.schema.items():
            table.add_column(
                escape(name),
                justify="right" if dtype.is_numeric() else "left",
                overflow="fold",
            )
        for row in rows:
            table.add_row(*(escape(value) for value in row), style=None)
        console.print(table)
    count = result.frame.height
    more = (
        f", showing the first {max_rows} (use --csv for all)"
        if result.truncated
        else ""
    )
    console.print(f"{count} row{'s' if count != 1 else ''}{more}", style="dim")


def _export(wh: Warehouse, query: str, csv: Path | None, parquet: Path | None) -> None:
    statements = read_only_statements(query)
    if len(statements) != 1:
        raise fail("--csv and --parquet take exactly one statement")
    for target, kind in ((csv, "csv"), (parquet, "parquet")):
        if target is None:
            continue
        with wh.read(_timeout_s, sandbox=True) as con:
            rows = _write(arrow_batches(con, statements[0]), target, kind)
        console.print(f"wrote {rows} rows to {target}")


def _write(reader: pa.RecordBatchReader, target: Path, kind: str) -> int:
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    target.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    writer: pa_csv.CSVWriter | pq.ParquetWriter
    if kind == "csv":
        writer = pa_csv.CSVWriter(str(target), reader.schema)
    else:
        writer = pq.ParquetWriter(str(target), reader.schema)
    with writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def _shell(wh: Warehouse, max_rows: int) -> None:
    console.print(f"medialake SQL on {wh!r} (read-only). {SHELL_HELP}")
    buffer: list[str] = []
    while True:
        try:
            line = input(MORE if buffer else PROMPT)
        except EOFError:
            console.print()
            return
        except KeyboardInterrupt:
            console.print()
            buffer.clear()
            continue
        if not buffer and line.strip().startswith("."):
            if _dot_command(wh, line.strip()):
                return
            continue
        buffer.append(line)
        text = "\n".join(buffer).strip()
        if text and text.endswith(";"):
            buffer.clear()
            _shell_query(wh, text, max_rows)


def _shell_query(wh: Warehouse, text: str, max_rows: int) -> None:
    try:
        _print_results(wh, text, max_rows)
    except WarehouseError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)


def _dot_command(wh: Warehouse, command: str) -> bool:
    """Run a shell command like ``.views``; return True to leave the shell."""
    name = command.split()[0].lower()
    if name in (".quit", ".exit", ".q"):
        return True
    if name in (".views", ".tables"):
        kind = name[1:-1]
        with wh.read() as con:
            objects = schema_objects(con)
        for row in objects.filter(objects["type"] == kind).iter_rows(named=True):
            console.print(f"[bold]{row['name']}[/]: {row['columns']}", highlight=False)
        return False
    console.print(SHELL_HELP)
    return False


def register(app: typer.Typer) -> None:
    """Add ``sql`` to the CLI."""
    app.command()(sql)
