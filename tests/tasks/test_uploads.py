"""What the dashboard's Upload page relies on: the size limit from the settings (also
handed to Streamlit, which refuses a larger upload by its declared size), and the
check by content before the upload flow starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.connectors.downloads.servers import make_video


def test_staging_refuses_over_the_setting_and_by_content(
    bare_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cli.commands.stack import dashboard_command
    from tasks.context import reset
    from tasks.uploads import UploadRefused, stage, staging

    monkeypatch.setenv("MEDIALAKE_DASHBOARD_MAX_UPLOAD_MB", "1")
    reset()
    command = dashboard_command("127.0.0.1", 8501)
    assert command[command.index("--server.maxUploadSize") + 1] == "1"
    with pytest.raises(UploadRefused, match="larger than the upload limit of 1 MB"):
        stage(iter([]), declared_size=5 * 2**20)
    with pytest.raises(UploadRefused, match="larger than the upload limit of 1 MB"):
        stage(iter([bytes(2**19)] * 3), declared_size=None)
    with pytest.raises(UploadRefused, match="not an audio or video file"):
        stage(iter([b"my notes, named clip.mp4\n" * 40]), declared_size=None)
    assert list(staging().iterdir()) == []  # nothing refused is kept
    video = make_video(tmp_path / "clip.mp4", seconds=2.0).read_bytes()
    staged = stage(iter([video]), declared_size=len(video))
    assert staged.parent == staging()
    assert staged.read_bytes() == video
