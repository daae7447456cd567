"""Benchmark: what recording a flow run costs (``tasks.flow_runs.recorded_run``).

    uv run python -m bench.flow_runs [--runs 200]

Runs a flow body that does one small warehouse write (what the lightest flows do) with
and without the wrapper, in the same process on a fresh embedded warehouse in a
temporary data folder, and prints the median and p95 per run of both, the wrapper's
added time per run and the ratio. The wrapper adds two small transactions per run (the
``running`` row with the check for interrupted runs, and the final row), and the growth
of ``flow_runs`` itself (one row per run) is part of the figure. Outside a Prefect run,
so Prefect's own per-run cost (seconds) is not in it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


def _body() -> None:
    from tasks.context import warehouse

    with warehouse().write() as con:
        con.execute(
            "INSERT INTO sync_state (server_id, key, value, updated_at)"
            " VALUES ('bench', 'tick', '1', ?)",
            [datetime.now(UTC)],
        )


def _times(fn: Callable[[], None], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _summary(name: str, times: list[float]) -> tuple[float, float]:
    median = statistics.median(times) * 1000
    p95 = statistics.quantiles(times, n=20)[-1] * 1000
    print(f"{name:<28} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    return median, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["MEDIALAKE_HOME"] = home
        from tasks.context import reset, warehouse
        from tasks.flow_runs import recorded_run

        reset()
        warehouse()  # migrated once, outside the timings
        wrapped = recorded_run(_body)
        _times(_body, 5)
        _times(wrapped, 5)  # warm both paths
        base = _times(_body, args.runs)
        recorded = _times(wrapped, args.runs)
        base_median, _ = _summary("flow body alone (baseline)", base)
        rec_median, _ = _summary("flow body, recorded", recorded)
        print(
            f"recording adds {rec_median - base_median:.2f} ms per run (median);"
            f" ratio {rec_median / base_median:.2f}x the bare body"
            f" ({args.runs} runs each)"
        )
        reset()


if __name__ == "__main__":
    main()
