"""Copy a warehouse of the versions before DuckLake (one DuckDB file) into the lake.

The DuckDB this project pins (the last with DuckLake extensions) cannot open a file
written by a newer DuckDB: the previous release wrote ``medialake.duckdb`` with DuckDB
2.0. So the copy has two steps:

1. **Export**, in a subprocess: a Python whose ``duckdb`` can read the old file copies
   every table of it to a Parquet file in a temporary folder, with a ``manifest.json``
   of the tables, their columns and row counts. This interpreter is tried first (files
   of DuckDB 1.5 and older); when its DuckDB is too old for the file, the side
   environment ``.venv-legacy`` of the project (DuckDB 2.0, made by
   ``scripts/setup.sh``), or the Python named by ``MEDIALAKE_LEGACY_PYTHON``.
2. **Import**: every table of the export that the lake also has is copied in one write
   transaction, by column name (columns the old file lacks take their defaults), so the
   copy is all or nothing. A table that already has rows in the lake is left alone,
   which makes running the copy again safe.

The old file is only read. Only table data moves: the schema comes from the lake's own
migrations, and the views are recreated by them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from warehouse.db import WarehouseError
from warehouse.library import store_derived_keys

if TYPE_CHECKING:
    from warehouse.db import Warehouse

LEGACY_PYTHON_ENV = "MEDIALAKE_LEGACY_PYTHON"
LEGACY_VENV = ".venv-legacy"
MANIFEST = "manifest.json"
# the migrations' own records (schema_migrations, schema_state): each side keeps its own
_BOOKKEEPING = "schema_"
_TOO_NEW = 3  # the export script's exit status: this DuckDB cannot read that version

# Runs in the exporting interpreter, which may have nothing but duckdb installed.
# argv: the old file, the (empty) folder to write to. Exit 0: the folder holds one
# Parquet file per table and manifest.json (written last); 3: this DuckDB cannot read
# the file's storage version; anything else: another error, on stderr.
_EXPORT_SCRIPT = r"""
import json, os, sys


def export(source, dest):
    import duckdb

    try:
        con = duckdb.connect(
            source, read_only=True, config={"autoinstall_known_extensions": False}
        )
    except duckdb.Error as exc:
        text = str(exc)
        sys.stderr.write(text + "\n")
        return 3 if "database file with version number" in text else 2
    tables = []
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name ="
        " current_database() AND schema_name = 'main' AND NOT temporary"
        " ORDER BY table_name"
    ).fetchall()
    for (name,) in names:
        ident = 'main."' + name.replace('"', '""') + '"'
        columns = [
            c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name ="
                " current_database() AND schema_name = 'main' AND table_name = ?"
                " ORDER BY column_index", [name]
            ).fetchall()
        ]
        file = "%03d.parquet" % len(tables)
        target = os.path.join(dest, file).replace("'", "''")
        con.execute("BEGIN")  # the count and the copy see the same snapshot
        [(rows,)] = con.execute("SELECT count(*) FROM " + ident).fetchall()
        [(written,)] = con.execute(
            "COPY " + ident + " TO '" + target + "' (FORMAT parquet)"
        ).fetchall()
        con.execute("COMMIT")
        if written != rows:
            sys.stderr.write("%s: %d rows, %d written\n" % (name, rows, written))
            return 2
        tables.append({"name": name, "file": file, "rows": rows, "columns": columns})
    con.close()
    manifest = {"duckdb": duckdb.__version__, "tables": tables}
    with open(os.path.join(dest, "manifest.json"), "w", encoding="utf-8") as out:
        json.dump(manifest, out, indent=1)
    return 0


try:
    status = export(sys.argv[1], sys.argv[2])
except Exception as exc:
    sys.stderr.write((str(exc).strip() or type(exc).__name__) + "\n")
    status = 2
sys.exit(status)
"""


@dataclass
class LegacyCopy:
    """What a copy of the old warehouse did.

    Attributes:
        copied: rows copied per table (tables the old file had rows in).
        left_alone: tables the lake already had rows in, with the old file's rows
            of them, which were not copied.
        not_in_lake: tables of the old file this version has no table for, with
            their rows (not copied).
        dropped_columns: per table, the old file's columns this version has no
            column for (their values were not copied).
        duckdb: the DuckDB version that read the old file.
    """

    copied: dict[str, int] = field(default_factory=dict)
    left_alone: dict[str, int] = field(default_factory=dict)
    not_in_lake: dict[str, int] = field(default_factory=dict)
    dropped_columns: dict[str, list[str]] = field(default_factory=dict)
    duckdb: str = ""

    @property
    def total(self) -> int:
        """Rows copied in all."""
        return sum(self.copied.values())


def migrate_legacy_file(
    wh: Warehouse, legacy: Path, *, workdir: Path | None = None
) -> LegacyCopy:
    """Copy the old DuckDB file ``legacy`` into ``wh`` (export, then import).

    Args:
        workdir: where the temporary Parquet folder goes (default: the system's
            temporary folder); it is removed afterwards.

    Raises:
        WarehouseError: the file cannot be read, or a table cannot be copied; the
            lake is then unchanged.
    """
    if not legacy.is_file():
        raise WarehouseError(f"there is no old warehouse at {legacy}")
    with tempfile.TemporaryDirectory(prefix="medialake-legacy-", dir=workdir) as tmp:
        folder = Path(tmp)
        export_legacy_file(legacy, folder)
        return import_parquet_folder(wh, folder)


def export_legacy_file(legacy: Path, dest: Path) -> dict[str, Any]:
    """Write every table of the old file ``legacy`` to Parquet files in the empty
    folder ``dest``, in a subprocess whose DuckDB can read the file; return the
    manifest (also written to ``dest/manifest.json``)."""
    result = _run_export(Path(sys.executable), legacy, dest)
    if result.returncode == _TOO_NEW:
        first = _first_line(result.stderr)
        python = legacy_python()
        if python is None:
            raise WarehouseError(
                f"cannot read the old warehouse {legacy.name} with DuckDB "
                f"{duckdb.__version__} ({first}); it needs the side environment "
                f"{LEGACY_VENV} with the DuckDB that wrote it: run scripts/setup.sh, "
                f"or set {LEGACY_PYTHON_ENV} to a Python that has it"
            )
        _empty(dest)
        result = _run_export(python, legacy, dest)
    if result.returncode != 0:
        raise WarehouseError(
            f"cannot read the old warehouse {legacy.name}: "
            f"{_first_line(result.stderr) or f'exit status {result.returncode}'}"
        )
    return read_manifest(dest)


def legacy_python() -> Path | None:
    """The Python of the side environment that reads old warehouse files:
    ``MEDIALAKE_LEGACY_PYTHON``, else ``.venv-legacy/bin/python`` of the project (the
    folder of ``pyproject.toml``); None when there is none."""
    configured = os.environ.get(LEGACY_PYTHON_ENV)
    if configured:
        path = Path(configured).expanduser()
        if not path.exists():
            raise WarehouseError(
                f"{LEGACY_PYTHON_ENV} names {path}, which does not exist"
            )
        return path
    for root in _project_roots():
        python = root / LEGACY_VENV / "bin" / "python"
        if python.exists():
            return python
    return None


def _project_roots() -> list[Path]:
    """The project folders to look in: the checkout this package lives in, the
    configured project folder, and the working directory, nearest first."""
    starts = [Path(__file__).resolve().parent]
    configured = os.environ.get("MEDIALAKE_PROJECT_DIR")
    if configured:
        starts.append(Path(configured).resolve())
    starts.append(Path.cwd())
    roots: list[Path] = []
    for start in starts:
        for folder in (start, *start.parents):
            if (folder / "pyproject.toml").is_file():
                if folder not in roots:
                    roots.append(folder)
                break
    return roots


def _run_export(
    python: Path, legacy: Path, dest: Path
) -> subprocess.CompletedProcess[str]:
    # -I: nothing from PYTHONPATH or the user's site-packages, only the
    # interpreter's own environment and its duckdb
    try:
        return subprocess.run(
            [str(python), "-I", "-c", _EXPORT_SCRIPT, str(legacy), str(dest)],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise WarehouseError(
            f"cannot run {python} to read the old warehouse: {exc}"
        ) from None


def read_manifest(folder: Path) -> dict[str, Any]:
    """The tables of an export folder: ``manifest.json``, or for a folder without one
    (e.g. DuckDB's ``EXPORT DATABASE ... (FORMAT parquet)``) every ``<table>.parquet``
    with its row count."""
    path = folder / MANIFEST
    if path.exists():
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return manifest
    tables = []
    with duckdb.connect() as con:
        for file in sorted(folder.glob("*.parquet")):
            source = f"read_parquet({_literal(str(file))})"
            [(rows,)] = con.execute(f"SELECT count(*) FROM {source}").fetchall()
            described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
            columns = [row[0] for row in described]
            tables.append(
                {"name": file.stem, "file": file.name, "rows": rows, "columns": columns}
            )
    return {"duckdb": duckdb.__version__, "tables": tables}


def import_parquet_folder(wh: Warehouse, folder: Path) -> LegacyCopy:
    """Copy an export folder (one Parquet file per table) into ``wh`` in one write
    transaction: every table the lake has and that has no rows yet, by column name.

    Raises:
        WarehouseError: a table could not be copied whole; nothing was written.
    """
    manifest = read_manifest(folder)
    result = LegacyCopy(duckdb=str(manifest.get("duckdb", "")))
    with wh.write() as con:
        present = _columns(con)
        _copy_tables(con, folder, manifest, present, result)
        for derived in ("tracks", "media_files"):  # keys the old file did not store
            store_derived_keys(con, derived)
    return result


def _copy_tables(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    manifest: dict[str, Any],
    present: dict[str, list[str]],
    result: LegacyCopy,
) -> None:
    """Every table of the export that the lake has and that is empty, into it."""
    for table in manifest["tables"]:
        name, rows = str(table["name"]), int(table["rows"])
        if name.startswith(_BOOKKEEPING):
            continue
        if name not in present:
            if rows:
                result.not_in_lake[name] = rows
            continue
        old_cols = set(table["columns"])
        dropped = [c for c in table["columns"] if c not in present[name]]
        [(existing,)] = con.execute(f"SELECT count(*) FROM {_ident(name)}").fetchall()
        if existing:
            if rows:
                result.left_alone[name] = rows
            continue
        if not rows:
            continue
        if dropped:
            result.dropped_columns[name] = dropped
        cols = ", ".join(_ident(c) for c in present[name] if c in old_cols)
        source = _literal(str(folder / table["file"]))
        try:
            [(written,)] = con.execute(
                f"INSERT INTO {_ident(name)} ({cols})"
                f" SELECT {cols} FROM read_parquet({source})"
            ).fetchall()
        except duckdb.Error as exc:
            raise WarehouseError(
                f"cannot copy table {name} of the old warehouse: "
                f"{_first_line(str(exc))}"
            ) from None
        if written != rows:
            raise WarehouseError(
                f"table {name} of the old warehouse has {rows} rows but "
                f"{written} were read; nothing was copied"
            )
        result.copied[name] = written


def lake_is_empty(wh: Warehouse) -> bool:
    """No table of the lake (but the migrations' own records) has a row."""
    with wh.read() as con:
        for table in _columns(con):
            if table.startswith(_BOOKKEEPING):
                continue
            [(rows,)] = con.execute(f"SELECT count(*) FROM {_ident(table)}").fetchall()
            if rows:
                return False
    return True


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The lake's base tables (not views) and their columns, in order."""
    rows = con.execute(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c"
        " JOIN information_schema.tables t ON t.table_catalog = c.table_catalog"
        " AND t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_catalog = current_database() AND c.table_schema = 'main'"
        " AND t.table_type = 'BASE TABLE'"
        " ORDER BY c.table_name, c.ordinal_position"
    ).fetchall()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, []).append(column)
    return found


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def _empty(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()
