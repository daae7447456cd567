"""A data folder whose warehouse is filled by a real sync of the sample library.

Three filesystem servers: ``local`` (the whole sample library), ``mirror`` (one album of
it plus a second copy of one track, so tracks are shared across servers and duplicated
within one) and ``gone`` (a root that does not exist, so its run is suspect). Play
events are then added as a server with play history would report them (a folder has
none). ``tests.dashboards.filled`` builds it once per session; a test that changes it
works on :func:`copy_home`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.lake import catalog, copy_lake

MIRROR_ALBUM = Path("Music") / "Mañana Eléctrica" / "Señales (2019)"
PLAY_USERS = ("alice", "bob")
PLAY_DAYS = 10


@dataclass(frozen=True)
class FilledHome:
    """The data folder and what went into it."""

    home: Path
    sample_root: Path
    mirror_root: Path
    plays: int

    @property
    def warehouse(self) -> Path:
        """The warehouse's SQLite catalog."""
        return catalog(self.home)


def write_settings(home: Path, servers: dict[str, Path]) -> None:
    """A ``medialake.toml`` declaring filesystem servers (so subprocesses see them)."""
    home.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, root in servers.items():
        lines += [
            f"[servers.{name}]",
            'kind = "filesystem"',
            f"roots = [{str(root)!r}]",
            "",
        ]
    (home / "medialake.toml").write_text("\n".join(lines), encoding="utf-8")


def _mirror(sample_root: Path, dest: Path) -> Path:
    album = dest / MIRROR_ALBUM
    shutil.copytree(sample_root / MIRROR_ALBUM, album)
    first = sorted(album.iterdir())[0]
    extra = dest / "Music" / "Mañana Eléctrica" / "Extras"
    extra.mkdir(parents=True)
    shutil.copy2(first, extra / first.name)
    return dest


def _add_plays(home: Path) -> int:
    """Play events for 20 local tracks over ten days, two users (set-based insert)."""
    from warehouse.db import Warehouse
    from warehouse.queries import jobs

    start = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)
    wh = Warehouse(catalog(home))
    with wh.write() as con:
        con.execute(
            """
            INSERT INTO play_events (server_id, user_name, item_native_id, played_at)
            SELECT 'local', u.name, t.native_id,
              $start + to_days(CAST(d.day AS INTEGER))
                + to_minutes(CAST(t.n AS INTEGER))
            FROM (SELECT native_id, row_number() OVER (ORDER BY native_id) AS n
                  FROM tracks WHERE server_id = 'local' ORDER BY native_id LIMIT 20) t,
                 (SELECT unnest($users) AS name) u,
                 range($days) d(day)
            WHERE (t.n + d.day) % 3 = 0
            """,
            {"start": start, "users": list(PLAY_USERS), "days": PLAY_DAYS},
        )
        con.execute("UPDATE tracks SET play_count = 7 WHERE server_id = 'mirror'")
        jobs.record_job(
            con,
            "sample-job",
            "library-sync-full",
            {"mode": "full"},
            "embedded",
            requested_by="tests",
        )
        jobs.finish_job(con, "sample-job", "succeeded", exit_code=0)
        rows = con.execute("SELECT count(*) FROM play_events").fetchall()
    return int(rows[0][0])


def build(tmp: Path, sample_root: Path) -> FilledHome:
    """Sync the three servers for real and add plays; return the data folder."""
    from flows.library_sync import library_sync
    from tasks.context import reset

    home = tmp / "home"
    mirror = _mirror(sample_root, tmp / "mirror")
    write_settings(home, {"local": sample_root, "mirror": mirror, "gone": tmp / "gone"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MEDIALAKE_HOME", str(home))
        reset()
        try:
            library_sync(mode="full")
        finally:
            reset()
    return FilledHome(home, sample_root, mirror, _add_plays(home))


def copy_home(filled: FilledHome, dest: Path) -> FilledHome:
    """A private copy of the filled data folder (same settings, same roots)."""
    home = dest / "home"
    home.mkdir(parents=True)
    copy_lake(filled.home, home)
    shutil.copy2(filled.home / "medialake.toml", home / "medialake.toml")
    return FilledHome(home, filled.sample_root, filled.mirror_root, filled.plays)
