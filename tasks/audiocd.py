"""Prefect task of audio CD rips: read the disc's TOC (a drive with cdparanoia, or a
CUE image), compute its MusicBrainz disc id, look the release up, rip, encode, tag,
verify and move the album into the library, with a ``cd_rips`` row following it.

One task rips one disc (minutes of reading and encoding). A disc MusicBrainz does not
know is ripped under a placeholder name and its row waits in state ``review``. The rip
watcher asks :func:`watch_audio_cds` for the drives whose disc has audio tracks and the
CUE images in its watch folder; the DVD rips leave those drives alone
(:func:`is_audio_cd`).
"""

from __future__ import annotations

import stat
import subprocess
import time
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.downloads.verify import VerificationFailed
from connectors.errors import ConnectorError
from connectors.rips.audiocd import CueImageReader, DiscError, DriveReader, disc_id
from connectors.rips.cdrip import lookup_disc, rip_disc
from medialake import progress
from medialake.runtime import settings
from tasks.context import flow_run_id, logger, warehouse
from tasks.downloads import library_root, staging_root
from tasks.fingerprint import musicbrainz_client
from warehouse import cdrips


def reader_for(source: str) -> CueImageReader | DriveReader:
    """The reader of ``source``: a CUE sheet (image) or an optical drive.

    Raises:
        DiscError: neither (or the image is broken).
    """
    path = Path(source).expanduser().absolute()
    if path.suffix.lower() == ".cue" and path.is_file():
        return CueImageReader(path)
    try:
        mode = path.stat().st_mode
    except OSError:
        raise DiscError(f"{source}: no such drive or CUE sheet") from None
    if stat.S_ISBLK(mode):
        return DriveReader(path, settings().rips.cdparanoia)
    raise DiscError(f"{source}: not an optical drive or a .cue image")


def _update(rip_id: str, state: str | None = None, **fields: Any) -> None:
    with warehouse().write() as con:
        cdrips.update(con, rip_id, state, **fields)


@task(name="rip-audio-cd", cache_policy=NO_CACHE)
def rip_audio_cd(source: str) -> dict[str, Any]:
    """Rip one audio CD (drive or CUE image) into the library."""
    reader = reader_for(source)
    toc = reader.toc()
    found = disc_id(toc)
    with warehouse().write() as con:
        rip_id, why_not = cdrips.start(con, source, found, flow_run_id())
    if rip_id is None:
        return {"disc_id": found, "state": "skipped", "reason": why_not}
    seconds = sum(toc.track_seconds(n) for n in toc.numbers)
    _update(rip_id, tracks=len(toc.numbers), seconds=seconds)
    current = settings()
    try:
        client = musicbrainz_client(current.enrichment, current.home)
        info = lookup_disc(client, found, len(toc.numbers))
        _update(rip_id, matched=info.matched, release_id=info.release_id,
                artist=info.artist, album=info.album, year=info.year)  # fmt: skip

        def on_track(done: int, total: int) -> None:
            progress.report(f"CD {info.album}", done, total)
            _update(rip_id, tracks_done=done)

        files = rip_disc(
            reader, toc, info, staging_root() / f"cd-{found}", library_root(),
            current.rips.cd_template, on_track,
        )  # fmt: skip
    except (DiscError, VerificationFailed, ConnectorError, OSError) as exc:
        why = exc.detail if isinstance(exc, ConnectorError) else str(exc)
        _update(rip_id, "failed", reason=why)
        return {"rip_id": rip_id, "disc_id": found, "state": "failed", "reason": why}
    state = "imported" if info.matched else "review"
    reason: str | None = (
        None if info.matched else "MusicBrainz knows no release with this disc id"
    )
    folder = str(files[0].parent)
    _update(rip_id, state, final_path=folder, reason=reason)
    logger().info("CD %s: %s (%s tracks) -> %s", found, state, len(files), folder)
    return {"rip_id": rip_id, "disc_id": found, "state": state, "path": folder,
            "reason": reason}  # fmt: skip


def is_audio_cd(device: Path) -> bool:
    """Whether the disc in ``device`` has audio tracks (cdparanoia reads its TOC)."""
    try:
        DriveReader(device, settings().rips.cdparanoia).toc()
    except (DiscError, OSError, subprocess.TimeoutExpired):
        return False
    return True


def stable_cue_sheets(folder: Path, stable_s: float) -> list[Path]:
    """CUE sheets in ``folder`` whose sheet and audio file have not changed for
    ``stable_s`` seconds (an image still being copied waits for the next poll)."""
    if not folder.is_dir():
        return []
    now, found = time.time(), []
    for cue in sorted(folder.glob("*.cue")):
        try:
            data = CueImageReader(cue).data
            newest = max(cue.stat().st_mtime, data.stat().st_mtime)
        except (DiscError, OSError):
            continue
        if now - newest >= stable_s:
            found.append(cue)
    return found


@task(name="watch-audio-cds", cache_policy=NO_CACHE)
def watch_audio_cds(sys_block: str | None = None) -> list[str]:
    """Audio CDs in the optical drives and CUE images in the watch folder (the rip
    watcher's sources that hold audio); discs already ripped are skipped by the rip."""
    from connectors.rips.watcher import SYS_BLOCK, optical_drives

    cfg = settings().rips
    drives = optical_drives(cfg.devices, Path(sys_block) if sys_block else SYS_BLOCK)
    found = [str(d.path) for d in drives if is_audio_cd(d.path)]
    folder = cfg.watch_dir or settings().home / "rips"
    return found + [str(c) for c in stable_cue_sheets(folder, cfg.stable_s)]


@task(name="review-audio-cd", cache_policy=NO_CACHE)
def review_audio_cd(rip_id: str, release_id: str | None = None) -> dict[str, Any]:
    """Settle a rip waiting for review: the release a person chose (``release_id``),
    else the disc id asked again (MusicBrainz may know it now); its files are tagged
    and renamed in one step.

    Raises:
        ValueError: no rip waiting for review has this id.
    """
    from connectors.rips.cdrip import retag_album

    with warehouse().read() as con:
        row = cdrips.get(con, rip_id)
    if row is None or row["state"] != "review" or not row["final_path"]:
        raise ValueError(f"{rip_id}: no rip waiting for review has this id")
    files = sorted(Path(row["final_path"]).glob("*.flac"))
    if not files:
        raise ValueError(f"{rip_id}: the placeholder folder holds no FLAC file")
    current = settings()
    client = musicbrainz_client(current.enrichment, current.home)
    info = lookup_disc(client, row["disc_id"], len(files), release_id)
    if not info.matched:
        why = "MusicBrainz still knows no release with this disc id"
        return {"rip_id": rip_id, "state": "review", "reason": why}
    final = retag_album(files, info, library_root(), current.rips.cd_template)
    folder = str(final[0].parent)
    _update(rip_id, "imported", matched=True, release_id=info.release_id,
            artist=info.artist, album=info.album, year=info.year, final_path=folder,
            reason=f"reviewed: release {info.release_id}")  # fmt: skip
    return {"rip_id": rip_id, "state": "imported", "path": folder, "reason": None}
