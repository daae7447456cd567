"""The ``medialake`` command line as a user runs it: a subprocess in a fresh data
folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from medialake.sample import SampleSummary


def run_cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environ.update({"MEDIALAKE_HOME": str(home), "COLUMNS": "160", **env})
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
        check=False,
    )


def test_sync_prints_a_summary_with_counts_and_failures(
    tmp_path: Path, sample_library: SampleSummary
) -> None:
    library = tmp_path / "home" / "library"
    shutil.copytree(sample_library.root, library)
    (library / "Music" / "not-audio.mp3").write_text("hello")
    result = run_cli(tmp_path / "home", "sync", "--mode", "full")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"{sample_library.tracks}" in out
    assert "full succeeded" in out
    videos = sample_library.movies + sample_library.episodes
    assert f"{sample_library.tracks + 1 + videos} seen" in out
    assert "not-audio.mp3" in out
    assert "Next:" in out
    assert (tmp_path / "home" / "medialake.sqlite").exists()
    assert (tmp_path / "home" / "prefect").is_dir()


def test_invalid_settings_exit_with_the_key_named(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "home", "sync", MEDIALAKE_SYNC_BATCH_SIZE="lots")
    assert result.returncode == 2
    assert "sync.batch_size" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_server_is_named(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "home", "sync", "nosuch")
    assert result.returncode == 2
    assert "no server named 'nosuch'" in result.stderr
