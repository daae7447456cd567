"""Streaming an HTTP(S) file into the staging folder, resuming a partial one.

The bytes go to ``name.part`` in the staging folder and are renamed to ``name`` only
when the transfer is complete. A ``.part`` left by a killed or failed attempt is resumed
with a ``Range`` request when the server supports it, else started again. Not retried
here: the engine's retry policy decides (one layer).
"""

from __future__ import annotations

import mimetypes
import os
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from connectors.downloads.importer import safe_component
from connectors.errors import RequestRejected, TransientError

if TYPE_CHECKING:
    import httpx

    from connectors.downloads.base import ProgressFn
    from connectors.http import HttpClient

CHUNK = 1 << 16
_RANGE_TOTAL = re.compile(r"/(\d+)\s*$")


def file_name(url: str, content_type: str | None = None) -> str:
    """A safe file name for ``url`` (its last path part), with an extension."""
    name = safe_component(unquote(PurePosixPath(urlsplit(url).path).name) or "download")
    if not PurePosixPath(name).suffix and content_type:
        ext = mimetypes.guess_extension(content_type.split(";")[0].strip())
        name += ext or ""
    return name


def extension(name_or_url: str, content_type: str | None = None) -> str | None:
    """The extension (no dot) of a name or URL, else guessed from the MIME type."""
    suffix = PurePosixPath(urlsplit(name_or_url).path).suffix.lstrip(".").lower()
    if suffix:
        return suffix
    if content_type:
        guessed = mimetypes.guess_extension(content_type.split(";")[0].strip())
        return guessed.lstrip(".") if guessed else None
    return None


def fetch_to(
    http: HttpClient, url: str, dest: Path, progress: ProgressFn
) -> int | None:
    """Download ``url`` to ``dest`` (via ``dest.part``); return the announced size."""
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    try:
        return _transfer(http, url, dest, part, have, progress)
    except RequestRejected:
        if not have:
            raise
        part.unlink(missing_ok=True)  # 416: the partial file does not fit any more
        return _transfer(http, url, dest, part, 0, progress)


def _transfer(
    http: HttpClient, url: str, dest: Path, part: Path, have: int, progress: ProgressFn
) -> int | None:
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    with http.stream("GET", url, headers=headers) as response:
        resumed = have > 0 and response.status_code == 206
        start = have if resumed else 0
        total = _total(response, start)
        done = start
        progress(done, total)
        with open(part, "ab" if resumed else "wb") as fh:
            for chunk in response.iter_bytes(CHUNK):
                fh.write(chunk)
                done += len(chunk)
                progress(done, total)
    if total is not None and done != total:
        raise TransientError(http.service, f"transfer ended at {done} of {total} bytes")
    os.replace(part, dest)
    return total


def _total(response: httpx.Response, start: int) -> int | None:
    if response.status_code == 206:
        match = _RANGE_TOTAL.search(response.headers.get("Content-Range", ""))
        if match:
            return int(match.group(1))
    length = response.headers.get("Content-Length")
    return start + int(length) if length and length.isdigit() else None


def staged(staging: Path, name: str) -> Path:
    """The staging path for ``name`` (the folder is created)."""
    staging.mkdir(parents=True, exist_ok=True)
    return staging / name
