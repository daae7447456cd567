"""The in-process gate (the engine's default without Prefect): slots bounded across
engines of one process, a full source says so after its timeout, requests spaced."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from connectors.downloads.gate import LocalGate
from medialake.settings import DownloadsSettings


def test_slots_hold_across_gates_of_one_process_and_time_out() -> None:
    settings = DownloadsSettings(concurrency={"gate-test": 1})
    first, second = LocalGate(settings), LocalGate(settings)

    with first.slot("gate-test", 1.0):
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="gate-test"):
            with second.slot("gate-test", 0.2):
                pass
        assert time.monotonic() - started >= 0.2
    with second.slot("gate-test", 0.2):  # given back: free again
        pass


def test_requests_of_a_paced_source_are_spaced() -> None:
    gate = LocalGate(DownloadsSettings(min_interval_s={"paced": 0.2}))
    starts: list[float] = []

    def request() -> None:
        gate.pace("paced")
        starts.append(time.monotonic())

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    started = time.monotonic()
    gate.pace("unpaced")

    assert time.monotonic() - started < 0.05
    gaps = [b - a for a, b in itertools.pairwise(sorted(starts))]
    assert len(gaps) == 3
    assert min(gaps) >= 0.19, gaps
