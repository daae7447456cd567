"""Waiting for a starting Prefect server (``medialake server start``, the first command
of a session) leaves the CPU to the server: it asks the health check only once the port
accepts connections, instead of an httpx request (about 24 ms of CPU) ten times a
second for the 10-30 s a first start takes on 2 cores."""

from __future__ import annotations

import http.server
import os
import threading
import time

from medialake.prefect_server import _wait_healthy, free_port
from tests.prefect_health import health_server


def test_waiting_for_a_slow_start_costs_little_cpu_and_sees_it_answer() -> None:
    port = free_port()
    servers: list[http.server.ThreadingHTTPServer] = []

    def start_late() -> None:
        time.sleep(2.0)  # the server's imports and migrations
        servers.append(health_server(port))

    threading.Thread(target=start_late, daemon=True).start()
    cpu = time.process_time()
    started = time.monotonic()
    try:
        assert _wait_healthy(f"http://127.0.0.1:{port}/api", os.getpid(), timeout_s=30)
        waited = time.monotonic() - started
        used = time.process_time() - cpu  # this process: the waiter and the server
    finally:
        for server in servers:
            server.shutdown()
    assert 2.0 <= waited < 10.0
    assert used < 0.2, f"{used:.2f} CPU-s to wait {waited:.1f} s"
