"""Ad-hoc SQL on the warehouse, read-only: ``medialake sql`` and the dashboard's SQL
page.

Three locks on the door: the connection is read-only and sandboxed
(``Warehouse.read(sandbox=True)``: no file, database or network but the lake's own
files), every statement is checked before any runs (a read-only connection still lets
``COPY ... TO`` write files, ``ATTACH`` other databases and ``CREATE TEMP`` objects),
and a statement timeout stops a query that runs too long.
Allowed: queries (``SELECT``, ``WITH``, ``FROM``, ``VALUES``, ``DESCRIBE``, ``SHOW``,
``SUMMARIZE``), ``EXPLAIN`` of a query, and informational ``PRAGMA``s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from warehouse.db import WarehouseError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa

ALLOWED = (
    "SELECT (WITH, FROM, DESCRIBE, SHOW, SUMMARIZE), EXPLAIN and informational PRAGMAs"
)
READ_PRAGMAS = frozenset(
    {
        "collations",
        "database_list",
        "database_size",
        "functions",
        "metadata_info",
        "platform",
        "show",
        "show_databases",
        "show_tables",
        "show_tables_expanded",
        "storage_info",
        "table_info",
        "user_agent",
        "version",
    }
)
_EXPLAIN = re.compile(r"^\s*explain(\s+analy[sz]e)?\s+", re.IGNORECASE)
_PRAGMA = re.compile(r"^\s*pragma\s+([a-z_]+)", re.IGNORECASE)


class QueryRefused(WarehouseError):
    """The SQL would write (or do something else than read); nothing was run."""


class QueryFailed(WarehouseError):
    """DuckDB rejected the SQL (syntax, unknown table, ...); the message says why."""


@dataclass(frozen=True, slots=True)
class QueryResult:
    """One statement's rows, at most ``max_rows`` of them."""

    statement: str
    frame: pl.DataFrame
    truncated: bool


def read_only_statements(sql: str) -> list[str]:
    """Split ``sql`` into statements and check that each only reads.

    Raises:
        QueryRefused: a statement would write, attach, copy, set or load something.
        QueryFailed: the SQL does not parse.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryFailed(_clean(exc)) from None
    if not statements:
        raise QueryFailed("no SQL statement given")
    checked = []
    for number, statement in enumerate(statements, start=1):
        _check(statement, number)
        checked.append(statement.query.strip().rstrip(";").strip())
    return checked


def _check(statement: duckdb.Statement, number: int) -> None:
    kind = statement.type
    if kind == duckdb.StatementType.SELECT:
        return
    if kind == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN.sub("", statement.query, count=1)
        inner_types = [s.type for s in duckdb.extract_statements(inner)]
        if inner_types == [duckdb.StatementType.SELECT]:
            return
    if kind == duckdb.StatementType.PRAGMA:
        match = _PRAGMA.match(statement.query)
        if match and match.group(1).lower() in READ_PRAGMAS:
            return
    name = str(kind).rsplit(".", 1)[-1]
    where = f" (statement {number})" if number > 1 else ""
    raise QueryRefused(
        f"refused: the warehouse is read-only here, and {name} statements are not "
        f"allowed{where}. Allowed: {ALLOWED}. Nothing was run."
    )


def run_read_only(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    *,
    max_rows: int | None = None,
) -> list[QueryResult]:
    """Check every statement of ``sql``, then run them in order.

    Args:
        con: a read-only warehouse connection.
        sql: one or more statements.
        max_rows: keep at most this many rows of each result (None: all).
    """
    statements = read_only_statements(sql)
    results = []
    for statement in statements:
        table, truncated = _fetch(con, statement, max_rows)
        results.append(QueryResult(statement, pl.from_arrow(table), truncated))  # type: ignore[arg-type]
    return results


def _fetch(
    con: duckdb.DuckDBPyConnection, statement: str, max_rows: int | None
) -> tuple[pa.Table, bool]:
    import pyarrow as pa

    reader = arrow_batches(con, statement)
    batches, rows, truncated = [], 0, False
    try:
        for batch in reader:
            if max_rows is not None and rows + batch.num_rows > max_rows:
                batches.append(batch.slice(0, max_rows - rows))
                truncated = True
                break
            batches.append(batch)
            rows += batch.num_rows
    except (duckdb.Error, pa.ArrowException) as exc:
        raise QueryFailed(_clean(exc)) from None
    finally:
        reader.close()
    return pa.Table.from_batches(batches, schema=reader.schema), truncated


def arrow_batches(
    con: duckdb.DuckDBPyConnection, statement: str, batch_size: int = 50_000
) -> pa.RecordBatchReader:
    """A stream of the rows of one (already checked) statement."""
    try:
        return con.sql(statement).to_arrow_reader(batch_size)
    except duckdb.Error as exc:
        raise QueryFailed(_clean(exc)) from None


def iter_rows(result: QueryResult) -> Iterator[tuple[str, ...]]:
    """The result's rows as text, NULL shown as an empty string."""
    for row in result.frame.iter_rows():
        yield tuple("" if value is None else str(value) for value in row)


def _clean(exc: Exception) -> str:
    return str(exc).strip()


def schema_objects(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every table and view of the warehouse with its columns (views first)."""
    return con.sql(
        "SELECT t.table_name AS name,"
        " CASE WHEN t.table_type = 'VIEW' THEN 'view' ELSE 'table' END AS type,"
        " string_agg(c.column_name, ', ' ORDER BY c.ordinal_position) AS columns"
        " FROM information_schema.tables t JOIN information_schema.columns c"
        " ON c.table_catalog = t.table_catalog AND c.table_schema = t.table_schema"
        " AND c.table_name = t.table_name"
        " WHERE t.table_catalog = current_database() AND t.table_schema = 'main'"
        " GROUP BY ALL ORDER BY type DESC, name"
    ).pl()
