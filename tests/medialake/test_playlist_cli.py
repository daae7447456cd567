"""``medialake playlist`` against the filesystem server: import with --push exports an
M3U8 beside the music, the report names what is missing, ``want`` fills the wanted
list once, and a file that is not a playlist is refused in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import _load_commands, app, console
from flows.library_sync import library_sync
from medialake.sample import SampleSummary, sample_tracks
from tasks.context import warehouse
from tests.connectors.media_servers.subsonic.helpers import add_track

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def library(ml_home: Path, sample_library: SampleSummary) -> Path:
    """The sample music as the default filesystem server's library, synced."""
    music = ml_home / "library" / "Music"
    shutil.copytree(sample_library.root / "Music", music)
    library_sync(mode="full")
    return music


def invoke(*args: str) -> tuple[int, str]:
    if not app.registered_groups:
        _load_commands()
    width = console.width
    console.width = 240  # one line per row, as on a wide terminal
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        console.width = width
    return result.exit_code, result.output


def test_import_push_report_and_want(library: Path, tmp_path: Path) -> None:
    tracks = sample_tracks()[::40]  # several artists and albums
    lines = ["#EXTM3U"]
    for t in tracks:  # absolute paths: matched by path
        lines += [
            f"#EXTINF:-1,{t.tags.artist} - {t.tags.title}",
            str(library.parent / t.path),
        ]
    lines += ["#EXTINF:-1,Nobody - <b>Not Here</b>", "/nowhere/x.mp3"]
    source = tmp_path / "road trip.m3u"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, out = invoke("playlist", "import", str(source), "--push")
    assert code == 0, out
    assert "exported" in out
    exported = library / "road trip.m3u8"  # the library's root folder
    written = [
        line
        for line in exported.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    ]
    assert written == [str(Path(t.path).relative_to("Music")) for t in tracks]

    code, out = invoke("playlist", "report", "road trip")
    assert code == 0, out
    assert "<b>Not Here</b>" in out  # shown as text, not markup
    assert "missing" in out

    code, again = invoke("playlist", "push", "road trip")
    assert code == 0, again
    assert "unchanged" in again

    assert (
        invoke("playlist", "want", "road trip")[1]
        .strip()
        .endswith("1 added, 0 already there")
    )
    assert "0 added, 1 already there" in invoke("playlist", "want", "road trip")[1]
    with warehouse().read() as con:
        rows = con.execute("SELECT artist, title FROM wanted_items").fetchall()
    assert rows == [("Nobody", "<b>Not Here</b>")]

    # A hand edit of the exported file is reported and kept until --force.
    edited = exported.read_text(encoding="utf-8").splitlines()[:-2]
    exported.write_text("\n".join(edited) + "\n", encoding="utf-8")
    code, out = invoke("playlist", "push", "road trip")
    assert code == 0, out
    assert "edited" in out
    assert exported.read_text(encoding="utf-8").splitlines() == edited
    code, out = invoke("playlist", "push", "road trip", "--force")
    assert "exported" in out
    assert len(exported.read_text(encoding="utf-8").splitlines()) == len(edited) + 2

    # The missing track arrives (its download is imported): the scheduled sync of a
    # mirrored playlist rescans and syncs the server first, then matches and pushes.
    assert invoke("playlist", "import", str(source), "--mirror")[0] == 0
    add_track(library, "Nobody", "Arrivals", "<b>Not Here</b>")
    with warehouse().write() as con:
        con.execute("UPDATE wanted_items SET status = 'imported', updated_at = now()")
    code, out = invoke("playlist", "sync")
    assert code == 0, out
    lines = exported.read_text(encoding="utf-8").splitlines()
    assert lines[-1] == "Nobody/Arrivals/01 <b>Not Here</b>.mp3"


def test_a_file_that_is_not_a_playlist_is_refused(
    ml_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    code, out = invoke("playlist", "import", str(notes))
    assert code == 2
    assert "notes.txt: not a playlist file" in out
    broken = tmp_path / "broken.xspf"
    broken.write_text("<playlist><trackList>")
    code, out = invoke("playlist", "import", str(broken))
    assert code == 2
    assert "broken.xspf: not valid XML" in out
