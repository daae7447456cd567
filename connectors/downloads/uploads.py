"""Files members upload: received under a size limit, checked by content, named.

An upload is treated like a download: it is written to the staging folder (never the
library), counted while it streams and refused as soon as it passes the limit (or at
once when its declared size already does), then verified with the download engine's
checks (:func:`connectors.downloads.verify.verify_file`: ffprobe must find an audio or
video stream and ffmpeg must decode its first and last seconds), so a text file named
``.mp4`` is refused whatever its name says. Its place in the library comes from its
original name read by guessit (a scene-style ``Fight.Club.1999.1080p.BluRay.x264-GRP``
becomes ``Fight Club (1999)``) or, for music, from its tags; the move into the library
is :func:`connectors.downloads.importer.place` (atomic, never overwriting).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guessit import guessit

from connectors.downloads.importer import read_tags, render_name, safe_component
from connectors.downloads.verify import VerificationFailed, verify_file

if TYPE_CHECKING:
    from collections.abc import Iterable

    from connectors.downloads.verify import Probe

MOVIE_TEMPLATE = "Video/Movies/{title}/{title}"


class UploadRefused(Exception):
    """The upload is not accepted; the message says why, in words for the member."""


def receive(
    chunks: Iterable[bytes],
    staging: Path,
    max_bytes: int,
    declared_size: int | None = None,
) -> Path:
    """Write ``chunks`` to a new file in ``staging``; return its path.

    Raises:
        UploadRefused: the declared size (checked before anything is read) or the
            bytes received are over ``max_bytes``; nothing is left behind.
    """
    if declared_size is not None and declared_size > max_bytes:
        raise UploadRefused(_too_large(declared_size, max_bytes))
    staging.mkdir(parents=True, exist_ok=True)
    target = staging / f"upload-{uuid.uuid4().hex}"
    received = 0
    try:
        with open(target, "xb") as out:
            for chunk in chunks:
                received += len(chunk)
                if received > max_bytes:
                    raise UploadRefused(_too_large(received, max_bytes))
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if received == 0:
        target.unlink(missing_ok=True)
        raise UploadRefused("the file is empty")
    return target


def _too_large(size: int, limit: int) -> str:
    return (
        f"the file is larger than the upload limit of {limit / 2**20:.0f} MB"
        f" ({size / 2**20:.1f} MB or more)"
    )


def check(staged: Path) -> Probe:
    """Verify a staged upload by its content, as a download is verified.

    Raises:
        UploadRefused: it is not audio or video that plays (with the reason).
    """
    try:
        return verify_file(staged)
    except VerificationFailed as exc:
        raise UploadRefused(f"not an audio or video file that plays: {exc}") from exc


def library_name(original: str, staged: Path, probe: Probe) -> Path:
    """Where the upload goes, relative to the library root, from its original name
    (video) or its tags (audio); the extension is the original's."""
    stem, dot, ext = original.rpartition(".")
    ext = (ext if dot else probe.container or "bin").lower()
    if not probe.has_video:
        tags = read_tags(staged)
        fields = {
            "artist": tags.get("artist") or "Unknown artist",
            "album": tags.get("album") or "Uploads",
            "title": tags.get("title") or (stem or original),
        }
        return render_name("Music/{artist}/{album}/{title}", fields, ext)
    found: dict[str, Any] = dict(guessit(original))
    title = str(found.get("title") or stem or "Upload")
    if found.get("type") == "episode" and found.get("season") and found.get("episode"):
        show, season = safe_component(title), int(found["season"])
        code = f"S{season:02d}E{int(found['episode']):02d}"
        return Path(
            "Video", "Shows", show, f"Season {season:02d}", f"{show} - {code}.{ext}"
        )
    if found.get("year"):
        title = f"{title} ({found['year']})"
    return render_name(MOVIE_TEMPLATE, {"title": title}, ext)
