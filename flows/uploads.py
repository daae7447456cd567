"""The ``upload`` flow: a member's upload, staged by the dashboard, is verified,
moved into the library, synced and identified.

Identification is the ``enrich`` flow's (guessit and TMDb or MusicBrainz with the
same confidence rules), run on what is new; a file TMDb does not know stays in the
library unidentified, with its reason in ``identities``, like any other.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.enrich import enrich
from flows.library_sync import library_sync
from tasks import uploads as t
from tasks.flow_runs import recorded_run
from tasks.notify import on_flow_failure


@flow(name="upload", log_prints=True, on_failure=[on_flow_failure])
@recorded_run
def upload(staged: str = "", name: str = "", identify: bool = True) -> dict[str, Any]:
    """Land one staged upload.

    Args:
        staged: the file the dashboard wrote into the uploads staging folder.
        name: the file's name on the member's computer (guessit reads it).
        identify: probe and identify it at once (else the next ``enrich`` does).

    Returns:
        Where it landed, what the servers answered and the enrichment summary.

    Raises:
        UploadRefused: no staged file was given, or it is not audio or video.
    """
    if not staged or not name:
        raise t.UploadRefused("the upload flow needs the staged file and its name")
    landed = t.land(staged, name)
    servers = t.servers_holding(landed["path"])
    for server in servers:
        library_sync(server=server, mode="incremental")
    summary = enrich(probe=True, identify=True) if identify and servers else None
    return {**landed, "synced": servers, "enrich": summary}
