"""SQL: a read-only query box over the warehouse, and its views and tables."""

from __future__ import annotations

import streamlit as st

from dashboards import data
from medialake.runtime import settings
from warehouse.db import QueryTimeout
from warehouse.queries.sql import (
    QueryFailed,
    QueryRefused,
    QueryResult,
    run_read_only,
    schema_objects,
)

MAX_ROWS = 10_000
DEFAULT = "SELECT * FROM library_overview"


def main() -> None:
    """Render the page."""
    st.title("SQL")
    st.caption(
        "Read-only: SELECT (WITH, FROM, DESCRIBE, SHOW, SUMMARIZE) and EXPLAIN. "
        "Writes are refused. `medialake sql` gives the same from a terminal."
    )
    sql = st.text_area("Query", value=DEFAULT, height=140)
    if st.button("Run", type="primary"):
        _run(sql)
    objects = data.read(schema_objects)
    views = objects.filter(objects["type"] == "view")
    st.subheader(f"Views ({views.height})")
    st.dataframe(views.drop("type"), hide_index=True)
    with st.expander("Tables"):
        st.dataframe(
            objects.filter(objects["type"] == "table").drop("type"), hide_index=True
        )


def _run(sql: str) -> None:
    def query() -> list[QueryResult]:
        try:
            timeout = settings().warehouse.statement_timeout_s
            with data.warehouse().read(timeout, sandbox=True) as con:
                return run_read_only(con, sql, max_rows=MAX_ROWS)
        except QueryRefused as exc:
            st.error(data.md(exc))
        except QueryTimeout as exc:
            st.error(f"Stopped: {data.md(exc)}.")
        except QueryFailed as exc:
            st.error(f"The query failed: {data.md(exc)}")
        return []

    for result in data.guard(query) or []:
        note = f" (first {MAX_ROWS})" if result.truncated else ""
        st.caption(f"{result.frame.height} rows{note}")
        st.dataframe(result.frame, hide_index=True)
        st.download_button(
            "Download CSV",
            result.frame.write_csv(),
            file_name="medialake.csv",
            mime="text/csv",
            key=f"csv-{id(result)}",
        )


main()
