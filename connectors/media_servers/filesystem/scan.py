"""Walking library roots: one ``stat`` per file, nothing opened.

An unchanged rescan must cost only this walk, so entries carry what is needed to decide
whether a file changed (size and mtime) and a stable native id (a hash of the path
relative to its root). Names are handled as bytes, so invalid UTF-8 and newlines
survive; a broken symlink or an unreadable folder becomes an entry with an error instead
of an exception.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

_AUDIO = (
    ".mp3 .flac .ogg .oga .opus .m4a .m4b .aac .wav .aif .aiff .aifc .wma .ape .wv .mpc"
    " .dsf .dff .tta .ofr .ofs .spx .ac3 .eac3 .caf .asf .tak .mka .mp2 .w64"
)
AUDIO_EXTENSIONS = frozenset(_AUDIO.encode().split())
VIDEO_EXTENSIONS = frozenset(
    b".mp4 .m4v .mkv .webm .avi .mov .wmv .ts .m2ts .mpg .mpeg .ogv .flv".split()
)


@dataclass(frozen=True, slots=True)
class ScanEntry:
    """One media file found by a walk (or an unreadable place, with ``error``)."""

    native_id: str
    root_index: int
    rel: bytes
    media_kind: str
    size: int | None
    mtime_ns: int | None
    error: str | None = None
    path_key: str | None = None  # the path's own id, when the file kept a moved id

    @property
    def fingerprint(self) -> str | None:
        """Size and mtime; None for an entry in error, so it is retried every run."""
        if self.error is not None or self.size is None:
            return None
        return f"{self.size}:{self.mtime_ns}"

    @property
    def display_path(self) -> str:
        """The relative path as text; undecodable bytes are shown as escapes."""
        return self.rel.decode("utf-8", "backslashreplace")


def path_id(prefix: str, *parts: bytes | str) -> str:
    """A short stable id: ``prefix`` + a hash of the parts."""
    digest = hashlib.blake2b(digest_size=10)
    for part in parts:
        digest.update(
            part if isinstance(part, bytes) else part.encode("utf-8", "surrogateescape")
        )
        digest.update(b"\0")
    return f"{prefix}{digest.hexdigest()}"


def media_kind(name: bytes) -> str | None:
    """``audio``, ``video`` or None (not a media file) from the file's extension."""
    ext = os.path.splitext(name)[1].lower()
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    if ext in VIDEO_EXTENSIONS:
        return "video"
    return None


def walk_roots(roots: Sequence[Path]) -> Iterator[ScanEntry]:
    """Every media file under ``roots``; hidden files and folders are skipped, and a
    file symlink whose target lies outside every root is an entry in error (it is
    never opened)."""
    seen: set[str] = set()
    real_roots = tuple(os.path.realpath(os.fsencode(root)) for root in roots)
    for index, root in enumerate(roots):
        for entry in _walk(os.fsencode(root), index, real_roots):
            if entry.native_id in seen:  # the same relative path under two roots
                entry = _requalify(entry)
            seen.add(entry.native_id)
            yield entry


def _requalify(entry: ScanEntry) -> ScanEntry:
    return ScanEntry(
        path_id("f:", str(entry.root_index).encode(), entry.rel),
        entry.root_index,
        entry.rel,
        entry.media_kind,
        entry.size,
        entry.mtime_ns,
        entry.error,
    )


def _walk(
    root: bytes, index: int, real_roots: tuple[bytes, ...]
) -> Iterator[ScanEntry]:
    stack = [b""]
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(os.path.join(root, rel_dir) if rel_dir else root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if (
                rel_dir
            ):  # a missing root is the caller's concern, an unreadable folder ours
                yield _error_entry(
                    index, rel_dir, "other", f"cannot list folder: {exc.strerror}"
                )
            continue
        for entry in entries:
            if entry.name.startswith(b"."):
                continue
            rel = os.path.join(rel_dir, entry.name) if rel_dir else entry.name
            found = _visit(entry, rel, index, stack)
            if found is not None and found.error is None and entry.is_symlink():
                found = _check_link(entry.path, found, real_roots)
            if found is not None:
                yield found


def _visit(
    entry: os.DirEntry[bytes], rel: bytes, index: int, stack: list[bytes]
) -> ScanEntry | None:
    try:
        if entry.is_dir(follow_symlinks=False):  # never loop through a symlinked folder
            stack.append(rel)
            return None
    except OSError:
        pass
    kind = media_kind(entry.name)
    if kind is None:
        return None
    try:
        st = entry.stat()
    except FileNotFoundError:
        return _error_entry(
            index, rel, kind, "broken symlink: its target does not exist"
        )
    except OSError as exc:
        return _error_entry(index, rel, kind, f"cannot stat: {exc.strerror}")
    return ScanEntry(path_id("f:", rel), index, rel, kind, st.st_size, st.st_mtime_ns)


def _check_link(
    link: bytes, found: ScanEntry, real_roots: tuple[bytes, ...]
) -> ScanEntry:
    """``found``, or an entry in error when the link's target is outside the roots."""
    target = os.path.realpath(link)
    for root in real_roots:
        if target == root or target.startswith(root.rstrip(b"/") + b"/"):
            return found
    return _error_entry(
        found.root_index,
        found.rel,
        found.media_kind,
        "symlink points outside the library roots: not read",
    )


def _error_entry(index: int, rel: bytes, kind: str, error: str) -> ScanEntry:
    return ScanEntry(path_id("f:", rel), index, rel, kind, None, None, error)
