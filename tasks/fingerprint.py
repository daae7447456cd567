"""Prefect tasks of fingerprint-first identification: plan the files, identify a batch
of folders (fpcalc, AcoustID, the album vote, MusicBrainz), record what was found.

A batch is whole folders (an album is matched as one) of about
``enrichment.fingerprint_batch_size`` files. ``fpcalc`` runs in parallel threads; the
AcoustID lookups take turns of the machine-wide limiter (3/s by default), MusicBrainz
its own (1/s). A file AcoustID knows nothing about is searched on MusicBrainz by its
tags when it has an artist and a title. Files tagged with a MusicBrainz recording id are
left to ``medialake enrich`` (the tagged id wins there).
"""

from __future__ import annotations

import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.errors import AuthError, ConnectorError, NotFound
from connectors.metadata import fingerprint as fp
from connectors.metadata.cache import MemoryCache, RequestStats
from connectors.metadata.music import TrackQuery, match_recording
from connectors.metadata.musicbrainz import MusicBrainzClient
from connectors.metadata.ratelimit import ProcessRateLimiter
from connectors.metadata.scoring import Thresholds
from connectors.metadata.services import limiter_path
from medialake.runtime import settings
from tasks.context import engine, flow_run_id, logger, warehouse
from warehouse import fingerprints

if TYPE_CHECKING:
    from medialake.settings import EnrichmentSettings

AUDIO = frozenset(
    ".mp3 .flac .ogg .oga .opus .m4a .aac .wav .aif .aiff .wma .wv .ape".split()
)


def audio_files(paths: list[str]) -> list[Path]:
    """Every audio file under ``paths`` (files or folders; hidden ones skipped)."""
    found: list[Path] = []
    for text in paths:
        root = Path(text).expanduser().absolute()
        if root.is_file():
            found.append(root)
            continue
        if not root.is_dir():
            raise FileNotFoundError(f"{root} is neither a folder nor a file")
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [
                Path(folder, n)
                for n in sorted(files)
                if not n.startswith(".") and Path(n).suffix.lower() in AUDIO
            ]
    return sorted(set(found))


def _tags(path: Path) -> dict[str, str]:
    import mutagen

    try:
        audio = mutagen.File(path, easy=True)
    except mutagen.MutagenError:
        return {}
    if audio is None or not audio.tags:
        return {}
    keys = ("title", "artist", "musicbrainz_trackid")
    return {k: str(audio.tags[k][0]) for k in keys if audio.tags.get(k)}


def library_files() -> list[Path]:
    """The library's tracks without a MusicBrainz id whose files this machine reads."""
    with warehouse().read() as con:
        listed = fingerprints.untagged_track_files(con)
    found = []
    for server_id, path in listed:
        try:
            local = engine().get(server_id).local_path(path)
        except KeyError:  # a server no longer configured
            continue
        if local is not None:
            found.append(local)
    return sorted(set(found))


@task(name="identify-plan", cache_policy=NO_CACHE)
def plan(paths: list[str] | None, redo: bool = False) -> list[dict[str, list[str]]]:
    """Batches of whole folders of files to identify (already accepted ones and
    MBID-tagged ones left out); no ``paths``: the library's tracks without MBIDs."""
    files = audio_files(paths) if paths else library_files()
    with warehouse().read() as con:
        done = (
            set() if redo else fingerprints.accepted_paths(con, [str(f) for f in files])
        )
    folders: dict[str, list[str]] = defaultdict(list)
    for file in files:
        if str(file) not in done and "musicbrainz_trackid" not in _tags(file):
            folders[str(file.parent)].append(str(file))
    size = settings().enrichment.fingerprint_batch_size
    batches: list[dict[str, list[str]]] = []
    for folder, members in sorted(folders.items()):
        if not batches or sum(map(len, batches[-1].values())) >= size:
            batches.append({})
        batches[-1][folder] = members
    return batches


@task(name="identify-open-run", cache_policy=NO_CACHE)
def open_run(total: int) -> str:
    """The run row the batches add their progress to."""
    with warehouse().write() as con:
        return fingerprints.start_run(con, total, flow_run_id())


@task(name="identify-close-run", cache_policy=NO_CACHE)
def close_run(run_id: str, error: str | None = None) -> None:
    """End the run (failed with the error, if any)."""
    with warehouse().write() as con:
        fingerprints.end_run(con, run_id, "failed" if error else "succeeded", error)


def musicbrainz_client(config: EnrichmentSettings, home: Path) -> MusicBrainzClient:
    """A MusicBrainz client behind the machine-wide 1 request/s limiter."""
    return MusicBrainzClient(
        base_url=config.musicbrainz_base_url,
        coverart_url=config.coverart_base_url,
        contact=config.musicbrainz_contact,
        limiter=ProcessRateLimiter(
            limiter_path(home), config.musicbrainz_min_interval_s
        ),
        cache=MemoryCache(),
        stats=RequestStats(),
        timeout=config.http_timeout_s,
        retries=config.http_retries,
        backoff=config.http_backoff_s,
    )


class _Services:
    """The AcoustID and MusicBrainz clients of one batch."""

    def __init__(self, config: EnrichmentSettings, home: Path) -> None:
        key = config.acoustid_api_key
        if key is None:
            raise AuthError(
                fp.SERVICE,
                fp.CREDENTIAL,
                "no key is set: put one in MEDIALAKE_ENRICHMENT_ACOUSTID_API_KEY",
            )
        http: dict[str, Any] = {
            "retries": config.http_retries,
            "backoff": config.http_backoff_s,
        }
        self.acoustid = fp.AcoustidClient(
            key.get_secret_value(),
            config.acoustid_base_url,
            ProcessRateLimiter(
                home / "ratelimit" / "acoustid.lock", config.acoustid_min_interval_s
            ),
            timeout=config.http_timeout_s,
            **http,
        )
        self.musicbrainz = musicbrainz_client(config, home)
        self.thresholds = Thresholds(
            config.accept_threshold, config.review_threshold, config.ambiguity_margin
        )


@task(name="identify-batch", cache_policy=NO_CACHE)
def identify_batch(
    run_id: str, folders: dict[str, list[str]], write_tags: bool = False
) -> dict[str, int]:
    """Identify the files of ``folders`` and record them (and, with ``write_tags``,
    write accepted identifications into the files); the batch's counts."""
    current = settings()
    svc = _Services(current.enrichment, current.home)
    try:
        rows = [
            row
            for folder, files in folders.items()
            for row in _identify_folder(svc, folder, files)
        ]
    finally:
        svc.acoustid.close()
    if write_tags:
        _write_tags(rows)
    for row in rows:
        row["run_id"] = run_id
    counts = {
        "files_done": len(rows),
        "accepted": sum(r["status"] == fp.ACCEPTED for r in rows),
        "review": sum(r["status"] == fp.REVIEW for r in rows),
        "no_match": sum(r["status"] in (fp.NO_MATCH, fp.REJECTED) for r in rows),
        "acoustid_requests": svc.acoustid.requests,
    }
    with warehouse().write() as con:
        fingerprints.merge_matches(con, rows)
        fingerprints.add_to_run(con, run_id, **counts)
    logger().info("identified %s files: %s", len(rows), counts)
    return counts


def _identify_folder(svc: _Services, folder: str, files: list[str]) -> list[dict]:
    workers = min(8, os.cpu_count() or 2, len(files))
    heard = []
    with ThreadPoolExecutor(max(1, workers)) as pool:
        prints = pool.map(_fingerprint, files)  # lookups start with the first print
        for path, (duration, fingerprint, error) in zip(files, prints, strict=True):
            file = fp.Heard(path, duration, error=error)
            if fingerprint is not None and duration is not None:
                try:
                    file.results = svc.acoustid.lookup(fingerprint, duration)
                except AuthError:
                    raise
                except ConnectorError as exc:
                    file.error = f"AcoustID: {exc.detail}"
            heard.append(file)
    accept, review = svc.thresholds.accept, svc.thresholds.review
    album, matches = fp.match_folder(heard, accept, review)
    if album:
        try:
            fp.apply_release(matches, svc.musicbrainz.release(album))
        except ConnectorError as exc:
            for match in matches:
                match.reason += f"; MusicBrainz: {exc.detail}"
    durations = {h.key: h.duration_s for h in heard}
    rows = []
    for match in matches:
        if match.status == fp.NO_MATCH:
            _by_name(svc, match, durations[match.key])
        rows.append({**asdict(match), "path": match.key, "folder": folder,
                     "duration_s": durations[match.key]})  # fmt: skip
    return rows


def _write_tags(rows: list[dict[str, Any]]) -> None:
    names = set(fp.FileMatch.__dataclass_fields__)
    for row in rows:
        if row["status"] != fp.ACCEPTED:
            continue
        match = fp.FileMatch(**{k: v for k, v in row.items() if k in names})
        try:
            written = fp.write_tags(row["path"], match)
        except OSError as exc:  # read-only file or share: recorded, not fatal
            row["reason"] += f"; tags not written: {exc}"
            continue
        row["reason"] += "; tags written" if written else "; the format takes no tags"


def _fingerprint(path: str) -> tuple[float | None, str | None, str | None]:
    try:
        duration, fingerprint = fp.fingerprint_file(Path(path))
    except (OSError, ValueError) as exc:
        return None, None, f"fpcalc: {exc}"
    return duration, fingerprint, None


def _by_name(svc: _Services, match: fp.FileMatch, duration: float | None) -> None:
    """No AcoustID match: a MusicBrainz search by the file's own tags, if any."""
    tags = _tags(Path(match.key))
    if not (tags.get("title") and tags.get("artist")):
        match.reason += "; no artist and title tags for a name search"
        return
    query = TrackQuery(match.key, tags["title"], duration_s=duration)
    try:
        decision, _ = match_recording(
            svc.musicbrainz, query, tags["artist"], svc.thresholds
        )
    except NotFound:
        match.reason += "; MusicBrainz name search found nothing"
        return
    except ConnectorError as exc:
        match.reason += f"; MusicBrainz: {exc.detail}"
        return
    match.status = decision.status
    match.recording_id, match.score = decision.provider_id, decision.confidence
    match.title, match.artist = tags["title"], tags["artist"]
    match.reason += f"; by name on MusicBrainz: {decision.reason}"


def result_rows(run_id: str) -> list[dict[str, Any]]:
    """The matches a run recorded (for the CLI's table)."""
    from warehouse.downloads import rows

    with warehouse().read() as con:
        return rows(
            con,
            "SELECT status, score, artist, album, track_no, title, path, reason"
            " FROM fingerprint_matches WHERE run_id = ? ORDER BY folder, track_no,"
            " path",
            run_id,
        )
