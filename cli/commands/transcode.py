"""``medialake transcode [ITEM]``: HLS assets for videos (or music), with progress bars.

Runs the ``transcode`` flow in this process: one bar per file showing percent, speed as
a multiple of realtime and the time left; a table of what was done at the end.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from cli.main import console, fail, flows_ready
from medialake.progress_bars import ProgressBars
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError


class Media(StrEnum):
    """What to transcode, as the CLI spells it."""

    video = "video"
    audio = "audio"
    all = "all"


def _speed(done: int, elapsed: float) -> dict[str, str]:
    """The speed column: milliseconds of media done per second, as "Nx realtime"."""
    if not done or elapsed <= 0:
        return {"speed": ""}
    return {"speed": f"{done / 1000 / elapsed:.1f}x realtime"}


def _print_jobs(summary: dict[str, Any]) -> None:
    table = Table(title="transcode")
    for column in ("title", "decision", "status", "asset / error"):
        table.add_column(column, overflow="fold")
    for job in summary["jobs"]:
        detail = job.get("asset_id") or job.get("error") or ""
        table.add_row(job["title"], job["decision"], job["status"], str(detail))
    if summary["jobs"]:
        console.print(table)
    console.print(
        f"{summary['sources']} sources: {summary['published']} published, "
        f"{summary['failed']} failed, {summary['unplayable']} unplayable, "
        f"{summary['missing']} not readable here"
    )


def transcode(
    item: Annotated[
        str | None,
        typer.Argument(help="A file or item id, or part of a title or path."),
    ] = None,
    media: Annotated[
        Media, typer.Option(help="video, audio (music: audio-only renditions) or all.")
    ] = Media.video,
    force: Annotated[
        bool, typer.Option(help="Rebuild items that already have a current asset.")
    ] = False,
) -> None:
    """Make HLS assets (direct play, remux or an ABR ladder) for what lacks one."""
    try:
        prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    flows_ready()
    from flows.transcode import TranscodeFailed
    from flows.transcode import transcode as transcode_flow

    failed = None
    bars = ProgressBars(
        console,
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[speed]}"),
        TimeRemainingColumn(),
        describe=lambda label: label[:40],
        fields=_speed,
    )
    with bars:
        try:
            summary = transcode_flow(item=item, media=media.value, force=force)
        except TranscodeFailed as exc:
            summary, failed = exc.summary, str(exc)
    _print_jobs(summary)
    if item and not summary["sources"]:
        console.print(f"nothing to do for {item!r} (no match, or its asset is current)")
    if failed:
        raise fail(f"transcode failed: {failed}", 1)


def register(app: typer.Typer) -> None:
    """Add ``transcode`` to the CLI."""
    app.command()(transcode)
