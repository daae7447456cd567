"""Posters, backdrops and covers, downloaded into the data folder once.

An image is stored as ``artwork/<provider>/<id>-<kind><ext>`` under the data folder and
recorded (by the caller) with that relative path; an image already recorded or already
on disk is not fetched again. A failed download is recorded with its error and tried
again when the item is next identified.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from connectors.errors import ConnectorError

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from pathlib import Path

    from connectors.metadata.identify import ArtworkRequest, Outcome
    from connectors.metadata.musicbrainz import MusicBrainzClient
    from connectors.metadata.tmdb import TmdbClient

TMDB_SIZES = {"poster": "w500", "backdrop": "w1280"}


def relative_path(request: ArtworkRequest) -> str:
    """Where an image lives, relative to the data folder."""
    ext = PurePosixPath(request.remote_path).suffix or ".jpg"
    return f"artwork/{request.provider}/{request.provider_id}-{request.kind}{ext}"


def fetch_all(
    outcomes: Sequence[Outcome],
    home: Path,
    known: Collection[tuple[str, str, str]],
    tmdb: TmdbClient,
    musicbrainz: MusicBrainzClient,
) -> list[dict[str, Any]]:
    """Download every requested image not known yet; return the ``artwork`` rows."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for out in outcomes:
        for request in out.artwork:
            key = (request.provider, request.provider_id, request.kind)
            if key in known or key in rows:
                continue
            rows[key] = _fetch(request, home, tmdb, musicbrainz)
    return list(rows.values())


def _fetch(
    request: ArtworkRequest,
    home: Path,
    tmdb: TmdbClient,
    musicbrainz: MusicBrainzClient,
) -> dict[str, Any]:
    rel = relative_path(request)
    target = home / rel
    row: dict[str, Any] = {
        "provider": request.provider,
        "provider_id": request.provider_id,
        "kind": request.kind,
        "remote_path": request.remote_path,
        "local_path": None,
        "size_bytes": None,
        "error": None,
    }
    if not target.is_file():
        try:
            if request.provider == "tmdb":
                data = tmdb.image(
                    request.remote_path, TMDB_SIZES.get(request.kind, "w500")
                )
            else:
                data = musicbrainz.front_cover(request.provider_id)
        except ConnectorError as exc:
            row["error"] = str(exc)
            return row
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_suffix(".part").write_bytes(data)
        target.with_suffix(".part").replace(target)
    row.update(local_path=rel, size_bytes=target.stat().st_size)
    return row
