"""The Prefect UI tells a run's story: a sync publishes a markdown artifact (a row per
server with its counts, the suspect reason); text from tags,
servers and users is escaped, so a hostile name shows as text, not as an image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tasks.context import reset
from tasks.report import markdown_table, md_escape
from tests.connectors.downloads.servers import make_mp3

HOSTILE = "![x](http://127.0.0.1:9/x.png) <img src=x> [link](http://h) **b**"


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_hostile_text_renders_as_text() -> None:
    html = rendered(markdown_table([{"title": HOSTILE, "n": 1}], ["title", "n"]))
    assert "<img" not in html
    assert "<a " not in html
    assert "<strong>" not in html
    assert "<table>" in html
    assert md_escape("a\nb|c") == "a b\\|c"


def test_a_sync_publishes_its_story(
    bare_home: Path,
    prefect_harness: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    music = tmp_path / "music"
    music.mkdir()
    make_mp3(music / "a.mp3", seconds=1.0, artist="A", title="T")
    missing = tmp_path / HOSTILE.replace("/", "_")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LIB_KIND", "filesystem")
    monkeypatch.setenv("MEDIALAKE_SERVERS_LIB_ROOTS", json.dumps([str(music)]))
    monkeypatch.setenv("MEDIALAKE_SERVERS_GONE_KIND", "filesystem")
    monkeypatch.setenv("MEDIALAKE_SERVERS_GONE_ROOTS", json.dumps([str(missing)]))
    reset()
    from prefect.artifacts import Artifact

    from flows.library_sync import library_sync

    library_sync(mode="full")
    artifact = Artifact.get("library-sync")
    assert artifact is not None
    markdown = str(artifact.data)
    assert "| lib | succeeded | 1 | 1 | 0 | 0 | 0 |" in markdown
    assert "| gone | suspect | 0 |" in markdown
    assert "suspect: gone: nothing removed:" in markdown
    html = rendered(markdown)
    assert "<img" not in html
    assert "<a " not in html
    assert "x.png" in html  # shown, as text
