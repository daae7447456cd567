"""Articles and books in the warehouse: set-based writes and the reads the UIs use.

Articles are merged on ``article_id`` (a hash of the canonical URL, so fetching the
same page again updates its row). Books are merged on ``book_id``; a scan of a books
root marks the files it no longer sees as removed (manual records are never touched by
a scan). A scan is a ``book_scans`` row whose counts grow batch by batch (the
dashboard's progress).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.upsert import UpsertCounts, merge_frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

ARTICLE_COLUMNS = (
    "article_id url title author published site language description word_count"
    " text markdown_path archive_path job_id".split()
)
BOOK_COLUMNS = (
    "book_id origin path format title authors language series series_index publisher"
    " published identifiers isbn pages size mtime error notes".split()
)
_BOOK_SCHEMA: dict[str, pl.DataType] = {
    "authors": pl.List(pl.String),
    "series_index": pl.Float64(),
    "pages": pl.Int32(),
    "size": pl.Int64(),
    "mtime": pl.Float64(),
}


def article_id(url: str) -> str:
    """The key of an article: a hash of its URL (scheme and host folded)."""
    head, sep, rest = url.strip().partition("://")
    host, slash, path = rest.partition("/")
    canonical = f"{head.lower()}{sep}{host.lower()}{slash}{path.split('#')[0]}"
    return hashlib.sha1(canonical.encode()).hexdigest()[:20]


def merge_articles(
    con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]
) -> UpsertCounts:
    """Upsert articles (``url``, ``title``, ``text``... ; the key is derived)."""
    records = [
        {c: r.get(c) for c in ARTICLE_COLUMNS} | {"article_id": article_id(r["url"])}
        for r in rows
    ]
    frame = pl.DataFrame(
        records, schema_overrides={"word_count": pl.Int32}, infer_schema_length=None
    )
    return merge_frame(con, "articles", frame, ("article_id",), soft_delete=False)


def search_articles(
    con: duckdb.DuckDBPyConnection, text: str = "", limit: int = 200
) -> pl.DataFrame:
    """Articles whose title, author, site or text holds ``text`` (all when empty)."""
    pattern = f"%{_escape_like(text.strip())}%"
    return con.execute(
        "SELECT title, author, site, published, word_count, url, markdown_path,"
        " archive_path, fetched_at, article_id FROM articles"
        " WHERE ? = '%%' OR title ILIKE ? ESCAPE '\\' OR author ILIKE ? ESCAPE '\\'"
        " OR site ILIKE ? ESCAPE '\\' OR text ILIKE ? ESCAPE '\\'"
        " ORDER BY fetched_at DESC LIMIT ?",
        [pattern, pattern, pattern, pattern, pattern, limit],
    ).pl()


def article_text(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """The main text of one article."""
    found = con.execute(
        "SELECT text FROM articles WHERE article_id = ?", [key]
    ).fetchone()
    return found[0] if found else None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- books ------------------------------------------------------------------------
def book_id_for_path(path: str) -> str:
    """The key of a book file."""
    return "f" + hashlib.sha1(path.encode()).hexdigest()[:19]


def book_id_manual(title: str, authors: Sequence[str]) -> str:
    """The key of a manual record: the same title and authors twice is one book."""
    basis = "|".join([title.casefold().strip(), *sorted(a.casefold() for a in authors)])
    return "m" + hashlib.sha1(basis.encode()).hexdigest()[:19]


def merge_books(
    con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]
) -> UpsertCounts:
    """Upsert book rows (files or manual records) on ``book_id``."""
    records = []
    for row in rows:
        record = {c: row.get(c) for c in BOOK_COLUMNS}
        if isinstance(record["identifiers"], dict):
            record["identifiers"] = json.dumps(record["identifiers"], sort_keys=True)
        record["authors"] = list(record["authors"] or [])
        records.append(record)
    frame = pl.DataFrame(
        records, schema_overrides=_BOOK_SCHEMA, infer_schema_length=None
    )
    return merge_frame(con, "books", frame, ("book_id",))


def known_books(con: duckdb.DuckDBPyConnection, root: str) -> dict[str, tuple]:
    """The files already recorded under ``root``: path -> (size, mtime, removed)."""
    prefix = root.rstrip("/") + "/"
    found = con.execute(
        "SELECT path, size, mtime, removed_at IS NOT NULL FROM books"
        " WHERE origin = 'file' AND starts_with(path, ?)",
        [prefix],
    ).fetchall()
    return {path: (size, mtime, removed) for path, size, mtime, removed in found}


def mark_books_removed(con: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> int:
    """Mark the files of ``paths`` removed (they vanished from their root)."""
    if not paths:
        return 0
    con.register("_gone_books", pl.DataFrame({"path": list(paths)}).to_arrow())
    try:
        found = con.execute(
            "UPDATE books SET removed_at = now(), updated_at = now()"
            " WHERE origin = 'file' AND removed_at IS NULL"
            " AND path IN (SELECT path FROM _gone_books)"
        ).fetchone()
    finally:
        con.unregister("_gone_books")
    return int(found[0]) if found else 0


def start_book_scan(
    con: duckdb.DuckDBPyConnection, root: str, total: int, flow_run_id: str | None
) -> str:
    """A running scan row; its id."""
    scan_id = uuid.uuid4().hex[:16]
    con.execute(
        "INSERT INTO book_scans (scan_id, root, status, files_total, flow_run_id)"
        " VALUES (?, ?, 'running', ?, ?)",
        [scan_id, root, total, flow_run_id],
    )
    return scan_id


def update_book_scan(
    con: duckdb.DuckDBPyConnection,
    scan_id: str,
    status: str | None = None,
    **counts: Any,
) -> None:
    """Add to a scan's counts (``files_done``, ``added``...); end it with ``status``."""
    allowed = {"files_done", "added", "updated", "removed", "unreadable"}
    sets = [f"{k} = {k} + ?" for k in counts if k in allowed]
    values = [v for k, v in counts.items() if k in allowed]
    if status is not None:
        sets += ["status = ?", "finished_at = now()"]
        values.append(status)
    if "error" in counts:
        sets.append("error = ?")
        values.append(counts["error"])
    if sets:
        con.execute(
            f"UPDATE book_scans SET {', '.join(sets)} WHERE scan_id = ?",
            [*values, scan_id],
        )


def search_books(
    con: duckdb.DuckDBPyConnection, text: str = "", limit: int = 500
) -> pl.DataFrame:
    """Books (not removed) whose title, authors or series hold ``text``."""
    pattern = f"%{_escape_like(text.strip())}%"
    return con.execute(
        "SELECT title, array_to_string(authors, ', ') AS authors, series,"
        " series_index, language, format, isbn, pages, published, origin, path,"
        " error, book_id FROM books WHERE removed_at IS NULL AND (? = '%%'"
        " OR title ILIKE ? ESCAPE '\\' OR array_to_string(authors, ' ') ILIKE ?"
        " ESCAPE '\\' OR series ILIKE ? ESCAPE '\\')"
        " ORDER BY coalesce(series, title), series_index, title LIMIT ?",
        [pattern, pattern, pattern, pattern, limit],
    ).pl()


def book_scans(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pl.DataFrame:
    """The latest scans of books roots, newest first."""
    return con.execute(
        "SELECT root, status, files_done, files_total, added, updated, removed,"
        " unreadable, error, started_at, finished_at FROM book_scans"
        " ORDER BY started_at DESC LIMIT ?",
        [limit],
    ).pl()
