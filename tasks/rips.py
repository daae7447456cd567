"""Prefect tasks of disc rips: queue a source, let the watcher queue new discs and
images, and rip one queued source into the library.

A rip is minutes to hours of encoding, so one task rips one source. Its row in
``rip_jobs`` follows it (queued, scanning, encoding with progress, verifying, imported,
failed with the reason, cancelled); a cancelled rip stops the encoder at its next
progress report and leaves nothing in the library.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.downloads.importer import place, render_name, safe_component
from connectors.downloads.verify import VerificationFailed, verify_file
from connectors.rips.handbrake import HandBrake, RipFailed, pick_main_feature
from connectors.rips.watcher import classify, guess_title, poll, source_key
from medialake import progress
from medialake.runtime import settings
from tasks.audiocd import is_audio_cd
from tasks.context import warehouse
from tasks.downloads import library_root, run_logger, scan_answer, staging_root
from tasks.errors import TaskError
from warehouse import acquisition

if TYPE_CHECKING:
    from connectors.rips.handbrake import DiscTitle

PROGRESS_EVERY_S = 1.0


class RipCancelled(TaskError):
    """The user cancelled the rip while it ran."""


def _update(rip_id: str, state: str | None = None, **fields: Any) -> bool:
    with warehouse().write() as con:
        return acquisition.update_rip(con, rip_id, state, **fields)


def _checked(rip_id: str, state: str | None = None, **fields: Any) -> None:
    if not _update(rip_id, state, **fields):
        raise RipCancelled(rip_id)


@task(name="rip-queue", cache_policy=NO_CACHE)
def queue_rip(
    source: str,
    title: str | None = None,
    year: int | None = None,
    title_index: int | None = None,
) -> dict[str, Any]:
    """Queue a rip of ``source`` (a drive, ISO, VIDEO_TS/BDMV folder or video file)."""
    path = Path(source).expanduser().absolute()
    if classify(path) is None:
        raise ValueError(f"{source}: not a disc, image, DVD/Blu-ray folder or video")
    with warehouse().write() as con:
        rip_id, created = acquisition.add_rip(
            con, str(path), source_key(path) if path.exists() else str(path),
            title=title, year=year, title_index=title_index,
        )  # fmt: skip
        row = acquisition.get_rip(con, rip_id) or {}
    return {"rip_id": rip_id, "new": created, "state": row.get("state")}


@task(name="rip-watch", cache_policy=NO_CACHE)
def watch_sources() -> list[str]:
    """Queue discs in the drives and stable images in the watch folder, once each."""
    cfg = settings().rips
    folder = cfg.watch_dir or settings().home / "rips"
    with warehouse().read() as con:
        seen = acquisition.seen_rip_sources(con)
    found = poll(folder, cfg.devices, cfg.stable_s, seen)
    found = [s for s in found if not (s.kind == "drive" and is_audio_cd(s.path))]
    queued = []
    with warehouse().write() as con:
        for source in found:
            rip_id, created = acquisition.add_rip(con, str(source.path), source.key)
            if created:
                queued.append(rip_id)
    if found:
        run_logger().info("watcher queued %d rip(s)", len(queued))
    return queued


@task(name="rip-one", cache_policy=NO_CACHE)
def rip_one(rip_id: str) -> dict[str, Any]:
    """Scan, pick the main feature, encode, verify and import one queued rip."""
    with warehouse().read() as con:
        row = acquisition.get_rip(con, rip_id)
    if row is None or row["state"] != "queued":
        return {"rip_id": rip_id, "state": row and row["state"], "skipped": True}
    staging = staging_root() / f"rip-{rip_id}"
    try:
        final = _rip(row, staging)
    except RipCancelled:
        return {"rip_id": rip_id, "state": "cancelled"}
    except (RipFailed, VerificationFailed, OSError, ValueError) as exc:
        reason = exc.detail if isinstance(exc, RipFailed) else str(exc)
        _update(rip_id, "failed", reason=reason)
        run_logger().warning("rip %s failed: %s", rip_id, reason)
        return {"rip_id": rip_id, "state": "failed", "reason": reason}
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"rip_id": rip_id, "state": "imported", "path": str(final)}


def _rip(row: dict[str, Any], staging: Path) -> Path:
    cfg = settings().rips
    rip_id, source = row["rip_id"], Path(row["source_path"])
    handbrake = HandBrake(cfg.handbrake, min_title_s=min(10.0, cfg.min_feature_s))
    _checked(rip_id, "scanning", started_at=datetime.now(UTC))
    scan = handbrake.scan(source)
    title = pick_main_feature(
        scan, cfg.min_feature_s, cfg.max_feature_s, row["title_index"]
    )
    guessed, guessed_year = guess_title(source, scan.volume)
    name, year = row["title"] or guessed, row["year"] or guessed_year
    _checked(
        rip_id, "encoding", title_index=title.index, title=name, year=year,
        duration_s=title.duration_s, preset=cfg.preset,
    )  # fmt: skip
    staging.mkdir(parents=True, exist_ok=True)
    out = staging / f"{safe_component(name)}.{cfg.container}"
    handbrake.encode(source, title.index, out, cfg.preset, _reporter(rip_id, name))
    _checked(rip_id, "verifying", progress=1.0)
    info = _verify(out, title)
    relative = render_name(
        cfg.movie_template, {"title": name, "year": year}, cfg.container
    )
    _checked(rip_id)  # the last chance to notice a cancel before the file lands
    final = place(out, library_root(), relative)
    _update(rip_id, "imported", final_path=str(final), duration_s=info.duration_s)
    return final


def _verify(out: Path, title: DiscTitle) -> Any:
    tolerance = max(5.0, 0.02 * title.duration_s)
    return verify_file(out, expected_duration_s=title.duration_s, tolerance_s=tolerance)


def _reporter(rip_id: str, label: str) -> Any:
    last = [0.0]

    def report(fraction: float) -> None:
        progress.report(f"rip {label}", int(fraction * 1000), 1000)
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            _checked(rip_id, progress=round(fraction, 4))

    return report


@task(name="rip-trigger-scan", cache_policy=NO_CACHE)
def trigger_scan(rip_ids: list[str]) -> str:
    """Ask the active media server to rescan after rips; record its answer."""
    result = scan_answer()
    with warehouse().write() as con:
        acquisition.set_rip_scan_result(con, rip_ids, result)
    return result


def cancel(rip_id: str) -> bool:
    """Cancel a queued or running rip (it stays cancelled)."""
    return _update(rip_id, "cancelled", reason="cancelled by the user")
