"""Rip sources: what a path is (drive, ISO, DVD or Blu-ray folder, video file), its
film title, and a watcher that notices discs inserted and images dropped in a folder.

The watcher is polled (by a scheduled flow), not a daemon: each poll lists the optical
drives that hold media (Linux ``/sys/block/sr*``: a drive without a disc has size 0)
and the entries of the watch folder that have not changed for ``stable_s`` seconds
(an image still being copied is left for the next poll). Each source has a key (path,
size and modification time, or the drive and its disc size) so that the same disc or
image is queued once.
"""

from __future__ import annotations

import os
import re
import stat
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

VIDEO_FILES = frozenset(
    ".mkv .mp4 .m4v .avi .mov .ts .m2ts .mpg .mpeg .vob .webm".split()
)
IMAGE_FILES = frozenset({".iso", ".img"})
SYS_BLOCK = Path("/sys/block")
_LABEL_NOISE = re.compile(r"[_.]+")


class SourceKind(StrEnum):
    """What HandBrakeCLI is asked to read."""

    DRIVE = "drive"
    ISO = "iso"
    DVD_FOLDER = "dvd-folder"
    BLURAY_FOLDER = "bluray-folder"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class RipSource:
    """A source to rip, with the key that identifies this disc or image."""

    path: Path
    kind: SourceKind
    key: str


def classify(path: Path) -> SourceKind | None:
    """What ``path`` is, or None when it is nothing HandBrake can rip."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISBLK(mode):
        return SourceKind.DRIVE
    if stat.S_ISDIR(mode):
        names = {child.name.upper() for child in path.iterdir()}
        if path.name.upper() == "VIDEO_TS" or "VIDEO_TS" in names:
            return SourceKind.DVD_FOLDER
        if path.name.upper() == "BDMV" or "BDMV" in names:
            return SourceKind.BLURAY_FOLDER
        return None
    suffix = path.suffix.lower()
    if suffix in IMAGE_FILES:
        return SourceKind.ISO
    if suffix in VIDEO_FILES:
        return SourceKind.FILE
    return None


def source_key(path: Path) -> str:
    """Path, total size and newest modification time of a file or disc folder."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    stats = [p.stat() for p in files]
    size = sum(s.st_size for s in stats)
    newest = max((s.st_mtime_ns for s in stats), default=0)
    return f"{path}|{size}|{newest}"


def guess_title(path: Path, volume: str = "") -> tuple[str, int | None]:
    """The film's title and year from the source's name (or the disc's volume label)."""
    from guessit import guessit

    if path.parent == Path("/dev"):
        name = volume or path.name
    elif path.name.upper() in ("VIDEO_TS", "BDMV"):
        name = path.parent.name
    elif path.suffix.lower() in IMAGE_FILES | VIDEO_FILES:
        name = path.stem
    else:
        name = path.name
    guess = guessit(_LABEL_NOISE.sub(" ", name).strip(), {"type": "movie"})
    title = str(guess.get("title") or name).strip()
    if title.isupper():
        title = title.title()
    year = guess.get("year")
    return title, int(year) if isinstance(year, int) else None


def optical_drives(
    devices: Iterable[str] = (), sys_block: Path = SYS_BLOCK
) -> list[RipSource]:
    """Optical drives that hold a disc (configured ones, else every ``sr*``)."""
    names = [Path(d).name for d in devices] or sorted(
        p.name for p in sys_block.glob("sr*")
    )
    found = []
    for name in names:
        try:
            sectors = int((sys_block / name / "size").read_text().strip() or 0)
        except (OSError, ValueError):
            continue
        if sectors > 0:
            device = Path("/dev") / name
            found.append(RipSource(device, SourceKind.DRIVE, f"{device}|{sectors}"))
    return found


def watch_folder(folder: Path, stable_s: float) -> list[RipSource]:
    """Rippable entries of ``folder`` that have not changed for ``stable_s`` seconds."""
    if not folder.is_dir():
        return []
    now = time.time()
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        kind = classify(entry)
        if kind is None or kind is SourceKind.DRIVE:
            continue
        if now - _newest_change(entry) < stable_s:
            continue
        found.append(RipSource(entry, kind, source_key(entry)))
    return found


def _newest_change(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    times = [path.stat().st_mtime]
    for root, _dirs, files in os.walk(path):
        times += [os.stat(os.path.join(root, f)).st_mtime for f in files]
    return max(times)


def poll(
    folder: Path | None,
    devices: Iterable[str],
    stable_s: float,
    seen: set[str],
    sys_block: Path = SYS_BLOCK,
) -> list[RipSource]:
    """Sources not queued before: discs in drives, then stable watch-folder entries."""
    found = optical_drives(devices, sys_block)
    if folder is not None:
        found += watch_folder(folder, stable_s)
    return [source for source in found if source.key not in seen]
