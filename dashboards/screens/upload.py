"""Upload: a member adds a film, an episode or a song to the library.

The browser sends the file to Streamlit, which refuses it by its declared size before
reading it when it is over ``dashboard.max_upload_mb`` (``server.maxUploadSize``, set
by ``medialake dashboard`` and ``medialake up``). The page then copies it into the
uploads staging folder (counted again against the limit), checks it by content (a text
file named ``.mp4`` is refused at once, with the reason) and starts the ``upload``
flow, which moves it into the library, syncs and identifies it.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data
from jobs import control as controls
from medialake.runtime import settings
from tasks.uploads import UploadRefused, stage

CHUNK = 1 << 20


def main() -> None:
    """Render the page."""
    st.title("Upload")
    limit_mb = settings().dashboard.max_upload_mb
    st.caption(
        f"Films, episodes and music up to {limit_mb} MB. Name a film as its release"
        " is named (`Fight.Club.1999.1080p.BluRay.x264-GROUP.mkv` or `Fight Club"
        " (1999).mkv`) so it is identified; songs are named from their tags."
    )
    sent = st.file_uploader("File", max_upload_size=limit_mb)
    if sent is None or not st.button("Add to the library"):
        return
    try:
        staged = stage(iter(lambda: sent.read(CHUNK), b""), sent.size)
    except UploadRefused as exc:
        st.error(f"Not added: {data.md(exc)}")
        return
    started = data.guard(
        lambda: controls.start(
            controls.find_spec("upload"), {"staged": str(staged), "name": sent.name}
        )
    )
    if started is not None:
        st.success(
            f"{data.md(sent.name)} is checked and on its way into the library"
            f" (job {data.md(started.job_id)}); it appears in the Library once it is"
            " synced and identified."
        )


main()
