"""The rip watcher: discs in Linux optical drives (a sysfs tree made in the test) and
images or DVD folders dropped into the watch folder, each noticed once and only when
it has stopped changing."""

from __future__ import annotations

import os
import time
from pathlib import Path

from connectors.rips.watcher import (
    SourceKind,
    classify,
    guess_title,
    optical_drives,
    poll,
)


def _age(path: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(item, (stamp, stamp))


def test_drives_with_a_disc_are_found_empty_ones_are_not(tmp_path: Path) -> None:
    sys_block = tmp_path / "sys" / "block"
    for name, sectors in (("sr0", "0"), ("sr1", "8388608"), ("sda", "999")):
        (sys_block / name).mkdir(parents=True)
        (sys_block / name / "size").write_text(sectors + "\n")

    found = optical_drives(sys_block=sys_block)

    assert [(str(s.path), s.kind) for s in found] == [("/dev/sr1", SourceKind.DRIVE)]
    assert optical_drives(["/dev/sr0"], sys_block) == []


def test_the_watch_folder_queues_stable_sources_once(
    tmp_path: Path, dvd_folder
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "Some Film 2019.iso").write_bytes(b"\0" * 4096)
    dvd = inbox / "Test Film (2021)"
    dvd.symlink_to(dvd_folder, target_is_directory=True)
    (inbox / "notes.txt").write_text("not a disc")
    copying = inbox / "Still Copying.iso"
    copying.write_bytes(b"\0" * 10)
    for entry in (inbox / "Some Film 2019.iso", dvd_folder):
        _age(entry, 60)
    sys_block = tmp_path / "no-drives"

    first = poll(inbox, [], stable_s=30, seen=set(), sys_block=sys_block)
    again = poll(inbox, [], 30, {s.key for s in first}, sys_block)

    assert [(s.path.name, s.kind) for s in first] == [
        ("Some Film 2019.iso", SourceKind.ISO),
        ("Test Film (2021)", SourceKind.DVD_FOLDER),
    ]
    assert again == []


def test_sources_are_classified_and_titled(tmp_path: Path, dvd_folder) -> None:
    bdmv = tmp_path / "THE_COLOR_BARS_2021" / "BDMV"
    bdmv.mkdir(parents=True)

    assert classify(dvd_folder) is SourceKind.DVD_FOLDER
    assert classify(dvd_folder / "VIDEO_TS") is SourceKind.DVD_FOLDER
    assert classify(bdmv.parent) is SourceKind.BLURAY_FOLDER
    assert classify(tmp_path / "missing.iso") is None
    assert guess_title(dvd_folder / "VIDEO_TS") == ("Test Film", 2021)
    assert guess_title(bdmv) == ("The Color Bars", 2021)
    assert guess_title(Path("/dev/sr0"), "SIGNAL_AND_NOISE") == (
        "Signal And Noise",
        None,
    )
