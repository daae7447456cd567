"""What every dashboard page shares: warehouse reads, plain messages, formatting.

Pages read through :func:`read`, which runs a ``warehouse.queries`` function on a
read-only snapshot of the warehouse and caches the answer for a few seconds
(``st.cache_data``). Readers never wait for writers. A warehouse that does not exist
yet or is older than this version is never shown as a raw error: the page says so in
words and stops.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import duckdb
import streamlit as st

from warehouse import current
from warehouse.db import Warehouse, WarehouseBusy, WarehouseMissing

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

T = TypeVar("T")
CACHE_TTL_S = 5.0
BUSY = "The warehouse is busy: {detail}. Reload in a moment."
MISSING = (
    "There is no warehouse yet. Run `medialake sync` (or start a sync on the Jobs "
    "page) to read your servers into it."
)
OUTDATED = (
    "The warehouse does not have what this page needs ({detail}). It was probably "
    "written by an older medialake: run `medialake sync` once to bring it up to date."
)


def warehouse() -> Warehouse:
    """The configured warehouse (the one :mod:`warehouse.current` builds); a page
    never creates it."""
    return current.warehouse(create=False)


def read(fn: Callable[..., T], *args: Any, cached: bool = True) -> T:
    """``fn(con, *args)`` on a read-only snapshot; stops the page with a plain message
    when the warehouse is missing or outdated."""
    try:
        wh = warehouse()
        if cached:
            key = f"{fn.__module__}.{fn.__qualname__}"
            return _cached_read(wh.location.catalog, key, args, fn)
        return _read(wh, fn, args)
    except WarehouseMissing:
        stop_with(MISSING, "info")
    except WarehouseBusy as exc:
        stop_with(
            BUSY.format(detail=str(exc).removeprefix("the warehouse is busy: ")),
            "warning",
        )
    except duckdb.CatalogException as exc:
        stop_with(OUTDATED.format(detail=str(exc).splitlines()[0]), "warning")


def _read(wh: Warehouse, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    with wh.read() as con:
        return fn(con, *args)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _cached_read(
    catalog: str, key: str, args: tuple[Any, ...], _fn: Callable[..., Any]
) -> Any:
    return _read(warehouse(), _fn, args)


def clear_cache() -> None:
    """Forget cached answers (after a button changed something)."""
    _cached_read.clear()


def stop_with(message: str, level: str = "info") -> NoReturn:
    """Show ``message`` (info, warning or error) and end the page's run."""
    getattr(st, level)(message)
    st.stop()
    raise RuntimeError(
        "unreachable"
    )  # st.stop() raises; this keeps type checkers honest


def guard(action: Callable[[], T]) -> T | None:
    """Run a button's action; what goes wrong is said in words, not as a traceback
    (a busy or missing warehouse, an unreachable Prefect server, ...)."""
    try:
        return action()
    except WarehouseBusy as exc:
        st.warning(BUSY.format(detail=str(exc).removeprefix("the warehouse is busy: ")))
    except WarehouseMissing:
        st.info(MISSING)
    except Exception as exc:  # a button must not break the page
        st.error(f"That did not work: {type(exc).__name__}: {md(exc)}")
    return None


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def md(text: object) -> str:
    """Text from a tag, a server, an error or a person, made literal for Markdown:
    no link, image, HTML, colour directive or emphasis survives (a title tag
    ``![x](http://host/x.png)`` must not make the viewer's browser fetch a URL)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text)).replace("\n", " ")


def human_bytes(size: float | None) -> str:
    """``1536`` -> ``1.5 KB``."""
    if not size:
        return "0 B"
    units = ("B", "KB", "MB", "GB", "TB", "PB")
    power = min(int(math.log(size, 1024)), len(units) - 1)
    return f"{size / 1024**power:.1f} {units[power]}" if power else f"{int(size)} B"


def when(value: datetime | None) -> str:
    """A timestamp as ``2024-05-01 12:30 UTC`` (``never`` when missing)."""
    if value is None:
        return "never"
    return value.strftime("%Y-%m-%d %H:%M %Z").strip()


STATUS_ICONS = {
    "ok": "🟢",
    "succeeded": "🟢",
    "running": "🔵",
    "suspect": "🟠",
    "cancelled": "⚪",
    "failed": "🔴",
    "error": "🔴",
}


def badge(status: str | None) -> str:
    """A status with a coloured dot."""
    if not status:
        return "⚪ unknown"
    return f"{STATUS_ICONS.get(status, '⚪')} {status}"
