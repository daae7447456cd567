"""Benchmark: five browsers in one watch session, against a naive baseline.

Five headless Chromium members (Debian's ``chromium``) join one session on a real
``medialake serve`` playing a generated HLS film: one host on a clean link, three with
50-300 ms of latency and jitter on their WebSocket, one with a clock 5 s ahead (the
same faults as the tests, see ``tests/playback/sessions/harness.py``). Positions are
read from every page against the real clock, never from the sync code's own estimates.

Prints, all measured in this run (p50/p95/max):

- the position spread across the five members while playing (target p95 < 100 ms);
- the time until all five are within 100 ms of each other after a seek (target < 2 s);
- the time from starting a restarted service until all five are in sync again (target
  < 5 s), and how long the process itself took to answer;
- the same spread and seek figures for a baseline in the same run: the same code with
  no scheduled start, no clock sync use and no drift correction (every member starts
  when the message reaches it), and the ratio baseline/synced.

    uv run python -m bench.sessions [--play 15] [--seeks 5] [--restarts 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.playback.sessions import harness as h
from tests.playback.sessions.stack import Service, make_home

# Start on receipt, no correction: what a sync without this feature does.
NAIVE = {
    "MEDIALAKE_SESSIONS_MIN_LEAD_MS": "0",
    "MEDIALAKE_SESSIONS_MAX_LEAD_MS": "0",
    "MEDIALAKE_SESSIONS_LEAD_MARGIN_MS": "0",
    "MEDIALAKE_SESSIONS_DRIFT_SMALL_MS": "1000000",
    "MEDIALAKE_SESSIONS_DRIFT_LARGE_MS": "1000000",
}
SEEK_TIMEOUT_S = 6.0


def fmt(values: list[float], unit: str = "ms") -> str:
    """p50/p95/max of seconds, shown in ``ms`` or ``s``."""
    if not values:
        return "no samples"
    stats = h.percentiles(values)  # milliseconds
    k = 1.0 if unit == "ms" else 0.001
    return (
        f"p50 {stats['p50'] * k:7.2f} {unit}  p95 {stats['p95'] * k:7.2f} {unit}"
        f"  max {stats['max'] * k:7.2f} {unit}  (n={stats['n']})"
    )


def open_group(browser: Any, session: dict[str, Any]) -> list[h.Member]:
    members = h.open_group(browser, session)
    h.wait_until(lambda: all(m.sample()["ready"] >= 3 for m in members), 30)
    return members


def seek_times(
    service: Service, sid: str, members: list[h.Member], seeks: int, duration: float
) -> tuple[list[float], int]:
    """Seconds to converge after each seek; and how many never did."""
    found, failed = [], 0
    for n in range(seeks):
        target = 3.0 + (n * 7.0) % max(1.0, duration - 15)
        members[0].request("seek", target)
        try:
            found.append(h.converge_time(members, 0.1, timeout_s=SEEK_TIMEOUT_S))
        except AssertionError:
            failed += 1
        time.sleep(1.0)
    return found, failed


def restart_times(
    service: Service, sid: str, members: list[h.Member], restarts: int
) -> tuple[list[float], list[float]]:
    """(until converged, until the process answered) for each restart, seconds."""
    converged, healthy = [], []
    for _ in range(restarts):
        service.control(sid, "seek", position=2.0)
        service.control(sid, "play")
        h.converge_time(members, 0.1, timeout_s=10)
        service.stop()
        time.sleep(1.0)
        began = time.monotonic()
        healthy.append(service.start())
        h.wait_until(lambda: all(m.info()["connected"] for m in members), 15)
        h.converge_time(members, 0.1, timeout_s=15)
        converged.append(time.monotonic() - began)
    return converged, healthy


def run(
    home: Path, asset: str, env: dict[str, str], args: argparse.Namespace, label: str
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    service = Service(home, asset, env_extra=env)
    service.start()
    figures: dict[str, Any] = {}
    try:
        session = service.create()
        sid = session["session_id"]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=h.CHROMIUM, args=h.ARGS)
            members = open_group(browser, session)
            members[0].request("play")
            time.sleep(3.0)
            figures["spread"] = h.measure_spread(members, args.play)
            figures["seeks"] = seek_times(
                service, sid, members, args.seeks, args.seconds
            )
            if args.restarts and not env:
                figures["restarts"] = restart_times(
                    service, sid, members, args.restarts
                )
            browser.close()
    finally:
        service.stop()
    print(f"{label}:")
    print(f"  spread while playing      {fmt(figures['spread'])}")
    seeks, failed = figures["seeks"]
    note = (
        f"; {failed} of {args.seeks} not within {SEEK_TIMEOUT_S:g} s" if failed else ""
    )
    print(f"  in sync after a seek      {fmt(seeks, 's')}{note}")
    if "restarts" in figures:
        converged, healthy = figures["restarts"]
        print(f"  in sync after a restart   {fmt(converged, 's')}")
        print(f"    (service answering after {fmt(healthy, 's')})")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--play", type=float, default=15.0, help="seconds of spread")
    parser.add_argument("--seeks", type=int, default=5)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0, help="film length")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="medialake-bench-sessions-"))
    try:
        home, asset = make_home(work, seconds=args.seconds)
        print(
            f"five members, 50-300 ms jitter on three, one clock +5 s;"
            f" {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
        )
        synced = run(home, asset, {}, args, "synced (defaults)")
        naive = run(home, asset, NAIVE, args, "baseline (start on receipt, no sync)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = h.percentiles(naive["spread"])["p95"]
    ours = h.percentiles(synced["spread"])["p95"]
    print(f"spread p95: baseline {base:.1f} ms / synced {ours:.1f} ms", end="")
    print(f" = {base / ours:.1f}x")


if __name__ == "__main__":
    main()
