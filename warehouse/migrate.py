"""Numbered SQL migrations and the analytics views.

``migrations/NNN_name.sql`` files are applied in order, each in the same transaction as
its row in ``schema_migrations``; ``views/*.sql`` are (re)created after them, so a view
always matches the code that ships it. The macros (``views/00_macros.sql``, which use
no table) are created first too, so a migration may use them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warehouse.db import Warehouse

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VIEWS_DIR = Path(__file__).with_name("views")
MACROS = VIEWS_DIR / "00_macros.sql"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


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


def migrate(warehouse: Warehouse) -> list[int]:
    """Apply pending migrations and recreate the views; return the versions applied."""
    with warehouse.write() as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        applied = {
            row[0]
            for row in con.execute("SELECT version FROM schema_migrations").fetchall()
        }
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
        for view in sorted(VIEWS_DIR.glob("*.sql")):
            con.execute(view.read_text(encoding="utf-8"))
    return done
