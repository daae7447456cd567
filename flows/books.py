"""The ``books`` flow: scan the books roots (EPUB and PDF metadata into ``books``)
and add manual records for books without a file."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks import books as b
from tasks.flow_runs import recorded_run


@flow(name="books", log_prints=True)
@recorded_run
def books(
    roots: list[str] | None = None,
    manual: list[dict[str, Any]] | None = None,
    scan: bool = True,
) -> dict[str, Any]:
    """Add ``manual`` records, then scan ``roots`` (default: ``[books] roots``).

    Args:
        roots: folders of EPUB/PDF files; none: the configured roots.
        manual: ``{"title": ..., "authors": [...], "series": ..., "series_index":
            ..., "isbn": ..., "language": ..., "publisher": ..., "published": ...,
            "notes": ...}`` records of books without a file.
        scan: scan the roots (off: only add the manual records).

    Returns:
        The ids of the manual records and one result per root scanned.
    """
    added = b.add_manual(manual) if manual else []
    scans = [b.scan_root(str(r)) for r in b.books_roots(roots)] if scan else []
    return {"manual": added, "scans": scans}
