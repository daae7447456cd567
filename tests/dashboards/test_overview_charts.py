"""The Overview's and Analytics' charts (Streamlit AppTest over a warehouse filled by a
real sync): the data each chart draws is the warehouse's, the library's growth comes
from its history (a lone day draws no chart), audio and video are apart, outcomes and
queues are counted, and no chart captures the mouse wheel."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from tests import lake
from tests.dashboards.sample_home import copy_home
from tests.dashboards.test_pages import page, texts
from warehouse.db import Warehouse

pytest_plugins = ["tests.dashboards.filled"]

OLD_DAY = datetime(2026, 1, 5, 12, tzinfo=UTC)


@pytest.fixture
def home(filled_home, tmp_path: Path, use_home, sign_in) -> Path:
    found = use_home(copy_home(filled_home, tmp_path).home)
    sign_in("admin")
    return found


def charts(at: AppTest) -> dict[str, tuple[dict[str, Any], pd.DataFrame]]:
    """Every chart on the page by its title: (Vega-Lite spec, the rows it draws)."""
    found = {}
    for element in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart"):
        proto = element.proto
        spec = json.loads(proto.spec)
        frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in proto.datasets]
        if proto.data.data:
            frames.append(convert_arrow_bytes_to_pandas_df(proto.data.data))
        title = spec.get("title")
        found[title if isinstance(title, str) else str(title)] = (
            spec,
            pd.concat(frames, ignore_index=True),
        )
    return found


def _write(home: Path, sql: str, params: list[Any] | None = None) -> None:
    with Warehouse(lake.catalog(home)).write() as con:
        con.execute(sql, params or [])


def _wheel_bound(spec: dict[str, Any]) -> bool:
    return '"bind"' in json.dumps(spec)  # .interactive(): scales bound to the wheel


def test_overview_draws_the_warehouse_over_time(home: Path) -> None:
    old = lake.rows(
        home,
        "SELECT native_id FROM tracks WHERE server_id = 'local' AND removed_at IS NULL"
        " ORDER BY native_id LIMIT 5",
    )
    _write(
        home,
        "UPDATE tracks SET added_at = ?, first_seen_at = ? WHERE server_id = 'local'"
        " AND native_id IN (SELECT unnest(?::TEXT[]))",
        [OLD_DAY, OLD_DAY, [r[0] for r in old]],
    )
    _write(
        home,
        "INSERT INTO transcode_jobs (job_id, server_id, file_native_id, status)"
        " VALUES ('q1', 'local', 'f1', 'queued'), ('q2', 'local', 'f2', 'queued'),"
        " ('r1', 'local', 'f3', 'running')",
    )
    finished = datetime.now(UTC) - timedelta(days=2)
    _write(
        home,
        "INSERT INTO transcode_jobs (job_id, server_id, file_native_id, status,"
        " finished_at) VALUES ('x1', 'local', 'f4', 'failed', ?)",
        [finished],
    )
    at = page()
    shown = charts(at)
    assert not any(_wheel_bound(spec) for spec, _ in shown.values())

    _, audio = shown["Audio in the library"]
    assert audio["total"].iloc[0] == 5  # the five first seen on the old day
    assert audio["total"].iloc[-1] == lake.one(
        home, "SELECT count(*) FROM library_entries WHERE item_kind = 'track'"
    )
    assert len(audio) == lake.one(
        home,
        "SELECT count(DISTINCT CAST(coalesce(added_at, first_seen_at) AS DATE))"
        " FROM library_entries WHERE item_kind = 'track'",
    )
    videos = lake.one(
        home, "SELECT count(*) FROM library_entries WHERE item_kind <> 'track'"
    )
    assert "Video in the library" not in shown  # one day: a sentence, no lone point
    assert f"all {videos} items were first seen on" in texts(at)

    _, queues = shown["Queued or running now"]
    counts = {(r.queue, r.state): r.jobs for r in queues.itertuples()}
    assert counts[("transcode", "queued")] == 2
    assert counts[("transcode", "running")] == 1

    outcomes_title = next(t for t in shown if t.startswith("Runs per day by outcome"))
    _, outcomes = shown[outcomes_title]
    totals = outcomes.groupby("outcome")["runs"].sum().to_dict()
    assert totals["failed"] >= 1 + lake.one(
        home, "SELECT count(*) FROM sync_runs WHERE status = 'failed'"
    )
    assert totals["suspect"] == lake.one(
        home, "SELECT count(*) FROM sync_runs WHERE status = 'suspect'"
    )
    assert totals["succeeded"] >= lake.one(
        home, "SELECT count(*) FROM sync_runs WHERE status = 'succeeded'"
    )

    _, plays = shown["Plays per day"]
    assert plays["plays"].sum() == lake.one(
        home,
        "SELECT sum(plays) FROM plays_per_day"
        " WHERE played_on >= (SELECT max(played_on) FROM plays_per_day) - 90",
    )


def test_overview_says_when_nothing_waits(home: Path) -> None:
    at = page()
    assert "Queued or running now" not in charts(at)
    assert "nothing waiting or running" in texts(at)


def test_analytics_keeps_audio_and_video_apart_and_scrolls(home: Path) -> None:
    at = page("analytics")
    shown = charts(at)
    assert not any(_wheel_bound(spec) for spec, _ in shown.values())
    _, audio = shown["Audio files per container"]
    _, video = shown["Video files per container"]
    audio_kinds = {
        r[0]
        for r in lake.rows(
            home,
            "SELECT DISTINCT container FROM quality_breakdown"
            " WHERE media_kind = 'audio'",
        )
    }
    assert set(audio["container"]) == audio_kinds
    for kind, shown_files in (("audio", audio), ("video", video)):
        assert shown_files["files"].sum() == lake.one(
            home,
            f"SELECT sum(files) FROM quality_breakdown WHERE media_kind = '{kind}'",
        )
    # m4a audio and mp4 video share the container mp4: each chart counts its own
    audio_mp4 = audio.loc[audio["container"] == "mp4", "files"].sum()
    video_mp4 = video.loc[video["container"] == "mp4", "files"].sum()
    assert audio_mp4 > 0
    assert video_mp4 > 0
    assert audio_mp4 + video_mp4 == lake.one(
        home, "SELECT sum(files) FROM quality_breakdown WHERE container = 'mp4'"
    )
