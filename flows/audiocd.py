"""The ``rip-cd`` flow: rip an audio CD (a drive, or a CUE image standing for one) into
the library, one disc at a time under the strict ``medialake-rip`` limit that DVD rips
take too."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks import audiocd
from tasks.flow_runs import recorded_run
from tasks.limits import RIP_LIMIT, ensure_limits


@flow(name="rip-cd", log_prints=True)
@recorded_run
def rip_cd(source: str) -> dict[str, Any]:
    """Rip the audio CD in ``source`` (``/dev/sr0`` or ``disc.cue``).

    Returns:
        The rip's id, disc id, state (imported, review, failed, skipped), the album
        folder and the reason.
    """
    from prefect.concurrency.sync import concurrency

    ensure_limits()
    with concurrency(RIP_LIMIT, occupy=1, strict=True):
        return audiocd.rip_audio_cd(source)


@flow(name="review-cd", log_prints=True)
@recorded_run
def review_cd(rip_id: str, release_id: str | None = None) -> dict[str, Any]:
    """Settle a CD rip waiting for review: ``release_id`` (a person's choice), else
    the disc id asked again; the files are re-tagged and renamed in one step."""
    return audiocd.review_audio_cd(rip_id, release_id)
