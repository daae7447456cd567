"""Playlists: every playlist medialake manages (its source and targets), the last push
to each target with the entries that were missing, ambiguous or refused, a way to
settle an ambiguous entry by hand, and buttons to retry now and to put what is missing
on the wanted list.

Everything shown that came from a playlist file, a server or a user (names, titles,
reasons) is shown as text: tables, or Markdown with every special character escaped.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from dashboards import data
from jobs import control as controls
from warehouse.queries import playlists as q

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
NOT_THERE = "(not on this server)"


def md(text: Any) -> str:
    """``text`` as literal Markdown: every character Markdown or HTML would read is
    escaped, so a title like ``[x](http://...)`` stays text."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def main() -> None:
    """Render the page."""
    st.title("Playlists")
    rows = data.read(q.playlists)
    if not rows:
        st.info(
            "No playlists yet. Import one with `medialake playlist import FILE --push` "
            "(M3U/M3U8, PLS, XSPF, JSPF, a URL, or server:NAME:PLAYLIST)."
        )
        return
    st.dataframe(
        [
            {
                "name": r["name"],
                "source": r["source_ref"],
                "targets": ", ".join(r["targets"]),
                "mirrored": r["mirror"],
                "entries": r["entry_count"],
                "read": data.when(r["read_at"]),
                "source error": r["source_error"] or "",
            }
            for r in rows
        ],
        hide_index=True,
    )
    names = {r["playlist_id"]: r for r in rows}
    chosen = st.selectbox(
        "Playlist", list(names), format_func=lambda pid: names[pid]["name"]
    )
    _playlist(names[chosen])


def _playlist(playlist: dict[str, Any]) -> None:
    pid = playlist["playlist_id"]
    if playlist["source_problems"]:
        with st.expander("Entries skipped while reading the source"):
            st.text(playlist["source_problems"])
    left, right = st.columns(2)
    if left.button("Retry now", type="primary"):
        _start({"playlists": [pid]})
    if right.button("Add missing to wanted"):
        _start({"playlists": [pid], "want_missing": True})
    notice = st.session_state.pop("playlists_notice", None)
    if notice:
        st.success(notice)
    pushes = data.read(q.last_pushes, pid, cached=False)
    if not pushes:
        st.caption("Not pushed yet.")
    for push in pushes:
        _push(playlist, push)


def _start(params: dict[str, Any]) -> None:
    started = data.guard(
        lambda: controls.start(controls.find_spec("playlist-push"), params)
    )
    if started is not None:
        data.clear_cache()
        st.session_state["playlists_notice"] = started.message
        st.rerun()


def _push(playlist: dict[str, Any], push: dict[str, Any]) -> None:
    server = push["server_id"]
    st.subheader(f"{md(server)}: {data.badge(push['status'])}")
    st.markdown(
        f"{push['added']} added · {push['kept']} already there · "
        f"{push['removed']} removed · {push['missing']} missing · "
        f"{push['ambiguous']} ambiguous · {push['refused']} refused · "
        f"{data.when(push['finished_at'])}"
    )
    if push["error"]:
        st.error(f"The server said: {md(push['error'])}")
    items = data.read(q.attention, push["sync_id"], cached=False)
    if items:
        st.dataframe(items, hide_index=True)
    _resolve(playlist, server)


def _resolve(playlist: dict[str, Any], server: str) -> None:
    pid = playlist["playlist_id"]
    open_entries = data.read(q.ambiguous, pid, server, cached=False)
    if not open_entries:
        return
    with st.expander(f"Settle ambiguous entries on {md(server)}"):
        by_position = {e["position"]: e for e in open_entries}
        position = st.selectbox(
            "Entry",
            list(by_position),
            key=f"entry-{pid}-{server}",
            format_func=lambda p: _label(by_position[p]),
        )
        entry = by_position[position]
        choices = {c[0]: f"{c[2]} ({c[1]:.2f})" for c in entry["candidates"]}
        choices[NOT_THERE] = NOT_THERE
        track = st.selectbox(
            "Track",
            list(choices),
            key=f"track-{pid}-{server}",
            format_func=lambda c: choices[c],
        )
        if st.button("Use this track", key=f"use-{pid}-{server}"):
            _settle(pid, entry["entry_key"], server, track)


def _label(entry: dict[str, Any]) -> str:
    text = " - ".join(p for p in (entry["artist"], entry["title"]) if p)
    return f"{entry['position']}: {text}"


def _settle(pid: str, entry_key: str, server: str, track: str) -> None:
    from warehouse import playlist_sync as store

    native = None if track == NOT_THERE else track
    done = data.guard(
        lambda: store.resolve(data.warehouse(), pid, entry_key, server, native)
    )
    if done:
        data.clear_cache()
        st.session_state["playlists_notice"] = (
            "Settled; it is used from the next push (Retry now)."
        )
        st.rerun()
    elif done is False:
        st.warning("That entry or track no longer exists; reload the page.")


main()
