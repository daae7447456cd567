"""Strict request-path resolution: a file inside one asset's folder, or nothing.

The raw request path is checked before anything touches the disk: ASCII only, no
percent-encoding at all (so no encoded dots or slashes), no backslashes, no empty, ``.``
or ``..`` segments, names of ``[A-Za-z0-9_.-]`` that do not start with a dot, at most
three levels, and a media suffix. Then the real path (symlinks followed) must lie inside
the real asset folder, which must lie inside the real assets folder. Anything else is
answered 404 by the caller, whichever rule it broke.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

ASSET_ID = re.compile(r"^[0-9a-f]{32}$")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
SUFFIXES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".aac": "audio/aac",
    ".vtt": "text/vtt; charset=utf-8",
}
MAX_DEPTH = 3


def split_asset_path(raw_path: bytes, prefix: str) -> tuple[str, list[str]] | None:
    """``(asset_id, parts)`` of ``<prefix><asset_id>/<parts...>``; None unless strict.

    Args:
        raw_path: the path exactly as the client sent it (no query string).
        prefix: the route prefix, e.g. ``/hls/``.
    """
    try:
        text = raw_path.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not text.startswith(prefix) or "%" in text or "\\" in text:
        return None
    asset_id, *parts = text[len(prefix) :].split("/")
    if not ASSET_ID.match(asset_id) or not parts or len(parts) > MAX_DEPTH:
        return None
    if not all(_NAME.match(part) for part in parts):
        return None
    if os.path.splitext(parts[-1])[1] not in SUFFIXES:
        return None
    return asset_id, parts


def media_type(path: str) -> str:
    """The content type served for a file of the asset."""
    return SUFFIXES.get(os.path.splitext(path)[1], "application/octet-stream")


def asset_folder(root: Path, asset_id: str) -> str | None:
    """The real folder of a published asset, or None (missing, or outside ``root``)."""
    if not ASSET_ID.match(asset_id):
        return None
    real_root = os.path.realpath(root)
    folder = os.path.realpath(os.path.join(real_root, asset_id))
    if os.path.dirname(folder) != real_root or not os.path.isdir(folder):
        return None
    return folder


def resolve(root: Path, asset_id: str, parts: list[str]) -> str | None:
    """The real path of a regular file strictly inside the asset's folder, or None."""
    folder = asset_folder(root, asset_id)
    if folder is None:
        return None
    target = os.path.realpath(os.path.join(folder, *parts))
    if os.path.commonpath([folder, target]) != folder or target == folder:
        return None
    return target if os.path.isfile(target) else None


MAX_PLAYLIST_BYTES = 4 * 2**20


def _extinf_total(path: str) -> tuple[float, list[str]]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = [line.strip() for line in fh.read(MAX_PLAYLIST_BYTES).splitlines()]
    total = sum(
        float(line[8:].split(",")[0] or 0)
        for line in lines
        if line.startswith("#EXTINF:")
    )
    return total, [line for line in lines if line and not line.startswith("#")]


def asset_duration(root: Path, asset_id: str) -> float | None:
    """The asset's length from its playlists on disk (sum of a variant's
    ``#EXTINF``), or None."""
    master = resolve(root, asset_id, ["master.m3u8"])
    if master is None:
        return None
    total, uris = _extinf_total(master)
    if total <= 0 and uris:
        variant = resolve(root, asset_id, uris[0].split("?")[0].split("/"))
        total = _extinf_total(variant)[0] if variant else 0.0
    return round(total, 3) if total > 0 else None
