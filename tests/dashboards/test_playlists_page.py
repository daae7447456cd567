"""The Playlists page: the last push per target with what is missing or ambiguous,
text from files and servers shown as text, an ambiguous entry settled by hand, and the
"Retry now" / "Add missing to wanted" buttons starting the playlist-push deployment."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from jobs import control as controls
from tasks.context import warehouse
from tests.dashboards.filled import become
from warehouse import playlist_sync as store
from warehouse.upsert import merge_frame

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
EVIL = "[click](http://evil.example)"


def seed() -> str:
    wh = warehouse()
    pid = "p1"
    entries = [
        {"entry_key": "k0", "title": "Song", "artist": "Good"},
        {"entry_key": "k1", "title": EVIL, "artist": "<img src=x>"},
        {"entry_key": "k2", "title": "Two", "artist": "Amb"},
    ]
    row = {
        "playlist_id": pid,
        "name": "Road *Trip*",
        "source_kind": "file",
        "source_ref": "/lists/road.m3u",
        "targets": ["jf"],
        "mirror": True,
    }
    store.save_source(wh, row, entries)
    tracks = pl.DataFrame(
        [
            {"server_id": "jf", "native_id": n, "title": t, "artist": "Amb"}
            for n, t in (("t1", "Song"), ("t2", "Two (A)"), ("t3", "Two (B)"))
        ]
    )
    with wh.write() as con:
        merge_frame(con, "tracks", tracks)
    candidates = [["t2", 0.8, "Amb - Two (A)"], ["t3", 0.79, "Amb - Two (B)"]]
    store.save_matches(
        wh,
        pid,
        "jf",
        [
            {"entry_key": "k0", "status": "matched", "track_native_id": "t1"},
            {"entry_key": "k1", "status": "missing", "reason": "no similar track"},
            {"entry_key": "k2", "status": "ambiguous", "candidates": candidates},
        ],
    )
    now = datetime.now(UTC)
    sync = {
        "playlist_id": pid,
        "server_id": "jf",
        "status": "failed",
        "entries": 3,
        "missing": 1,
        "ambiguous": 1,
        "error": "HTTP 500 [x](http://e.example)",
        "started_at": now,
        "finished_at": now,
    }
    items = [
        {
            "position": 1,
            "entry_key": "k1",
            "label": f"<img src=x> - {EVIL}",
            "status": "missing",
            "reason": "no similar track",
        },
        {
            "position": 2,
            "entry_key": "k2",
            "label": "Amb - Two",
            "status": "ambiguous",
            "reason": "best score 0.80 is below 0.90",
        },
    ]
    store.record_push(wh, sync, items, None)
    return pid


def page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("screens/playlists.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_report_escaping_resolve_and_buttons(
    ml_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = seed()
    become(monkeypatch, "admin")
    started: list[tuple[str, dict[str, Any]]] = []

    def fake_start(spec: controls.FlowSpec, params: dict[str, Any]) -> Any:
        started.append((spec.name, params))
        return controls.Started("j1", "embedded", "started playlist-push")

    monkeypatch.setattr(controls, "start", fake_start)
    at = page()
    assert at.dataframe[0].value["name"].to_list() == ["Road *Trip*"]
    shown = at.dataframe[1].value
    assert shown["label"].to_list() == [f"<img src=x> - {EVIL}", "Amb - Two"]
    assert shown["status"].to_list() == ["missing", "ambiguous"]
    [error] = at.error
    assert "\\[x\\]\\(http\\:" in error.value  # escaped: a link is not made
    assert all("evil.example)" not in m.value for m in at.markdown)

    at.selectbox(key="track-p1-jf").select("t3")
    next(b for b in at.button if b.label == "Use this track").click()
    at.run()
    assert not at.exception
    hand = store.matches(warehouse(), pid, "jf")["k2"]
    assert (hand["status"], hand["track_native_id"], hand["by_hand"]) == (
        "matched",
        "t3",
        True,
    )

    next(b for b in at.button if b.label == "Retry now").click().run()
    next(b for b in at.button if b.label == "Add missing to wanted").click().run()
    assert started == [
        ("playlist-push", {"playlists": [pid]}),
        ("playlist-push", {"playlists": [pid], "want_missing": True}),
    ]
