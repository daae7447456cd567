"""The ``identify`` flow: fingerprint-first identification of music files without
MBIDs (Chromaprint, AcoustID, the folder's album vote, then MusicBrainz)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from connectors.errors import ConnectorError
from medialake import progress
from tasks import fingerprint as f
from tasks.flow_runs import recorded_run

LABEL = "identify"


@flow(name="identify", log_prints=True)
@recorded_run
def identify(
    paths: list[str] | None = None, redo: bool = False, write_tags: bool = False
) -> dict[str, Any]:
    """Identify the audio files under ``paths`` by their sound.

    Args:
        paths: folders or files; each folder's files are matched as one album.
            None: every library track without a MusicBrainz id whose file this
            machine can read (after a library sync).
        redo: identify again files that already have an accepted match.
        write_tags: write accepted identifications (titles, numbers, MusicBrainz
            ids) into the files, so the next library sync and ``enrich`` see them.

    Returns:
        The run id, its counts, and the error that stopped it (a refused key).
    """
    batches = f.plan(paths, redo)
    total = sum(len(files) for batch in batches for files in batch.values())
    run_id = f.open_run(total)
    counts = {"files_done": 0, "accepted": 0, "review": 0, "no_match": 0}
    progress.report(LABEL, 0, total)
    try:
        for batch in batches:
            done = f.identify_batch(run_id, batch, write_tags)
            counts = {k: counts[k] + done[k] for k in counts}
            progress.report(LABEL, counts["files_done"], total)
    except ConnectorError as exc:
        f.close_run(run_id, str(exc))
        return {"run_id": run_id, **counts, "error": str(exc)}
    f.close_run(run_id)
    return {"run_id": run_id, **counts, "error": None}
