"""Jobs: what runs and what ran (syncs, jobs started here, and the job tables of
enrichment, downloads, rips and transcodes), with buttons to run a flow now, retry a
failed run and cancel a running one."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from dashboards import data
from jobs import control as controls
from warehouse.queries import jobs, overview, runs

EVERY_SERVER = "(every server)"
LIVE_EVERY_S = 1.0  # the live parts re-read this often: a change shows within 2 s


def main() -> None:
    """Render the page."""
    st.title("Jobs")
    data.guard(controls.refresh)
    if controls.uses_prefect():
        st.caption(f"Flows run on the Prefect server at {controls.ui_url()}.")
    else:
        st.caption(
            "Flows run as background processes on this machine (embedded default); "
            "configure `prefect.api_url` to run them on a Prefect server instead."
        )
    _run_now()
    _running()
    _sync_runs()
    _dashboard_jobs()
    _other_jobs()


def _show(started: controls.Started | None) -> None:
    if started is None:
        return
    data.clear_cache()
    st.session_state["jobs_notice"] = (started.message, started.url)


def _run_now() -> None:
    st.subheader("Run a flow now")
    specs = controls.flow_specs()
    if not specs:
        st.info("prefect.yaml declares no deployments.")
        return
    names = [spec.name for spec in specs]
    left, middle, right = st.columns([3, 2, 1])
    name = left.selectbox("Deployment (prefect.yaml)", names)
    spec = specs[names.index(name)]
    overrides: dict[str, Any] = {}
    if spec.takes_server:
        servers = [s["server_id"] for s in data.read(overview.servers)]
        server = middle.selectbox("Server", [EVERY_SERVER, *servers])
        if server != EVERY_SERVER:
            overrides["server"] = server
    if spec.description:
        st.caption(spec.description)
    if right.button("Run now", type="primary"):
        with st.spinner(f"Starting {spec.name} ..."):
            started = data.guard(lambda: controls.start(spec, overrides))
        _show(started)
        if started is not None:
            st.toast(started.message)
    notice = st.session_state.pop("jobs_notice", None)
    if notice:
        message, url = notice
        st.success(message)
        if url:
            st.link_button("Open the flow run in Prefect", url)


@st.fragment(run_every=LIVE_EVERY_S)
def _running() -> None:
    st.subheader("Running now")
    syncs = data.read(runs.running_syncs, cached=False)
    active = data.read(jobs.running_jobs, cached=False)
    if syncs.height == 0 and not active:
        st.caption("Nothing is running.")
    followed = {job["flow_run_id"] for job in active if job["flow_run_id"]}
    for run in syncs.to_dicts():
        label = (
            f"sync {run['server_id']} ({run['mode']}): "
            f"{run['items_done']} of {run['items_total'] or '?'} items"
        )
        left, right = st.columns([5, 1])
        left.progress(float(run["progress"]), text=label)
        flow_run = run["flow_run_id"]
        if controls.uses_prefect() and flow_run and flow_run not in followed:
            # a scheduled or CLI-started run on the Prefect server: cancel it there
            if right.button("Cancel", key=f"cancel-run-{run['run_id']}"):
                _notice(data.guard(partial(controls.cancel_flow_run, flow_run)))
    for job in active:
        _running_job(job)


def _notice(message: str | None) -> None:
    if message:
        data.clear_cache()
        st.session_state["jobs_notice"] = (message, None)
        st.rerun(scope="app")


def _running_job(job: dict[str, Any]) -> None:
    left, right = st.columns([5, 1])
    where = (
        f"[flow run]({job['flow_run_url']})"
        if job["flow_run_url"]
        else f"pid {job['pid']}, log `{job['log_path']}`"
    )
    left.markdown(
        f"🔵 job `{job['job_id'][:8]}` **{job['kind']}** {job['params']} · {where}"
    )
    if right.button("Cancel", key=f"cancel-{job['job_id']}"):
        _notice(data.guard(lambda: controls.cancel(job)))


@st.fragment(run_every=LIVE_EVERY_S * 2)
def _sync_runs() -> None:
    st.subheader("Sync runs")
    recent = data.read(runs.sync_runs, 50, cached=False)
    if recent.height == 0:
        st.caption("No sync has run yet.")
        return
    st.dataframe(recent.drop("run_id"), hide_index=True)
    retryable = [
        r
        for r in recent.to_dicts()
        if r["status"] in ("failed", "suspect", "cancelled")
    ]
    if not retryable:
        return
    labels = {
        r["run_id"]: f"{r['server_id']} {r['mode']} {data.badge(r['status'])} "
        f"{data.when(r['started_at'])}"
        for r in retryable
    }
    left, right = st.columns([5, 1])
    run_id = left.selectbox(
        "Failed or suspect run", list(labels), format_func=lambda r: labels[r]
    )
    if right.button("Retry run"):
        run = next(r for r in retryable if r["run_id"] == run_id)
        _show(data.guard(lambda: controls.retry_sync_run(run)))
        st.rerun()


@st.fragment(run_every=LIVE_EVERY_S * 2)
def _dashboard_jobs() -> None:
    st.subheader("Jobs started from the dashboard")
    latest = data.read(jobs.latest_jobs, cached=False)
    if latest.height == 0:
        st.caption("None yet.")
        return
    st.dataframe(
        latest,
        hide_index=True,
        column_config={
            "flow_run_url": st.column_config.LinkColumn("flow run"),
        },
    )
    finished = [j for j in latest.to_dicts() if j["status"] in ("failed", "cancelled")]
    if finished:
        left, right = st.columns([5, 1])
        job_id = left.selectbox(
            "Failed or cancelled job",
            [j["job_id"] for j in finished],
            format_func=lambda i: (
                f"{i[:8]} {next(j['kind'] for j in finished if j['job_id'] == i)}"
            ),
        )
        if right.button("Retry job"):
            job = data.read(jobs.get_job, job_id, cached=False)
            if job:
                _show(data.guard(lambda: controls.retry(job)))
                st.rerun()
    with st.expander("Log of the latest background job"):
        logged = [j for j in latest.to_dicts() if j["log_path"]]
        st.code(
            controls.log_tail(logged[0]["log_path"]) if logged else "", language=None
        )


def _other_jobs() -> None:
    tables = data.read(runs.job_tables)
    if not tables:
        return
    st.subheader("Enrichment, downloads, rips and transcodes")
    for table in tables:
        counts = data.read(runs.job_table_counts, table)
        summary = ", ".join(f"{r['state']}: {r['rows']}" for r in counts.to_dicts())
        with st.expander(f"{table.name} — {summary or 'empty'}"):
            rows = data.read(runs.job_table_rows, table)
            config = {}
            if "progress" in rows.columns:
                config["progress"] = st.column_config.ProgressColumn(
                    "progress", min_value=0.0, max_value=1.0
                )
            st.dataframe(rows, hide_index=True, column_config=config)


main()
