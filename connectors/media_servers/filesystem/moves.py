"""Files that move keep their identity.

A file's native id is a hash of its path, so a renamed folder would otherwise look like
every file in it removed and as many new ones added, orphaning what is tied to the old
ids (identities, overrides, play history, HLS assets). Here a file that is new to this
listing takes over the id of a stored file that is missing from it when both have the
same content: the same size and the same hash of a few blocks (:func:`content_key`,
three 8 KiB blocks, no full read). Only one-to-one matches count: two identical copies
are left alone rather than guessed at.

A moved file's path no longer hashes to its id, so the plan carries the mapping
(natural path id -> kept id) as its cursor; the next run starts from it and pays
nothing to recognise the file again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from typing import TYPE_CHECKING, BinaryIO

from connectors.media_servers.filesystem.scan import path_id

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from connectors.media_servers.filesystem.scan import ScanEntry

BLOCK = 8192
CONTENT_MARK = "#"


def content_key(path: Path | bytes, size: int) -> str | None:
    """A hash of ``size`` and three blocks (start, middle, end); None if unreadable."""
    try:
        with open(path, "rb") as f:
            return content_key_of(f, size)
    except OSError:
        return None


def content_key_of(f: BinaryIO, size: int) -> str:
    """:func:`content_key` of a file already open (the reader opens each file once
    for its key and its tags); leaves the position anywhere."""
    digest = hashlib.blake2b(str(size).encode(), digest_size=10)
    if size <= 3 * BLOCK:
        f.seek(0)
        digest.update(f.read())
    else:
        for offset in (0, size // 2 - BLOCK // 2, size - BLOCK):
            f.seek(offset)
            digest.update(f.read(BLOCK))
    return digest.hexdigest()


def split_known(value: str | None) -> tuple[str | None, str | None]:
    """A stored fingerprint as (size:mtime, content key)."""
    if value is None:
        return None, None
    stat, _, content = value.partition(CONTENT_MARK)
    return stat, content or None


def load_cursor(cursor: str | None) -> dict[str, str]:
    """The move map a previous run stored (empty when none or unreadable)."""
    try:
        found = json.loads(cursor or "{}").get("moves", {})
    except (ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def dump_cursor(entries: Sequence[ScanEntry]) -> str:
    """The move map of this listing, for the next run (always written, so a map
    that no longer holds is replaced)."""
    moves = {e.path_key: e.native_id for e in entries if e.path_key}
    return json.dumps({"moves": moves}, sort_keys=True)


def keep_identities(
    entries: Sequence[ScanEntry],
    known: Mapping[str, str | None],
    cursor: str | None,
    roots: Sequence[Path],
) -> tuple[list[ScanEntry], set[str]]:
    """``entries`` with moved files under their stored ids, and the ids newly moved
    (to be read again: their path changed)."""
    out, claimed = _apply_cursor(entries, known, load_cursor(cursor))
    fresh = []
    for index, entry in enumerate(out):
        if entry.path_key is not None:
            continue
        if entry.native_id in known and entry.native_id not in claimed:
            claimed.add(entry.native_id)
        else:
            fresh.append(index)
    moved = _match_content(out, fresh, _missing_by_content(known, claimed), roots)
    for index in fresh:
        entry = out[index]
        if entry.path_key is None and entry.native_id in claimed:
            # a new file where a moved one used to be: its path's id is taken
            alt = path_id("f~:", entry.native_id)
            out[index] = replace(entry, native_id=alt, path_key=entry.native_id)
    return out, moved


def _apply_cursor(
    entries: Sequence[ScanEntry],
    known: Mapping[str, str | None],
    previous: Mapping[str, str],
) -> tuple[list[ScanEntry], set[str]]:
    out, claimed = [], set()
    for entry in entries:
        kept = previous.get(entry.native_id)
        if kept is not None and kept in known and kept not in claimed:
            entry = replace(entry, native_id=kept, path_key=entry.native_id)
            claimed.add(kept)
        out.append(entry)
    return out, claimed


def _match_content(
    out: list[ScanEntry],
    fresh: Sequence[int],
    missing: Mapping[tuple[int, str], list[str]],
    roots: Sequence[Path],
) -> set[str]:
    """Give fresh entries the id of the one missing file with their content."""
    sizes = {size for size, _ in missing}
    candidates: dict[tuple[int, str], list[int]] = {}
    for index in fresh:
        entry = out[index]
        if entry.error is None and entry.size is not None and entry.size in sizes:
            digest = content_key(_path(roots, entry), entry.size)
            if digest is not None:
                candidates.setdefault((entry.size, digest), []).append(index)
    moved: set[str] = set()
    for key, indexes in candidates.items():
        ids = missing.get(key, [])
        if len(ids) == 1 and len(indexes) == 1:
            entry = out[indexes[0]]
            out[indexes[0]] = replace(entry, native_id=ids[0], path_key=entry.native_id)
            moved.add(ids[0])
    return moved


def _missing_by_content(
    known: Mapping[str, str | None], claimed: set[str]
) -> dict[tuple[int, str], list[str]]:
    missing: dict[tuple[int, str], list[str]] = {}
    for native_id, value in known.items():
        if native_id in claimed:
            continue
        stat, content = split_known(value)
        size = (stat or "").split(":", 1)[0]
        if content and size.isdigit():
            missing.setdefault((int(size), content), []).append(native_id)
    return missing


def _path(roots: Sequence[Path], entry: ScanEntry) -> bytes:
    return os.path.join(os.fsencode(roots[entry.root_index]), entry.rel)
