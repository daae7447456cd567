"""Atomic, verified publishing of an HLS asset.

An asset is written into ``<assets>/.tmp-<asset_id>`` (a hidden folder the playback
service never serves), verified, and only then renamed to ``<assets>/<asset_id>`` in one
``rename``: a folder with an asset's name is always complete. Any failure, a killed
ffmpeg included, removes the temporary folder; a retry starts clean. The source is only
ever read (by ffmpeg and ffprobe).
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.transcode.command import (
    COPY,
    COPY_NAME,
    MASTER,
    SUBS_DIR,
    VARIANT,
    build_command,
)
from connectors.transcode.errors import NotEnoughSpace, OutputUnwritable, VerifyFailed
from connectors.transcode.runner import run_ffmpeg
from connectors.transcode.verify import (
    CheckedVariant,
    inside,
    read_variant,
    verify_asset,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from connectors.transcode.command import EncodePlan
    from connectors.transcode.runner import Progress

ASSET_ID = re.compile(r"^[0-9a-f]{32}$")
TMP_PREFIX = ".tmp-"
FREE_MARGIN_BYTES = 64 * 1024 * 1024
# ffmpeg's MPEG-TS muxer starts timestamps 1.4 s in; subtitles say where their 0 is.
MPEGTS_ORIGIN = 126_000


@dataclass(slots=True)
class PublishedAsset:
    """What was published: the folder, its size and its checked renditions."""

    asset_id: str
    size_bytes: int
    duration_s: float
    variants: list[CheckedVariant] = field(default_factory=list)

    def rendition_rows(self) -> list[dict[str, Any]]:
        """One row per rendition (video, audio or subtitles) for the warehouse."""
        rows = []
        for v in self.variants:
            size = v.attrs.get("RESOLUTION", "")
            width, _, height = size.partition("x")
            rows.append(
                {
                    "asset_id": self.asset_id,
                    "name": v.uri.split("/")[-1].removesuffix(".m3u8")
                    if v.kind == "subtitles"
                    else v.uri.split("/")[0],
                    "kind": v.kind,
                    "playlist": v.uri,
                    "width": int(width) if width.isdigit() else None,
                    "height": int(height) if height.isdigit() else None,
                    "bandwidth": int(v.attrs["BANDWIDTH"])
                    if "BANDWIDTH" in v.attrs
                    else None,
                    "codecs": v.attrs.get("CODECS"),
                    "language": v.attrs.get("LANGUAGE"),
                    "segments": v.segments,
                    "duration_s": round(v.duration_s, 3),
                    "size_bytes": v.size_bytes,
                }
            )
        return rows


def new_asset_id() -> str:
    """A fresh asset id (also its folder name and URL prefix)."""
    return uuid.uuid4().hex


def tmp_dir(assets_root: Path, asset_id: str) -> Path:
    """Where an asset is written before it is published."""
    return assets_root / f"{TMP_PREFIX}{asset_id}"


def prepare_root(assets_root: Path, need_bytes: int) -> None:
    """Create the assets folder and check it is writable and has room.

    Raises:
        OutputUnwritable: it cannot be created or written.
        NotEnoughSpace: its disk has less free space than the estimate needs.
    """
    try:
        assets_root.mkdir(parents=True, exist_ok=True)
        probe = assets_root / f"{TMP_PREFIX}probe-{uuid.uuid4().hex}"
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise OutputUnwritable(
            f"cannot write to the assets folder {assets_root}: {exc.strerror}"
        ) from None
    free = shutil.disk_usage(assets_root).free
    if free < need_bytes + FREE_MARGIN_BYTES:
        raise NotEnoughSpace(
            f"not enough disk space in {assets_root}: about "
            f"{(need_bytes + FREE_MARGIN_BYTES) // 2**20} MiB needed, "
            f"{free // 2**20} MiB free"
        )


def build_asset(
    source: Path,
    assets_root: Path,
    plan: EncodePlan,
    source_duration_s: float,
    *,
    asset_id: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    ffmpeg_bin: str = "ffmpeg",
    ffprobe_bin: str = "ffprobe",
) -> PublishedAsset:
    """Encode ``source`` per ``plan``, verify, and publish it under ``assets_root``.

    Raises:
        TranscodeError: any failure; nothing is left behind.
    """
    asset_id = asset_id or new_asset_id()
    if not ASSET_ID.match(asset_id):
        raise ValueError(f"bad asset id {asset_id!r}")
    need = plan.estimated_bytes(source_duration_s) or source.stat().st_size
    prepare_root(assets_root, need)
    work = tmp_dir(assets_root, asset_id)
    shutil.rmtree(work, ignore_errors=True)
    try:
        (work / SUBS_DIR).mkdir(parents=True)
        args = build_command(source, work, plan, ffmpeg_bin)
        run_ffmpeg(args, source_duration_s, on_progress)
        if plan.mode == COPY:
            write_copy_master(work, plan)
        add_subtitles(work, plan, source_duration_s)
        try:
            variants = verify_asset(
                work,
                MASTER,
                source_duration_s,
                ffmpeg_bin=ffmpeg_bin,
                ffprobe_bin=ffprobe_bin,
            )
        except VerifyFailed as exc:
            raise _explain(assets_root, exc) from None
        final = assets_root / asset_id
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    size = sum(v.size_bytes for v in variants)
    length = max((v.duration_s for v in variants if v.kind != "subtitles"), default=0.0)
    return PublishedAsset(asset_id, size, length, variants)


def write_copy_master(work: Path, plan: EncodePlan) -> None:
    """The master playlist of a stream copy, its bandwidth measured from the segments.

    ffmpeg writes no master for copied streams without bitrate metadata (MKV), so it is
    written here for every copy: peak and average bits per second over the segments.
    """
    playlist = work / COPY_NAME / VARIANT
    if not playlist.is_file():
        return  # verification reports the missing variant
    segments, _ = read_variant(playlist.read_text(encoding="utf-8"))
    rates, total_bits, total_s = [], 0, 0.0
    for length, uri in segments:
        bits = inside(playlist.parent, uri).stat().st_size * 8
        rates.append(bits / max(length, 0.001))
        total_bits, total_s = total_bits + bits, total_s + length
    peak = int(max(rates, default=0)) + 1
    average = int(total_bits / max(total_s, 0.001)) + 1
    size = f",RESOLUTION={plan.size[0]}x{plan.size[1]}" if plan.size else ""
    (work / MASTER).write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n"
        f"#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average}{size}\n"
        f"{COPY_NAME}/{VARIANT}\n",
        encoding="utf-8",
    )


def _explain(assets_root: Path, exc: VerifyFailed) -> Exception:
    """A failed verification on a full disk is a full disk.

    ffmpeg's HLS muxer does not report failed writes (it exits 0 with truncated
    segments), so verification is what notices; the free space says why.
    """
    free = shutil.disk_usage(assets_root).free
    if free < FREE_MARGIN_BYTES:
        return NotEnoughSpace(
            f"the assets folder's disk is full ({free // 2**20} MiB free): {exc.detail}"
        )
    return exc


def add_subtitles(work: Path, plan: EncodePlan, duration_s: float) -> None:
    """Give every WebVTT file a playlist and list them in the master playlist."""
    subs = work / SUBS_DIR
    if not plan.subtitles:
        shutil.rmtree(subs, ignore_errors=True)
        return
    lines = []
    for n, track in enumerate(plan.subtitles):
        vtt = subs / f"{track.name}.vtt"
        _stamp_vtt(vtt)
        (subs / f"{track.name}.m3u8").write_text(
            _subtitle_playlist(vtt.name, duration_s), encoding="utf-8"
        )
        lines.append(
            '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",'
            f'NAME="{track.language} {n + 1}",LANGUAGE="{track.language}",'
            f"DEFAULT=NO,AUTOSELECT={'YES' if track.forced else 'NO'},"
            f"FORCED={'YES' if track.forced else 'NO'},"
            f'URI="{SUBS_DIR}/{track.name}.m3u8"'
        )
    master = work / MASTER
    out = []
    for line in master.read_text(encoding="utf-8").splitlines():
        if line.startswith("#EXT-X-STREAM-INF:"):
            line += ',SUBTITLES="subs"'
        out.append(line)
        if line.startswith("#EXT-X-VERSION"):
            out.extend(lines)
    master.write_text("\n".join(out) + "\n", encoding="utf-8")


def _stamp_vtt(vtt: Path) -> None:
    """Say which MPEG-TS time the cues' zero is (HLS needs it to place the cues)."""
    text = vtt.read_text(encoding="utf-8") if vtt.exists() else "WEBVTT\n"
    head, _, rest = text.partition("\n")
    stamp = f"X-TIMESTAMP-MAP=MPEGTS:{MPEGTS_ORIGIN},LOCAL:00:00:00.000"
    vtt.write_text(f"{head}\n{stamp}\n{rest}", encoding="utf-8")


def _subtitle_playlist(name: str, duration_s: float) -> str:
    target = max(1, int(duration_s + 0.999))
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n"
        f"#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXTINF:{duration_s:.3f},\n{name}\n#EXT-X-ENDLIST\n"
    )


def remove_asset(assets_root: Path, asset_id: str) -> bool:
    """Delete a published asset's folder; True when there was one."""
    if not ASSET_ID.match(asset_id):
        raise ValueError(f"bad asset id {asset_id!r}")
    folder = assets_root / asset_id
    if not folder.is_dir():
        return False
    shutil.rmtree(folder)
    return True


def sweep(
    assets_root: Path, keep: set[str], keep_tmp: set[str], min_age_s: float = 600.0
) -> list[str]:
    """Remove temporary folders not in ``keep_tmp`` and assets not in ``keep``.

    Folders changed in the last ``min_age_s`` are left alone: another process may be
    between its rename and its record.

    Returns:
        The names removed.
    """
    if not assets_root.is_dir():
        return []
    removed = []
    newest = time.time() - min_age_s
    for entry in os.scandir(assets_root):
        name = entry.name
        if name.startswith(TMP_PREFIX):
            if name[len(TMP_PREFIX) :] in keep_tmp:
                continue
        elif not ASSET_ID.match(name) or name in keep:
            continue
        if entry.is_dir(follow_symlinks=False) and entry.stat().st_mtime <= newest:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(name)
    return removed
