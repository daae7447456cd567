"""The dashboard's charts: Altair specs that scroll with the page.

Streamlit's built-in ``st.line_chart``/``st.bar_chart`` make every chart
``.interactive()``, so the mouse wheel over a chart zooms it instead of scrolling the
page. These builders never bind scales to the wheel: a chart is a picture with
tooltips. Each chart carries a title (what a user reads above it) and stretches to the
width of its column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import altair as alt
import streamlit as st

if TYPE_CHECKING:
    import polars as pl

HEIGHT = 260
COLORS = {  # outcomes and states read the same on every chart
    "succeeded": "#2e7d32",
    "suspect": "#ef6c00",
    "failed": "#c62828",
    "cancelled": "#757575",
}


def _day(name: str) -> str:
    """A date field as a calendar day (UTC: no shift into the day before)."""
    return f"utcyearmonthdate({name}):T"


def line(
    frame: pl.DataFrame,
    x: str,
    y: str,
    color: str | None,
    title: str,
    y_title: str | None = None,
) -> alt.Chart:
    """A line per ``color`` over a time axis ``x`` (a point on each value)."""
    encoding: dict[str, object] = {
        "x": alt.X(_day(x), title=""),
        "y": alt.Y(f"{y}:Q", title=y_title or y),
        "tooltip": [_day(x), *([f"{color}:N"] if color else []), f"{y}:Q"],
    }
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=None)
    return (
        alt.Chart(frame, title=title, height=HEIGHT)
        .mark_line(point=True)
        .encode(**encoding)
    )


def bars(
    frame: pl.DataFrame,
    x: str,
    y: str,
    color: str | None,
    title: str,
    *,
    temporal: bool = False,
    horizontal: bool = False,
    colors: dict[str, str] | None = None,
) -> alt.Chart:
    """Stacked bars of ``y`` per ``x`` (a day when ``temporal``), split by ``color``;
    ``colors`` pins a colour to each value (outcomes: red for failed ...)."""
    field = _day(x) if temporal else f"{x}:N"
    encoding: dict[str, object] = {
        "tooltip": [field, *([f"{color}:N"] if color else []), f"{y}:Q"]
    }
    if horizontal:
        encoding["y"] = alt.Y(f"{x}:N", title="", sort="-x")
        encoding["x"] = alt.X(f"{y}:Q", title=y)
    else:
        encoding["x"] = alt.X(field, title="")
        encoding["y"] = alt.Y(f"{y}:Q", title=y, stack=True)
    if color:
        scale = (
            alt.Scale(domain=list(colors), range=list(colors.values()))
            if colors
            else alt.Undefined
        )
        encoding["color"] = alt.Color(f"{color}:N", title=None, scale=scale)
    return (
        alt.Chart(frame, title=title, height=HEIGHT)
        .mark_bar(size=12 if temporal else alt.Undefined)
        .encode(**encoding)
    )


def show(chart: alt.Chart, where: Any = st) -> None:
    """Draw ``chart`` across its column (no wheel zoom: nothing is bound)."""
    where.altair_chart(chart, width="stretch")
