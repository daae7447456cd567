"""Collections: named, ordered, manual groups of library items (tracks, movies,
episodes, shows), each owned by one user.

Every signed-in member may read every collection (a household shares them); only the
owner or an admin changes one. An edit replaces the whole ordered list of items in one
transaction: the items are staged as one frame and MERGEd on the key
``(collection_id, server_id, native_id)``, and the items no longer listed are deleted,
so sending the same list twice changes nothing. Items must be in the library (not
removed) when they are added. SQL readers use the ``collection_entries`` view.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

import polars as pl

from warehouse.queries import records
from warehouse.upsert import merge_frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

MAX_NAME_CHARS = 200
MAX_ITEMS = 10_000
ITEM_KEY = ("collection_id", "server_id", "native_id")
# Where an item may come from: tables keyed by (server_id, native_id).
_ITEM_TABLES = ("tracks", "movies", "episodes", "shows")


class CollectionError(ValueError):
    """A collection change that cannot be done; the message says why."""


class NotAllowed(CollectionError):
    """The user may not change this collection (not its owner, not an admin)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(name: str) -> str:
    label = " ".join(name.split())
    if not label or len(label) > MAX_NAME_CHARS:
        raise CollectionError(f"collection name: 1-{MAX_NAME_CHARS} characters")
    return label


def list_collections(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every collection: id, name, owner, how many items, when changed; by name."""
    return records(
        con,
        """SELECT c.collection_id, c.name, u.username AS owner, c.updated_at,
             (SELECT count(*) FROM collection_items i
              WHERE i.collection_id = c.collection_id)::INTEGER AS items
           FROM collections c LEFT JOIN users u ON u.user_id = c.user_id
           WHERE c.removed_at IS NULL ORDER BY lower(c.name), c.collection_id""",
    )


def get_collection(
    con: duckdb.DuckDBPyConnection, collection_id: str
) -> dict[str, Any] | None:
    """One collection with its items in order (each with kind and title when it is
    still in the library), or None."""
    found = records(
        con,
        """SELECT c.collection_id, c.name, u.username AS owner, c.user_id,
             c.created_at, c.updated_at
           FROM collections c LEFT JOIN users u ON u.user_id = c.user_id
           WHERE c.collection_id = $c AND c.removed_at IS NULL""",
        {"c": collection_id},
    )
    if not found:
        return None
    items = records(
        con,
        "SELECT position, server_id, native_id, item_kind, title"
        " FROM collection_entries WHERE collection_id = $c ORDER BY position",
        {"c": collection_id},
    )
    return {**found[0], "items": items}


def _owned(
    con: duckdb.DuckDBPyConnection, collection_id: str, user_id: str, admin: bool
) -> None:
    row = con.execute(
        "SELECT user_id FROM collections WHERE collection_id = ?"
        " AND removed_at IS NULL",
        [collection_id],
    ).fetchone()
    if row is None:
        raise CollectionError(f"no collection {collection_id!r}")
    if row[0] != user_id and not admin:
        raise NotAllowed("only the collection's owner or an admin may change it")


def _check_items(
    con: duckdb.DuckDBPyConnection, items: Sequence[tuple[str, str]]
) -> pl.DataFrame:
    """The items as a frame in order (duplicates keep their first place); raises
    :class:`CollectionError` naming the ones not in the library."""
    if len(items) > MAX_ITEMS:
        raise CollectionError(f"at most {MAX_ITEMS} items in a collection")
    wanted = pl.DataFrame(
        {
            "server_id": [str(s) for s, _ in items],
            "native_id": [str(n) for _, n in items],
        },
        schema={"server_id": pl.String(), "native_id": pl.String()},
    ).unique(maintain_order=True)
    if wanted.height == 0:
        return wanted
    con.register("_wanted_items", wanted.to_arrow())
    try:
        known = " UNION ALL ".join(
            f"SELECT server_id, native_id FROM {t} WHERE removed_at IS NULL"
            " AND (server_id, native_id) IN (SELECT (server_id, native_id)"
            " FROM _wanted_items)"
            for t in _ITEM_TABLES
        )
        missing = con.execute(
            f"SELECT w.server_id, w.native_id FROM _wanted_items w"
            f" ANTI JOIN ({known}) k USING (server_id, native_id)"
        ).fetchall()
    finally:
        con.unregister("_wanted_items")
    if missing:
        shown = ", ".join(f"{s}/{n}" for s, n in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise CollectionError(f"not in the library: {shown}{more}")
    return wanted


def _write_items(
    con: duckdb.DuckDBPyConnection, collection_id: str, wanted: pl.DataFrame
) -> None:
    now = _now()
    staged = wanted.with_columns(
        pl.lit(collection_id).alias("collection_id"),
        pl.int_range(1, wanted.height + 1, dtype=pl.Int32).alias("position"),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("added_at"),
    )
    if staged.height:
        # added_at of an item already there is kept: only its position changes
        merge_frame(
            con,
            "collection_items",
            staged.drop("added_at").join(
                staged.select(*ITEM_KEY, "added_at"), on=list(ITEM_KEY)
            ),
            ITEM_KEY,
            soft_delete=False,
        )
    con.register("_kept_items", staged.select("server_id", "native_id").to_arrow())
    try:
        con.execute(
            "DELETE FROM collection_items WHERE collection_id = ?"
            " AND (server_id, native_id) NOT IN"
            " (SELECT (server_id, native_id) FROM _kept_items)",
            [collection_id],
        )
    finally:
        con.unregister("_kept_items")


def create_collection(
    con: duckdb.DuckDBPyConnection,
    user_id: str,
    name: str,
    items: Sequence[tuple[str, str]] = (),
) -> str:
    """A new collection owned by ``user_id`` with ``items`` (server id, native id) in
    order; returns its id. Call inside ``wh.write()``."""
    label = _name(name)
    wanted = _check_items(con, items)
    collection_id = secrets.token_hex(8)
    now = _now()
    con.execute(
        "INSERT INTO collections (collection_id, user_id, name, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?)",
        [collection_id, user_id, label, now, now],
    )
    _write_items(con, collection_id, wanted)
    return collection_id


def update_collection(
    con: duckdb.DuckDBPyConnection,
    collection_id: str,
    user_id: str,
    *,
    admin: bool = False,
    name: str | None = None,
    items: Sequence[tuple[str, str]] | None = None,
) -> None:
    """Rename a collection and/or replace its items (in the given order)."""
    _owned(con, collection_id, user_id, admin)
    if name is not None:
        con.execute(
            "UPDATE collections SET name = ? WHERE collection_id = ?",
            [_name(name), collection_id],
        )
    if items is not None:
        _write_items(con, collection_id, _check_items(con, items))
    con.execute(
        "UPDATE collections SET updated_at = ? WHERE collection_id = ?",
        [_now(), collection_id],
    )


def remove_collection(
    con: duckdb.DuckDBPyConnection,
    collection_id: str,
    user_id: str,
    *,
    admin: bool = False,
) -> None:
    """Remove a collection (kept, marked removed, like library rows)."""
    _owned(con, collection_id, user_id, admin)
    con.execute(
        "UPDATE collections SET removed_at = ?, updated_at = ? WHERE collection_id = ?",
        [_now(), _now(), collection_id],
    )
