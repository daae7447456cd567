"""Prefect tasks of the ``upload`` flow: land a staged upload in the library, then
find the servers that will see it.

The checks and naming are :mod:`connectors.downloads.uploads` (the download engine's
verification and atomic move); the library root is the downloads' one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.downloads import importer, uploads
from medialake.runtime import settings
from tasks.context import logger
from tasks.downloads import library_root, scan_answer, staging_root

if TYPE_CHECKING:
    from collections.abc import Iterable

UploadRefused = uploads.UploadRefused


def staging() -> Path:
    """Where uploads wait until they are checked (inside the downloads' staging)."""
    return staging_root() / "uploads"


def stage(chunks: Iterable[bytes], declared_size: int | None) -> Path:
    """Write an upload into the staging folder under ``dashboard.max_upload_mb`` and
    check it by content (the dashboard calls this, then starts the ``upload`` flow).

    Raises:
        UploadRefused: too large, empty, or not audio or video that plays; nothing
            is kept.
    """
    limit = settings().dashboard.max_upload_mb * 2**20
    staged = uploads.receive(chunks, staging(), limit, declared_size)
    try:
        uploads.check(staged)
    except uploads.UploadRefused:
        staged.unlink(missing_ok=True)
        raise
    return staged


@task(name="upload-land", cache_policy=NO_CACHE)
def land(staged: str, original_name: str) -> dict[str, Any]:
    """Verify a staged upload by content and move it into the library.

    Raises:
        UploadRefused: it is not audio or video that plays; the staged file is
            removed (the member still has theirs).
    """
    path = Path(staged)
    if path.parent.resolve() != staging().resolve():
        raise uploads.UploadRefused("only files in the uploads staging folder land")
    try:
        probe = uploads.check(path)
    except uploads.UploadRefused:
        path.unlink(missing_ok=True)
        raise
    relative = uploads.library_name(original_name, path, probe)
    landed = importer.place(path, library_root(), relative)
    logger().info("upload %s landed as %s", original_name, landed)
    return {"path": str(landed), "video": probe.has_video, "scan": scan_answer()}


def servers_holding(path: str) -> list[str]:
    """The filesystem servers whose roots hold ``path`` (they are synced at once)."""
    found = []
    for name, config in settings().servers.items():
        roots = config.get("roots") or []
        if config.get("kind") == "filesystem" and any(
            Path(path).is_relative_to(Path(root)) for root in roots
        ):
            found.append(name)
    return found
