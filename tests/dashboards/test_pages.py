"""Every dashboard page run with Streamlit's AppTest over a warehouse filled by a real
sync: no exception, and the numbers shown are the warehouse's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests import lake
from tests.dashboards.sample_home import copy_home
from warehouse.db import Warehouse

pytest_plugins = ["tests.dashboards.filled"]

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


@pytest.fixture
def home(filled_home, tmp_path: Path, use_home, sign_in) -> Path:
    found = use_home(copy_home(filled_home, tmp_path).home)
    sign_in("admin")
    return found


def one(home: Path, sql: str) -> Any:
    return lake.one(home, sql)


def page(name: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    if name:
        at.switch_page(f"screens/{name}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("info", "warning", "error", "success", "caption", "markdown")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def widget(widgets, label: str):
    return next(w for w in widgets if w.label == label)


def test_overview_shows_servers_counts_and_the_suspect_run(home: Path) -> None:
    at = page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Servers"] == "3"
    assert metrics["Tracks"] == str(one(home, "SELECT count(*) FROM tracks"))
    assert metrics["Movies"] == str(one(home, "SELECT count(*) FROM movies"))
    assert metrics["Episodes"] == str(one(home, "SELECT count(*) FROM episodes"))
    servers = at.dataframe[0].value
    assert list(servers["server"]) == ["gone", "local", "mirror"]
    assert list(servers["tracks"]) == [
        0,
        one(home, "SELECT count(*) FROM tracks WHERE server_id = 'local'"),
        13,
    ]
    warning = " ".join(w.value for w in at.warning)
    assert all(word in warning for word in ("gone", "suspect", "missing"))
    assert list(at.dataframe[1].value["problem"]) == ["suspect"]


def _shown(at: AppTest) -> list[tuple[Any, ...]]:
    rows = at.dataframe[0].value
    return list(zip(rows["server_id"], rows["title"], rows["path"], strict=True))


def test_library_pages_through_everything_in_order(home: Path) -> None:
    at = page("library")
    total = one(home, "SELECT count(*) FROM library_items")
    pages = -(-total // 50)
    assert at.caption[0].value == f"{total} items · page 1 of {pages}"
    first = _shown(at)
    seen = list(first)
    for n in range(2, pages + 1):
        widget(at.button, "Next →").click().run()
        assert at.caption[0].value == f"{total} items · page {n} of {pages}"
        seen += _shown(at)
    assert widget(at.button, "Next →").disabled
    with Warehouse(lake.catalog(home)).read() as con:
        expected = con.execute(
            "SELECT server_id, title, path FROM library_items"
            " ORDER BY coalesce(artist, show_title, title, ''), coalesce(album, ''),"
            " coalesce(part, -1), coalesce(number, 2147483647), title, server_id,"
            " native_id"
        ).fetchall()
    assert seen == expected  # every item once, artist, album, disc, track order
    widget(at.button, "← Previous").click().run()
    assert at.caption[0].value == f"{total} items · page {pages - 1} of {pages}"
    assert _shown(at) == expected[(pages - 2) * 50 : (pages - 1) * 50]
    widget(at.button, "⏮ First").click().run()
    assert _shown(at) == first
    assert widget(at.button, "← Previous").disabled


def test_library_searches_and_filters_in_sql(home: Path) -> None:
    at = page("library")
    widget(at.button, "Next →").click().run()
    assert "page 2 of" in at.caption[0].value
    widget(at.text_input, "Search").input("señales (2019)/").run()  # a folder name
    in_folder = one(
        home, "SELECT count(*) FROM library_items WHERE path LIKE '%Señales (2019)/%'"
    )
    assert in_folder > 0
    assert at.caption[0].value.startswith(f"{in_folder} items · page 1 of 1")
    assert all("Señales (2019)/" in path for _, _, path in _shown(at))
    widget(at.text_input, "Search").input("").run()
    widget(at.text_input, "Artist").input("manana").run()  # accents and case ignored
    expected = one(
        home, "SELECT count(*) FROM library_items WHERE artist = 'Mañana Eléctrica'"
    )
    assert at.caption[0].value.startswith(f"{expected} items · page 1 of 1")
    widget(at.selectbox, "Server").select("mirror").run()
    assert at.caption[0].value.startswith("13 items")
    widget(at.selectbox, "Codec / container").select("ogg").run()
    assert at.caption[0].value.startswith("13 items")
    widget(at.selectbox, "Show an item of this page").select(0).run()
    assert not at.exception
    item, file = json.loads(at.json[0].value), json.loads(at.json[1].value)
    assert (item["artist"], item["server_id"]) == ("Mañana Eléctrica", "mirror")
    assert "Señales (2019)" in file["path"]
    assert file["native_id"] == item["file_native_id"]


def test_jobs_page_lists_runs_deployments_and_job_tables(home: Path) -> None:
    from warehouse.db import Warehouse
    from warehouse.queries.runs import job_tables

    at = page("jobs")
    options = widget(at.selectbox, "Deployment (prefect.yaml)").options
    assert {"library-sync-incremental", "library-sync-full"} <= set(options)
    runs = at.dataframe[0].value
    assert sorted(runs["server_id"]) == ["gone", "local", "mirror"]
    assert "Nothing is running." in texts(at)
    with Warehouse(lake.catalog(home)).read() as con:
        tables = [t.name for t in job_tables(con)]
    labels = " ".join(e.label for e in at.expander)
    assert all(name in labels for name in tables)
    assert widget(
        at.selectbox, "Failed or suspect run"
    ).options  # the gone server's run


def test_analytics_shows_plays_quality_and_servers(home: Path) -> None:
    at = page("analytics")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Play events"] == str(one(home, "SELECT count(*) FROM play_events"))
    compare = at.dataframe[-1].value.set_index("server_id")
    assert compare.loc["mirror", "tracks_on_other_servers"] == 13
    assert compare.loc["mirror", "duplicate_copies"] == 1
    top = at.dataframe[0].value  # top albums
    assert top["plays"].iloc[0] == one(home, "SELECT max(plays) FROM top_albums")
    # plays, top artists, audio and video containers, bitrate bands (the growth is a
    # sentence while every item came on one day)
    assert len(at.get("vega_lite_chart")) == 5
    assert "were added on" in texts(at)


def test_sql_page_runs_a_query_and_refuses_a_write(home: Path) -> None:
    at = page("sql")
    assert "library_overview" in list(at.dataframe[0].value["name"])
    widget(at.text_area, "Query").input("SELECT count(*) AS n FROM tracks").run()
    widget(at.button, "Run").click().run()
    assert at.dataframe[0].value["n"].iloc[0] == one(
        home, "SELECT count(*) FROM tracks"
    )
    widget(at.text_area, "Query").input("DELETE FROM tracks").run()
    widget(at.button, "Run").click().run()
    assert "refused" in at.error[0].value
    assert one(home, "SELECT count(*) FROM tracks") > 0
    outside = home.parent / "outside.csv"
    outside.write_text("a\n1\n")
    widget(at.text_area, "Query").input(f"SELECT * FROM read_csv('{outside}')").run()
    widget(at.button, "Run").click().run()
    assert "disabled" in at.error[0].value  # no file access from the dashboard


def test_sessions_says_how_to_start_the_playback_service(
    home: Path, monkeypatch: pytest.MonkeyPatch, use_home
) -> None:
    # tests/dashboards/test_sessions_page.py drives the page against a real service
    from tests.playback.sessions.stack import free_port

    monkeypatch.setenv("MEDIALAKE_PLAYBACK_PORT", str(free_port()))
    use_home(home)
    at = page("sessions")
    assert "medialake serve" in at.warning[0].value


def test_a_fresh_data_folder_is_said_plainly(tmp_path: Path, use_home, sign_in) -> None:
    use_home(tmp_path / "empty-home")
    sign_in("admin")  # the first user: the warehouse exists, nothing was synced
    for name in (None, "library"):
        page(name)  # no exception
    assert "No items yet." in texts(page("analytics"))


def test_without_a_session_no_page_is_shown(home: Path, monkeypatch) -> None:
    import dashboards.auth

    for cookie in (None, "forged", "x" * 500):
        monkeypatch.setattr(dashboards.auth, "session_cookie", lambda c=cookie: c)
        at = page()
        assert "You are signed out" in at.warning[0].value
        assert not at.metric
        assert not at.dataframe


def test_a_notebook_and_a_long_writer_do_not_stop_the_pages(
    home: Path, use_home
) -> None:
    """A user's DuckDB session holding the lake open in a transaction, and another
    writer holding the write lock, leave every page answering from the lake."""
    use_home(home)
    notebook = subprocess.Popen(
        [sys.executable, "-c", HOLD_NOTEBOOK, str(lake.catalog(home))],
        stdout=subprocess.PIPE,
        text=True,
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(lake.catalog(home))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for proc in (notebook, writer):
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "held"
        at = page()
        shown = texts(at)
        assert "busy" not in shown
        assert {m.label: m.value for m in at.metric}["Servers"] == "3"
    finally:
        for proc in (notebook, writer):
            proc.kill()
            proc.wait()


HOLD_NOTEBOOK = """
import sys, time, duckdb
from warehouse.db import Location, attach_script
con = duckdb.connect()
con.execute(attach_script(Location.of(sys.argv[1])))
con.begin()
con.execute("SELECT count(*) FROM tracks").fetchall()
print("held", flush=True)
time.sleep(120)
"""

HOLD_WRITE_LOCK = """
import sys, time
from warehouse.db import Warehouse
with Warehouse(sys.argv[1]).write() as con:
    con.execute("SELECT 1")
    print("held", flush=True)
    time.sleep(120)
"""
