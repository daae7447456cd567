"""Read queries for the dashboard and ``medialake sql``, one module per area.

Every function takes an open connection (from ``Warehouse.read()``, or ``write()`` for
the few that record jobs) and returns plain values or Polars frames, so callers can
cache them. Tables that later issues add are looked up at run time
(:func:`table_exists`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import polars as pl


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> pl.DataFrame:
    """The result of ``sql`` as a Polars frame (through Arrow, without a copy)."""
    return con.sql(sql, params=params).pl()


def records(
    con: duckdb.DuckDBPyConnection, sql: str, params: Any = None
) -> list[dict[str, Any]]:
    """The result of ``sql`` as a list of dicts."""
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    """The first column of the first row of ``sql`` (None when there is no row).

    Fetches every row: DuckDB keeps a partly fetched result open on the connection.
    """
    rows = con.execute(sql, params).fetchall()
    return rows[0][0] if rows else None


def like(column: str, param: str) -> str:
    """``column`` contains the text ``$param``, ignoring case and accents (both sides
    normalized per row: for columns without a stored search key)."""
    return (
        f"contains(strip_accents(lower(coalesce({column}, ''))),"
        f" strip_accents(lower(${param})))"
    )


def search_text(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """``text`` normalized as the stored search keys are (views/00_macros.sql:
    ``ml_search_text``), once per query rather than once per row."""
    return str(scalar(con, "SELECT ml_search_text(?)", [text]))


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view called ``name`` exists in the warehouse."""
    return bool(columns(con, name))


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The column names of ``table`` in order (empty when it does not exist).

    Asked of the binder (milliseconds): the catalog listings (``information_schema``)
    cost a tenth of a second and more on a DuckLake.
    """
    import duckdb

    quoted = '"' + table.replace('"', '""') + '"'
    try:
        cur = con.execute(f"SELECT * FROM {quoted} LIMIT 0")
    except duckdb.CatalogException:
        return []
    return [d[0] for d in cur.description]
