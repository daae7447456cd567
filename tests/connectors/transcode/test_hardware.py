"""Hardware detection: a trial encode decides, listing an encoder proves nothing."""

from __future__ import annotations

import stat
from pathlib import Path

from connectors.transcode import hardware


def _fake_ffmpeg(tmp_path: Path, nvenc_works: bool) -> str:
    """An ffmpeg that lists NVENC and QSV; its NVENC trial works or fails as told."""
    script = tmp_path / "ffmpeg"
    nvenc = "exit 0" if nvenc_works else "echo no CUDA device >&2; exit 1"
    script.write_text(
        "#!/bin/sh\n"
        'echo "$@" >> "$0.calls"\n'
        'case "$*" in\n'
        "  *-encoders*) printf ' V....D libx264 H.264\\n V....D h264_nvenc NVENC\\n"
        " V..... h264_qsv QSV\\n'; exit 0 ;;\n"
        f"  *h264_nvenc*) {nvenc};;\n"
        "  *h264_qsv*) echo 'Error initializing an internal MFX session' >&2;"
        " exit 1 ;;\n"
        "esac\nexit 1\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_this_machine_has_no_working_gpu_encoder_and_says_why() -> None:
    found = hardware.detect("auto")
    assert found.encoder == hardware.SOFTWARE
    tried = dict(found.tried)
    assert set(tried) == {"nvenc", "vaapi", "qsv"}
    assert all("worked" not in why for why in tried.values())


def test_working_nvenc_is_chosen_after_its_trial_encode(tmp_path: Path) -> None:
    fake = _fake_ffmpeg(tmp_path, nvenc_works=True)
    found = hardware.detect("auto", ffmpeg_bin=fake)
    assert found.encoder.codec == "h264_nvenc"
    calls = Path(fake + ".calls").read_text(encoding="utf-8")
    assert "testsrc2" in calls
    assert "h264_nvenc" in calls


def test_listed_but_broken_encoders_fall_back_to_libx264(tmp_path: Path) -> None:
    fake = _fake_ffmpeg(tmp_path, nvenc_works=False)
    found = hardware.detect("auto", ffmpeg_bin=fake)
    assert found.encoder == hardware.SOFTWARE
    tried = dict(found.tried)
    assert "no CUDA device" in tried["nvenc"]
    assert "MFX session" in tried["qsv"]


def test_hardware_none_runs_no_trial(tmp_path: Path) -> None:
    fake = _fake_ffmpeg(tmp_path, nvenc_works=True)
    assert hardware.detect("none", ffmpeg_bin=fake).encoder == hardware.SOFTWARE
    assert not Path(fake + ".calls").exists()


def test_a_chosen_kind_that_fails_falls_back(tmp_path: Path) -> None:
    fake = _fake_ffmpeg(tmp_path, nvenc_works=False)
    found = hardware.detect("nvenc", ffmpeg_bin=fake)
    assert found.encoder == hardware.SOFTWARE
    assert [kind for kind, _ in found.tried] == ["nvenc"]
