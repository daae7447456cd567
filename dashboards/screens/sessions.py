"""Sessions: watch sessions, through the playback service's API.

Create a session for a title (a current HLS asset) and share its invite link; see who
is in each live session, with the round trip the service measured and the drift each
player reports; and control it as the host: play, pause, seek, end. The page holds no
session state: the playback service (``medialake serve``) does.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import polars as pl
import streamlit as st

from dashboards import data
from dashboards.auth import require_user
from medialake.runtime import settings
from playback.sessions.client import (
    ServiceUnreachable,
    SessionsApiError,
    SessionsClient,
)
from warehouse import sessions as tables

if TYPE_CHECKING:
    from collections.abc import Callable

MODES = {"host": "Host controls playback", "collaborative": "Everyone controls"}
BUFFERING = {
    "wait": "Wait for a member that buffers",
    "catchup": "Keep playing; the slow member catches up",
}
NOTICE = "sessions_notice"


def main() -> None:
    """Render the page."""
    st.title("Watch sessions")
    st.caption(
        "Several browsers playing one title in sync. Create a session, send the "
        "invite link, and control it here or from the host's player."
    )
    client = SessionsClient.from_settings(settings())
    try:
        live = client.sessions()
    except ServiceUnreachable as exc:
        data.stop_with(
            f"The playback service is not running: {exc}. Start it with "
            "`medialake serve` (or `medialake up`), then reload this page.",
            "warning",
        )
    except SessionsApiError as exc:
        data.stop_with(f"The playback service refused the request: {exc}", "error")
    user = require_user()
    if not user.is_admin:  # a member sees and controls the sessions they made
        live = [s for s in live if s.get("created_by") == user.username]
    _show_notice()
    _new_session(client, user.username)
    st.subheader(f"Live sessions ({len(live)})")
    st.button("Refresh", key="sessions-refresh")
    if not live:
        st.caption("No session is running.")
    for session in live:
        _session(client, session)


def _show_notice() -> None:
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.success(notice["message"])
        if notice.get("invite_url"):
            st.markdown("Invite link (send it to your guests):")
            st.code(notice["invite_url"], language=None)
            st.markdown("Host link (opens the player with the host's controls):")
            st.code(notice["host_url"], language=None)


def _assets() -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]]:
        with data.warehouse().read() as con:
            return tables.playable_assets(con)

    return data.guard(read) or []


def _new_session(client: SessionsClient, username: str) -> None:
    st.subheader("New session")
    assets = _assets()
    if not assets:
        st.info(
            "Nothing is playable yet: transcode a title first "
            "(`medialake transcode`, or the Jobs page)."
        )
        return
    labels = {a["asset_id"]: _asset_label(a) for a in assets}
    asset_id = st.selectbox("Title", list(labels), format_func=labels.__getitem__)
    left, right = st.columns(2)
    mode = left.radio("Control", list(MODES), format_func=MODES.__getitem__)
    buffering = right.radio(
        "When a member buffers", list(BUFFERING), format_func=BUFFERING.__getitem__
    )
    if st.button("Create session", type="primary"):
        created = data.guard(
            partial(
                client.create,
                str(asset_id),
                str(mode),
                str(buffering),
                created_by=username,
            )
        )
        if created:
            st.session_state[NOTICE] = {
                "message": f"Session created for {data.md(created['title'])}.",
                "invite_url": created["invite_url"],
                "host_url": created["host_url"],
            }
            st.rerun()


def _asset_label(asset: dict[str, Any]) -> str:
    duration = asset.get("duration_s")
    return f"{asset['title']} ({_clock(duration)})" if duration else asset["title"]


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else (f"{rest // 60}:{rest % 60:02d}")
    )


def _session(client: SessionsClient, session: dict[str, Any]) -> None:
    sid = session["session_id"]
    with st.container(border=True):
        st.markdown(
            f"**{data.md(session['title'])}** · {data.badge(session['state'])} · "
            f"{_clock(session['position'])} of {_clock(session['duration'])} · "
            f"{MODES.get(session['mode'], session['mode'])} · session `{sid}`"
        )
        st.caption("Invite link")
        st.code(session["invite_url"], language=None)
        with st.expander("Host link"):
            st.code(session["host_url"], language=None)
        _members(session["members"])
        _controls(client, session)


def _members(members: list[dict[str, Any]]) -> None:
    if not members:
        st.caption("Nobody has joined yet.")
        return
    frame = pl.DataFrame(
        [
            {
                "member": m["name"],
                "role": m["role"],
                "connected": "🟢 yes" if m["connected"] else "⚪ no",
                "status": m["status"],
                "latency (ms)": m["rtt_ms"],
                "drift (ms)": m["drift_ms"],
            }
            for m in members
        ],
        schema_overrides={"latency (ms)": pl.Float64, "drift (ms)": pl.Float64},
    )
    st.dataframe(frame, hide_index=True)


def _controls(client: SessionsClient, session: dict[str, Any]) -> None:
    sid = session["session_id"]
    cols = st.columns([1, 1, 2, 1, 1])
    act: Callable[..., Any] = partial(_act, client, sid)
    if cols[0].button("Play", key=f"play-{sid}"):
        act("play")
    if cols[1].button("Pause", key=f"pause-{sid}"):
        act("pause")
    target = cols[2].number_input(
        "Seek to (seconds)",
        min_value=0.0,
        max_value=float(session["duration"] or 1e7),
        value=0.0,
        step=10.0,
        key=f"target-{sid}",
        label_visibility="collapsed",
    )
    if cols[3].button("Seek", key=f"seek-{sid}"):
        act("seek", float(target))
    if cols[4].button("End", key=f"end-{sid}"):
        act("end")


def _act(
    client: SessionsClient, session_id: str, action: str, position: float | None = None
) -> None:
    done = data.guard(partial(client.control, session_id, action, position))
    if done is not None:
        where = f" at {_clock(position)}" if action == "seek" else ""
        st.session_state[NOTICE] = {"message": f"{action.capitalize()}{where}: done."}
        st.rerun()


main()
