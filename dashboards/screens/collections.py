"""Collections: named, ordered groups of library items (:mod:`warehouse.collections`).
Every member sees every collection; its owner (or an admin) renames it, changes its
items (one ``server/native id`` per line, in order) or removes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import streamlit as st

from dashboards import data
from dashboards.auth import require_user
from warehouse import collections
from warehouse.current import warehouse

if TYPE_CHECKING:
    from warehouse.accounts import User


def _change(fn: object, *args: object, **kwargs: object) -> bool:
    """Run a collection change; show why it was refused. True when it was done."""
    try:
        with warehouse().write() as con:
            fn(con, *args, **kwargs)  # type: ignore[operator]
    except collections.CollectionError as exc:
        st.error(data.md(exc))
        return False
    data.clear_cache()
    return True


def _parse(text: str) -> list[tuple[str, str]]:
    """``server/native id`` lines (blank lines skipped) as item keys."""
    items = []
    for line in text.splitlines():
        server, sep, native = line.strip().partition("/")
        if not line.strip():
            continue
        if not sep or not server or not native:
            raise collections.CollectionError(
                f"not 'server/native id': {line.strip()[:80]!r}"
            )
        items.append((server, native))
    return items


def _editor(user: User, found: dict) -> None:
    cid = found["collection_id"]
    lines = "\n".join(f"{i['server_id']}/{i['native_id']}" for i in found["items"])
    with st.form(f"edit-{cid}"):
        name = st.text_input("Name", value=found["name"], max_chars=200)
        text = st.text_area(
            "Items, one 'server/native id' per line, in order", value=lines
        )
        if st.form_submit_button("Save"):
            try:
                items = _parse(text)
            except collections.CollectionError as exc:
                st.error(data.md(exc))
                return
            if _change(
                collections.update_collection,
                cid,
                user.user_id,
                admin=user.is_admin,
                name=name,
                items=items,
            ):
                st.success("saved")
                st.rerun()
    if st.button("Remove this collection", key=f"remove-{cid}"):
        if _change(
            collections.remove_collection, cid, user.user_id, admin=user.is_admin
        ):
            st.rerun()


def main() -> None:
    """Render the page."""
    user = require_user()
    st.title("Collections")
    found = data.read(collections.list_collections, cached=False)
    with st.form("new-collection", clear_on_submit=True):
        name = st.text_input("New collection", max_chars=200)
        if st.form_submit_button("Create") and _change(
            collections.create_collection, user.user_id, name
        ):
            st.rerun()
    if not found:
        st.caption("No collections yet.")
        return
    st.dataframe(
        pl.DataFrame(found).select("name", "owner", "items", "updated_at"),
        hide_index=True,
    )
    names = {c["collection_id"]: f"{c['name']} ({c['owner']})" for c in found}
    chosen = st.selectbox("Open", list(names), format_func=names.__getitem__)
    detail = data.read(collections.get_collection, chosen, cached=False)
    if detail is None:
        return
    if detail["items"]:
        st.dataframe(
            pl.DataFrame(detail["items"]).select(
                "position", "item_kind", "title", "server_id", "native_id"
            ),
            hide_index=True,
        )
    else:
        st.caption("No items yet.")
    if detail["user_id"] == user.user_id or user.is_admin:
        _editor(user, detail)


main()
