"""Overview: every server with its status, what it holds, its last syncs, the runs
that need a look, and the figures over time: plays per day, the library's growth
(audio and video apart), job outcomes per day and the queues now."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboards import charts, data, facts
from dashboards.auth import require_user
from playback.player import clock
from warehouse import progress
from warehouse.queries import overview, runs


def main() -> None:
    """Render the page."""
    st.title("Overview")
    _continue_watching()
    servers = data.read(overview.servers)
    if not servers:
        data.stop_with(
            "No server has been synced yet. Run `medialake sync` or start a sync on "
            "the Jobs page."
        )
    totals = data.read(overview.totals)
    cols = st.columns(5)
    cols[0].metric("Servers", totals["servers"])
    cols[1].metric("Tracks", totals["tracks"])
    cols[2].metric("Movies", totals["movies"])
    cols[3].metric("Episodes", totals["episodes"])
    cols[4].metric("Files in error", totals["failed_files"])
    _flags(servers)
    _running()
    st.subheader("Servers")
    st.dataframe(_server_table(servers), hide_index=True, width="stretch")
    flagged = data.read(overview.flagged_runs)
    if flagged.height:
        st.subheader("Runs that need a look")
        st.dataframe(flagged, hide_index=True, width="stretch")
    _over_time()


def _over_time() -> None:
    """The figures /metrics exports, as charts that scroll with the page."""
    st.subheader("Over time")
    left, right = st.columns(2)
    _plays(left)
    _queues(right)
    _growth()
    _outcomes()


def _plays(where: Any) -> None:
    plays = data.read(overview.plays_per_day)
    if plays.height == 0:
        where.caption(
            "**Plays per day**: none recorded yet (play history comes from servers "
            "that report it: Plex, Jellyfin, Subsonic)."
        )
        return
    charts.show(
        charts.bars(
            plays, "played_on", "plays", "server_id", "Plays per day", temporal=True
        ),
        where,
    )


def _queues(where: Any) -> None:
    queues = data.read(overview.queue_depth, cached=False)
    if queues.height == 0:
        where.caption(
            "**Queues**: nothing waiting or running (transcodes, downloads, rips)."
        )
        return
    charts.show(
        charts.bars(
            queues, "queue", "jobs", "state", "Queued or running now", horizontal=True
        ),
        where,
    )


def _growth() -> None:
    """Audio and video apart (their counts differ by orders of magnitude); a kind
    whose items were all first seen on one day gets a sentence, not a lone point."""
    growth = data.read(overview.growth_by_kind)
    kinds = [k for k in ("audio", "video") if k in set(growth["kind"].to_list())]
    if not kinds:
        return
    columns = st.columns(len(kinds))
    for where, kind in zip(columns, kinds, strict=True):
        part = growth.filter(pl.col("kind") == kind)
        name = "Audio" if kind == "audio" else "Video"
        if part.height < 2:
            where.caption(
                f"**{name} in the library**: all {part['total'][-1]} items were first "
                f"seen on {part['day'][0]}; the growth chart starts once items arrive "
                "on a second day."
            )
            continue
        charts.show(
            charts.line(
                part, "day", "total", None, f"{name} in the library", y_title="items"
            ),
            where,
        )


def _outcomes() -> None:
    outcomes = data.read(overview.job_outcomes)
    if outcomes.height == 0:
        st.caption("**Runs per day**: nothing finished in the last 30 days.")
        return
    charts.show(
        charts.bars(
            outcomes,
            "day",
            "runs",
            "outcome",
            "Runs per day by outcome (syncs, enrichment, transcodes, "
            "downloads, rips; last 30 days)",
            temporal=True,
            colors=charts.COLORS,
        )
    )


def _continue_watching() -> None:
    """The signed-in user's started, unfinished titles, each with a Play button."""
    user = require_user()
    started = data.read(progress.continue_watching, user.user_id, 6, cached=False)
    if not started:
        return
    st.subheader("Continue watching")
    for entry in started:
        left, right = st.columns([4, 1])
        left.markdown(
            f"**{data.md(entry['title'])}** · resume at {clock(entry['position_s'])}"
        )
        right.link_button("▶ Resume", facts.player_url(entry["asset_id"]))


def _flags(servers: list[dict]) -> None:
    for server in servers:
        status = server["last_run_status"]
        if server["status"] == "suspect" or status in ("suspect", "failed"):
            name = data.md(server["server_id"])
            reason = data.md(
                server["last_run_reason"] or server["status_detail"] or "no reason"
            )
            if status == "suspect":
                st.warning(
                    f"**{name}**: the last {server['last_run_mode']} sync was "
                    f"**suspect** ({reason}); nothing was removed from the warehouse."
                )
            else:
                st.warning(
                    f"**{name}**: the last sync was **{data.md(status)}**: {reason}"
                )


@st.fragment(run_every=1.0)
def _running() -> None:
    """Syncs running now, re-read every second (a cheap query): one that ends leaves
    the page within 2 s without a reload."""
    for run in data.read(runs.running_syncs, cached=False).to_dicts():
        done = f"{run['items_done']} of {run['items_total'] or '?'} items"
        st.info(
            f"{data.md(run['server_id'])}: a {data.md(run['mode'])} sync is running "
            f"now ({done}; see Jobs).",
            icon="🔵",
        )


def _server_table(servers: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "server": s["server_id"],
                "kind": s["kind"],
                "status": data.badge(s["status"]),
                "artists": s["artists"],
                "albums": s["albums"],
                "tracks": s["tracks"],
                "movies": s["movies"],
                "episodes": s["episodes"],
                "files in error": s["failed_files"],
                "size": data.human_bytes(s["bytes"]),
                "hours": s["hours"],
                "last incremental": data.when(s["last_incremental_at"]),
                "last full": data.when(s["last_full_at"]),
                "last deep": data.when(s["last_deep_at"]),
                "last run": " ".join(
                    (s["last_run_mode"] or "", data.badge(s["last_run_status"]))
                ),
            }
            for s in servers
        ]
    )


main()
