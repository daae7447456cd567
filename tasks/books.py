"""Prefect tasks of books: scan a books root in batches, and add manual records.

A scan lists the root (``os.walk`` and ``stat``), reads only the files that are new or
whose size or modification time changed, and merges them batch by batch, adding to its
``book_scans`` row after each batch (the dashboard's progress). Files the root no
longer holds are marked removed; a root that is missing or empty removes nothing (a
disconnected share must not empty the shelf). A file that cannot be read is recorded
with its reason (title: its file name) instead of stopping the scan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.books.read import BookUnreadable, list_files, read_book
from medialake import progress
from medialake.runtime import settings
from tasks.context import flow_run_id, logger, warehouse
from warehouse import reading


def books_roots(roots: list[str] | None = None) -> list[Path]:
    """The roots to scan: those given, else ``[books] roots``, else
    ``<library>/Books`` when that folder exists (no books configured: no scan)."""
    if roots:
        return [Path(r).expanduser().absolute() for r in roots]
    current = settings()
    default = current.library_root / "Books"
    return list(current.books.roots) or ([default] if default.is_dir() else [])


def book_row(path: Path, size: int, mtime: float) -> dict[str, Any]:
    """The ``books`` row of one file (its error when it cannot be read)."""
    row: dict[str, Any] = {
        "book_id": reading.book_id_for_path(str(path)),
        "origin": "file",
        "path": str(path),
        "format": path.suffix.lower().lstrip("."),
        "size": size,
        "mtime": mtime,
    }
    try:
        meta = read_book(path)
    except (BookUnreadable, OSError) as exc:
        return {**row, "title": path.stem, "error": str(exc)}
    return {
        **row,
        "title": meta.title or path.stem,
        "authors": meta.authors,
        "language": meta.language,
        "series": meta.series,
        "series_index": meta.series_index,
        "publisher": meta.publisher,
        "published": meta.published,
        "identifiers": meta.identifiers or None,
        "isbn": meta.isbn,
        "pages": meta.pages,
    }


@task(name="books-scan", cache_policy=NO_CACHE)
def scan_root(root: str) -> dict[str, Any]:
    """Scan one books root: new and changed files read and merged, vanished ones
    removed; returns the scan's counts."""
    path = Path(root)
    wh = warehouse()
    try:
        files = list_files(path)
    except FileNotFoundError as exc:
        with wh.write() as con:
            scan_id = reading.start_book_scan(con, root, 0, flow_run_id())
            reading.update_book_scan(con, scan_id, "failed", error=str(exc))
        return {"root": root, "status": "failed", "error": str(exc)}
    with wh.read() as con:
        known = reading.known_books(con, root)
    todo = [f for f in files if _changed(known.get(str(f[0])), f[1], f[2])]
    with wh.write() as con:
        scan_id = reading.start_book_scan(con, root, len(todo), flow_run_id())
    counts = {"added": 0, "updated": 0, "unreadable": 0, "files_done": 0}
    batch = settings().books.batch_size
    for start in range(0, len(todo), batch):
        rows = [book_row(*f) for f in todo[start : start + batch]]
        with wh.write() as con:
            merged = reading.merge_books(con, rows)
            step = {
                "files_done": len(rows),
                "added": merged.added,
                "updated": merged.updated,
                "unreadable": sum(1 for r in rows if r.get("error")),
            }
            reading.update_book_scan(con, scan_id, None, **step)
        counts = {k: counts[k] + step[k] for k in counts}
        progress.report(f"books {path.name}", counts["files_done"], len(todo))
    gone = [p for p, (_, _, removed) in known.items() if not removed]
    gone = sorted(set(gone) - {str(f[0]) for f in files}) if files else []
    with wh.write() as con:
        removed = reading.mark_books_removed(con, gone)
        reading.update_book_scan(con, scan_id, "succeeded", removed=removed)
    logger().info("books %s: %s, %s removed", root, counts, removed)
    return {"root": root, "status": "succeeded", **counts, "removed": removed}


def _changed(known: tuple[Any, ...] | None, size: int, mtime: float) -> bool:
    if known is None:
        return True
    old_size, old_mtime, removed = known
    return bool(removed) or old_size != size or old_mtime != mtime


@task(name="books-add-manual", cache_policy=NO_CACHE)
def add_manual(records: list[dict[str, Any]]) -> list[str]:
    """Add or update manual records (books without a file); their ids.

    Raises:
        ValueError: a record has no title.
    """
    rows: list[dict[str, Any]] = []
    for record in records:
        title = str(record.get("title") or "").strip()
        if not title:
            raise ValueError("a manual book record needs a title")
        authors = [a.strip() for a in record.get("authors") or [] if a.strip()]
        isbn = (record.get("isbn") or "").replace("-", "").strip() or None
        rows.append(
            {
                **{k: record.get(k) for k in ("language", "series", "publisher")},
                **{k: record.get(k) for k in ("series_index", "published", "notes")},
                "book_id": reading.book_id_manual(title, authors),
                "origin": "manual",
                "title": title,
                "authors": authors,
                "isbn": isbn,
                "identifiers": {"isbn": isbn} if isbn else None,
            }
        )
    with warehouse().write() as con:
        reading.merge_books(con, rows)
    return [str(r["book_id"]) for r in rows]
