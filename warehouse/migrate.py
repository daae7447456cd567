"""Numbered SQL migrations and the analytics views.

``migrations/NNN_name.sql`` files are applied in order, each in the same transaction as
its row in ``schema_migrations``; ``views/*.sql`` are (re)created after them when their
text changed (a fingerprint in ``schema_state``), so a view always matches the code that
ships it. The macros (``views/00_macros.sql``, which use no table) are created first, so
a migration may use them. A warehouse that is up to date is only read: starting a
process takes no write lock.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from warehouse.db import Warehouse

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VIEWS_DIR = Path(__file__).with_name("views")
MACROS = VIEWS_DIR / "00_macros.sql"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_VIEWS_KEY = "views_fingerprint"


def migrations() -> list[tuple[int, str, Path]]:
    """Every migration file as (version, name, path), in order."""
    found = []
    for path in MIGRATIONS_DIR.iterdir():
        match = _NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), match.group(2), path))
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError("two migrations share a version number")
    return sorted(found)


def views_fingerprint() -> str:
    """A hash of every view and macro file this version ships."""
    digest = hashlib.sha256()
    for view in sorted(VIEWS_DIR.glob("*.sql")):
        digest.update(view.name.encode() + b"\0" + view.read_bytes())
    return digest.hexdigest()


def _up_to_date(con: duckdb.DuckDBPyConnection) -> bool:
    try:
        applied = {v for (v,) in con.execute(_APPLIED).fetchall()}
        rows = con.execute(_FINGERPRINT, [_VIEWS_KEY]).fetchall()
    except duckdb.CatalogException:
        return False  # a new warehouse, or one from before schema_state
    wanted = {v for v, _, _ in migrations()}
    return wanted <= applied and rows == [(views_fingerprint(),)]


_APPLIED = "SELECT version FROM schema_migrations"
_FINGERPRINT = "SELECT value FROM schema_state WHERE name = ?"


def migrate(warehouse: Warehouse) -> list[int]:
    """Apply pending migrations and recreate changed views; return the versions
    applied."""
    if warehouse.location.exists():
        with warehouse.read() as con:
            if _up_to_date(con):
                return []
    with warehouse.write() as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER NOT NULL, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        applied = {row[0] for row in con.execute(_APPLIED).fetchall()}
        done = []
        con.execute(MACROS.read_text(encoding="utf-8"))
        for version, name, path in migrations():
            if version in applied:
                continue
            con.execute(path.read_text(encoding="utf-8"))
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [version, name],
            )
            done.append(version)
        fingerprint = views_fingerprint()
        if done or con.execute(_FINGERPRINT, [_VIEWS_KEY]).fetchall() != [
            (fingerprint,)
        ]:
            for view in sorted(VIEWS_DIR.glob("*.sql")):
                con.execute(view.read_text(encoding="utf-8"))
            con.execute("DELETE FROM schema_state WHERE name = ?", [_VIEWS_KEY])
            con.execute(
                "INSERT INTO schema_state (name, value) VALUES (?, ?)",
                [_VIEWS_KEY, fingerprint],
            )
    return done
