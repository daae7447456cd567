"""Prefect tasks of the transcode flow: sweep, find, decide, and build one asset.

``decide_sources`` handles a batch (probe, record decisions, queue jobs in one write).
``transcode_source`` handles one file: a transcode takes minutes, so a task per file
costs nothing next to it, and each holds one slot of the Prefect global concurrency
limit :data:`FFMPEG_LIMIT` while ffmpeg runs. Job rows carry progress (percent, speed,
ETA) written at most every :data:`PROGRESS_EVERY_S` and a heartbeat, so a job left by
a killed process is recognised and failed by the next run's sweep.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.transcode import decide as decisions
from connectors.transcode import hardware, probe, publish
from connectors.transcode.command import EncodePlan, make_plan
from connectors.transcode.errors import ProbeFailed
from connectors.transcode.ladder import RenditionSpec
from medialake import progress
from medialake.runtime import settings
from tasks.context import engine, flow_run_id, logger, warehouse
from tasks.limits import FFMPEG_LIMIT
from warehouse import hls

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectors.transcode.decide import Decision
    from connectors.transcode.probe import MediaInfo
    from connectors.transcode.runner import Progress

PROGRESS_EVERY_S = 2.0
HEARTBEAT_S = 30.0
STALE_S = 300.0
SLOT_WAIT_S = 30


@dataclass(slots=True)
class Source:
    """A library file that needs an asset, with its absolute path when found."""

    server_id: str
    file_native_id: str
    path: str
    media_kind: str
    fingerprint: str | None
    item_table: str | None
    item_native_id: str | None
    title: str
    current_asset_id: str | None = None
    abs_path: str | None = None


@dataclass(slots=True)
class Planned:
    """A decided source with its job: what the transcode task builds."""

    source: Source
    job_id: str
    asset_id: str
    decision: Decision
    info: MediaInfo
    origin: str = "ffprobe"  # or media_streams (enrichment's stored probe)


@task(name="transcode-sweep", cache_policy=NO_CACHE)
def sweep(min_age_s: float = 600.0) -> dict[str, int]:
    """Fail jobs a killed process left, then remove their folders and orphans."""
    with warehouse().write() as con:
        failed = hls.fail_interrupted_jobs(con, STALE_S)
        current, building = hls.asset_ids(con)
    removed = publish.sweep(settings().assets_path, current, building, min_age_s)
    if failed or removed:
        logger().warning(
            "transcode sweep: %d interrupted jobs failed, %d folders removed",
            failed,
            len(removed),
        )
    return {"interrupted": failed, "removed": len(removed)}


def local_roots(server_id: str) -> list[Path]:
    """The folders a server's files live in, when this machine can read them."""
    try:
        roots = getattr(engine().get(server_id), "roots", None)
    except KeyError:
        return []
    return [Path(r) for r in roots or []]


def resolve_source(server_id: str, rel_path: str) -> Path | None:
    """The readable file behind a library path, strictly inside one of its roots."""
    for root in local_roots(server_id):
        base = root.resolve()
        candidate = (base / rel_path).resolve()
        if candidate.is_relative_to(base) and candidate.is_file():
            return candidate
    return None


@task(name="transcode-find", cache_policy=NO_CACHE)
def find_sources(
    item: str | None = None, media: str = "video", force: bool = False
) -> list[Source]:
    """Sources without a current asset (or changed since), their files located."""
    kinds = ("video", "audio") if media == "all" else (media,)
    with warehouse().read() as con:
        rows = hls.pending_sources(con, media=kinds, item=item, force=force)
    found = []
    for row in rows:
        source = Source(**row)
        path = resolve_source(source.server_id, source.path)
        source.abs_path = str(path) if path else None
        found.append(source)
    missing = sum(s.abs_path is None for s in found)
    if missing:
        logger().warning("%d sources are not readable on this machine", missing)
    return found


def _probe(
    source: Source, known: dict[str, dict[str, Any]]
) -> tuple[MediaInfo | ProbeFailed, str]:
    """A source's streams: enrichment's when current, else one ffprobe call."""
    stored = known.get(source.file_native_id)
    if stored and stored.get("probe_key") == source.fingerprint and stored["streams"]:
        return probe.info_from_rows(stored, stored["streams"]), "media_streams"
    try:
        return probe.probe(
            Path(str(source.abs_path)), settings().transcode.ffprobe
        ), "ffprobe"
    except ProbeFailed as exc:
        return exc, "ffprobe"


@task(name="transcode-decide", cache_policy=NO_CACHE)
def decide_sources(sources: list[Source]) -> list[Planned]:
    """Probe a batch, record every decision, and queue a job for each buildable one."""
    readable = [s for s in sources if s.abs_path]
    config = settings().transcode
    known: dict[str, dict[str, Any]] = {}
    with warehouse().read() as con:
        for server in {s.server_id for s in readable}:
            ids = [s.file_native_id for s in readable if s.server_id == server]
            known.update(hls.probed_streams(con, server, ids))
    with ThreadPoolExecutor(max_workers=2) as pool:
        probed = list(pool.map(lambda s: _probe(s, known), readable))
    rows, planned = [], []
    for source, (info, origin) in zip(readable, probed, strict=True):
        if isinstance(info, ProbeFailed):
            decision = decisions.Decision(decisions.UNPLAYABLE, info.detail, None)
            rows.append(decision_row(source, decision, None, origin))
            continue
        decision = decisions.decide(
            info, source.media_kind, remux_compatible=config.remux_compatible
        )
        rows.append(decision_row(source, decision, info, origin))
        if decision.makes_asset:
            planned.append(
                Planned(
                    source,
                    uuid.uuid4().hex,
                    publish.new_asset_id(),
                    decision,
                    info,
                    origin,
                )
            )
    with warehouse().write() as con:
        hls.record_decisions(con, rows)
        hls.queue_jobs(con, [_job_row(p) for p in planned])
    return planned


def decision_row(
    source: Source, decision: Decision, info: MediaInfo | None, origin: str
) -> dict[str, Any]:
    """A ``playback_decisions`` row: the decision, why, and what it was based on."""
    return {
        "server_id": source.server_id,
        "file_native_id": source.file_native_id,
        "item_table": source.item_table,
        "item_native_id": source.item_native_id,
        "decision": decision.action,
        "reason": decision.reason,
        "mode": decision.mode,
        **decisions.facts(info),
        "source_fingerprint": source.fingerprint,
        "probed_from": origin,
    }


def _job_row(p: Planned) -> dict[str, Any]:
    s = p.source
    return {
        "job_id": p.job_id,
        "server_id": s.server_id,
        "file_native_id": s.file_native_id,
        "item_table": s.item_table,
        "item_native_id": s.item_native_id,
        "title": s.title,
        "decision": p.decision.action,
        "mode": p.decision.mode,
        "asset_id": p.asset_id,
        "duration_s": p.info.media_duration_s,
        "flow_run_id": flow_run_id(),
    }


def detect_encoder() -> hardware.Detection:
    """The H.264 encoder of this process (trial encodes run once), with reasons."""
    config = settings().transcode
    found = hardware.detect_cached(config.hardware, config.ffmpeg, config.vaapi_device)
    tried = "; ".join(f"{kind}: {why}" for kind, why in found.tried)
    logger().info("ffmpeg encoder: %s (%s)", found.encoder.codec, tried or "none tried")
    return found


def encode_plan(p: Planned) -> EncodePlan:
    """The encode plan of a planned source under the current settings."""
    config = settings().transcode
    encoder = hardware.SOFTWARE
    if p.decision.mode == decisions.LADDER:
        encoder = detect_encoder().encoder
    specs = [
        RenditionSpec(r.name, r.height, r.video_kbps, r.audio_kbps)
        for r in config.renditions
    ]
    return make_plan(
        p.info,
        p.decision,
        specs=specs,
        audio_kbps=config.audio_kbps,
        segment_s=config.segment_s,
        encoder=encoder,
        preset=config.preset,
    )


@contextmanager
def _heartbeat(job_id: str) -> Iterator[None]:
    """Touch the job row every :data:`HEARTBEAT_S` while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_S):
            with warehouse().write() as con:
                hls.touch_job(con, job_id)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def ffmpeg_slot(stack: ExitStack) -> None:
    """Take one slot of :data:`FFMPEG_LIMIT` (held until ``stack`` closes)."""
    from prefect.concurrency.sync import concurrency

    while True:
        try:
            stack.enter_context(
                concurrency(
                    FFMPEG_LIMIT, occupy=1, timeout_seconds=SLOT_WAIT_S, strict=True
                )
            )
            return
        except TimeoutError:
            continue


class _Reporter:
    """Progress to the job row (throttled) and to the CLI's progress bar."""

    def __init__(self, job_id: str, label: str) -> None:
        self.job_id, self.label, self.last = job_id, label, 0.0

    def __call__(self, update: Progress) -> None:
        total = max(1, round(update.duration_s * 1000))
        progress.report(self.label, min(total, round(update.out_time_s * 1000)), total)
        now = time.monotonic()
        if update.done or now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            with warehouse().write() as con:
                hls.update_progress(
                    con,
                    self.job_id,
                    update.percent,
                    update.speed,
                    update.eta_s,
                    update.out_time_s,
                )


@task(name="transcode-build", cache_policy=NO_CACHE)
def transcode_source(p: Planned) -> dict[str, Any]:
    """Build, verify and publish one asset, holding an ffmpeg slot while it runs."""
    config = settings().transcode
    try:
        with _heartbeat(p.job_id), ExitStack() as slot:
            ffmpeg_slot(slot)
            p = _exact(p)
            plan = encode_plan(p)
            with warehouse().write() as con:
                hls.start_job(con, p.job_id, _encoder_name(plan))
            built = publish.build_asset(
                Path(str(p.source.abs_path)),
                settings().assets_path,
                plan,
                p.info.media_duration_s,
                asset_id=p.asset_id,
                on_progress=_Reporter(p.job_id, p.source.title),
                ffmpeg_bin=config.ffmpeg,
                ffprobe_bin=config.ffprobe,
            )
            return _record(p, plan, built)
    except BaseException as exc:
        _fail(p.job_id, exc)
        raise


def _exact(p: Planned) -> Planned:
    """Probe the file itself before building when its streams came from the warehouse.

    Stored probes do not keep per-stream lengths, and verification compares the output
    with the length of the picture and sound (a subtitle track can outlast them); one
    ffprobe call is nothing next to a transcode.
    """
    if p.origin == "ffprobe":
        return p
    info = probe.probe(Path(str(p.source.abs_path)), settings().transcode.ffprobe)
    return replace(p, info=info, origin="ffprobe")


def _fail(job_id: str, exc: BaseException) -> None:
    """Record a job's failure; never hide the original error behind a second one."""
    text = str(exc) or type(exc).__name__
    try:
        with warehouse().write() as con:
            hls.finish_job(con, job_id, "failed", text)
    except Exception as second:
        logger().error("could not record the failure of job %s: %s", job_id, second)


def _encoder_name(plan: EncodePlan) -> str:
    if plan.mode == decisions.COPY:
        return "copy"
    return plan.encoder.codec if plan.mode == decisions.LADDER else "aac"


def _record(
    p: Planned, plan: EncodePlan, built: publish.PublishedAsset
) -> dict[str, Any]:
    s = p.source
    asset = {
        "asset_id": built.asset_id,
        "server_id": s.server_id,
        "file_native_id": s.file_native_id,
        "item_table": s.item_table,
        "item_native_id": s.item_native_id,
        "title": s.title,
        "source_fingerprint": s.fingerprint,
        "decision": p.decision.action,
        "mode": plan.mode,
        "encoder": _encoder_name(plan),
        "segment_s": plan.segment_s,
        "duration_s": built.duration_s,
        "source_duration_s": p.info.media_duration_s,
        "size_bytes": built.size_bytes,
        "job_id": p.job_id,
    }
    root = settings().assets_path
    try:
        with warehouse().write() as con:
            old = hls.publish_asset(con, asset, built.rendition_rows())
            hls.finish_job(con, p.job_id, "succeeded")
    except BaseException:
        publish.remove_asset(root, built.asset_id)
        raise
    for asset_id in old:
        publish.remove_asset(root, asset_id)
    return {
        "job_id": p.job_id,
        "asset_id": built.asset_id,
        "title": s.title,
        "decision": p.decision.action,
        "superseded": old,
    }
