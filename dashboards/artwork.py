"""The Library as a grid of pictures, and an item's poster.

Thumbnails are the small WebP files the ``artwork`` flow keeps in the data folder
(``warehouse.artwork``); Streamlit serves them to the browser from its own media
route, which the dashboard's sign-in gate covers. Only the thumbnails of the page on
screen are read. An item without a picture gets a placeholder. Titles and names come
from tags and servers, so they are escaped (:func:`dashboards.data.md`).
"""

from __future__ import annotations

import io
from functools import cache
from typing import TYPE_CHECKING, Any

import streamlit as st
from PIL import Image, ImageDraw

from dashboards import data
from medialake.runtime import settings
from warehouse.artwork import page_art

if TYPE_CHECKING:
    import polars as pl

COLUMNS = 6
NO_PICTURE = "No picture"


@cache
def placeholder() -> bytes:
    """A plain grey 2:3 card (PNG) for items without a picture."""
    img = Image.new("RGB", (160, 240), (58, 61, 70))
    draw = ImageDraw.Draw(img)
    draw.rectangle((8, 8, 151, 231), outline=(110, 114, 125), width=2)
    draw.ellipse((55, 95, 105, 145), outline=(150, 154, 165), width=3)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def pictures(rows: pl.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
    """(thumbnail, image) paths of a page's items that have a picture."""
    keys = tuple(
        rows.select("server_id", "native_id", "item_kind", "art_native_id").iter_rows()
    )
    return data.read(page_art, keys)


def caption(row: dict[str, Any]) -> str:
    """The escaped title line and who/what line of a card."""
    who = row.get("artist") or row.get("show_title") or row.get("album") or ""
    year = f" ({row['year']})" if row.get("year") else ""
    text = f"**{data.md(row.get('title') or '(untitled)')}**{year}"
    return f"{text}  \n{data.md(who)}" if who else text


def grid(rows: pl.DataFrame) -> None:
    """One page of the Library as cards with their pictures."""
    found = pictures(rows)
    home = settings().home
    items = list(rows.iter_rows(named=True))
    for start in range(0, len(items), COLUMNS):
        cols = st.columns(COLUMNS)
        for col, row in zip(cols, items[start : start + COLUMNS], strict=False):
            art = found.get((row["server_id"], row["native_id"]))
            title = str(row.get("title") or "(untitled)")
            if art:
                col.image(str(home / art[0]), width="stretch", alt=f"Picture: {title}")
            else:
                col.image(placeholder(), width="stretch", alt=NO_PICTURE)
            col.markdown(caption(row))


def poster(row: dict[str, Any]) -> None:
    """The item's picture at full size (its album's or show's for a track or
    episode), or nothing when it has none."""
    key = (row["server_id"], row["native_id"], row["item_kind"], row["art_native_id"])
    art = data.read(page_art, (key,)).get(key[:2])
    if art:
        st.image(str(settings().home / art[1]), width=300, alt="Poster")
