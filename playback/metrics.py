"""``GET /metrics``: Prometheus figures of the playback service and the pipeline.

Served with prometheus-client in the text exposition format. Two kinds of figure:

- read from the warehouse at scrape time (:mod:`warehouse.queries.metrics`), because
  flows run in other processes: scan throughput (items seen and seconds per server),
  flow runs and their seconds by flow and outcome, queue depths;
- kept by this process: watch sessions and their connected members (session
  concurrency), requests and playback errors (answers of 400 and more) by route.

Registered by :func:`install` with one call where the app is built, so the route and
its protection stay in one place.
"""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.responses import Response
from starlette.routing import Route

from warehouse.db import WarehouseError
from warehouse.queries import metrics as q

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from prometheus_client.metrics_core import Metric
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from warehouse.db import Warehouse

ROUTES = ("hls", "watch", "renew", "sessions", "metrics", "health")


class WarehouseCollector:
    """Figures read from the warehouse when Prometheus scrapes."""

    def __init__(self, warehouse: Callable[[], Warehouse]) -> None:
        self.warehouse = warehouse

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        up = GaugeMetricFamily(
            "medialake_warehouse_up", "1 when the warehouse answered this scrape"
        )
        try:
            with self.warehouse().read(10.0) as con:
                syncs = q.sync_totals(con)
                runs = q.flow_runs(con)
                queues = q.queue_depths(con)
        except (WarehouseError, OSError, RuntimeError):
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _sync_families(syncs)
        yield from _run_families(runs)
        depth = GaugeMetricFamily(
            "medialake_queue_depth", "Jobs queued or running now", labels=["queue"]
        )
        for name, value in queues.items():
            depth.add_metric([name], value)
        yield depth
        took = GaugeMetricFamily(
            "medialake_metrics_read_seconds", "Seconds this scrape spent reading"
        )
        took.add_metric([], time.perf_counter() - started)
        yield took


def _sync_families(syncs: list[dict[str, Any]]) -> Iterator[Metric]:
    seen = CounterMetricFamily(
        "medialake_sync_items_seen",
        "Items seen by finished syncs (rate over sync seconds = scan throughput)",
        labels=["server"],
    )
    seconds = CounterMetricFamily(
        "medialake_sync_seconds", "Seconds spent by finished syncs", labels=["server"]
    )
    last = GaugeMetricFamily(
        "medialake_sync_last_items_per_second",
        "Scan throughput of the last finished sync",
        labels=["server"],
    )
    for row in syncs:
        seen.add_metric([row["server"]], row["seen"])
        seconds.add_metric([row["server"]], row["seconds"])
        if row["last_rate"] is not None:
            last.add_metric([row["server"]], row["last_rate"])
    return iter((seen, seconds, last))


def _run_families(runs: list[dict[str, Any]]) -> Iterator[Metric]:
    count = CounterMetricFamily(
        "medialake_flow_runs",
        "Finished flow runs by flow and outcome (failed, suspect, succeeded ...)",
        labels=["flow", "status"],
    )
    seconds = CounterMetricFamily(
        "medialake_flow_run_seconds",
        "Seconds of finished flow runs by flow and outcome",
        labels=["flow", "status"],
    )
    for row in runs:
        count.add_metric([row["flow"], row["status"]], row["runs"])
        seconds.add_metric([row["flow"], row["status"]], row["seconds"])
    return iter((count, seconds))


class SessionCollector:
    """Session concurrency, from the sessions this process holds."""

    def __init__(self, sessions: Callable[[], dict[str, Any]]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        live = [s for s in self.sessions().values() if s.ended_at is None]
        active = GaugeMetricFamily(
            "medialake_watch_sessions_active", "Watch sessions not ended"
        )
        active.add_metric([], len(live))
        members = GaugeMetricFamily(
            "medialake_watch_session_members_connected",
            "Members connected to a watch session now",
        )
        members.add_metric(
            [], sum(1 for s in live for m in s.members.values() if m.connected)
        )
        yield active
        yield members


class Metrics:
    """The registry of one service process, its route and its request counting."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "medialake_playback_requests",
            "Requests answered by the playback service",
            ["route", "code"],
            registry=self.registry,
        )
        self.errors = Counter(
            "medialake_playback_errors",
            "Playback answers of 400 or more (denied, missing, failed)",
            ["route", "code"],
            registry=self.registry,
        )

    async def endpoint(self, request: Request) -> Response:
        """``GET /metrics`` in Prometheus's text format: for a scraper on this machine
        (a loopback client), or one that sends ``playback.metrics_token`` as a bearer
        token; anyone else gets 403."""
        if not self.allowed(request):
            return Response("forbidden: metrics need playback.metrics_token", 403)
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    def allowed(self, request: Request) -> bool:
        given = request.headers.get("authorization", "")
        if self.token and hmac.compare_digest(
            given.encode(), f"Bearer {self.token}".encode()
        ):
            return True
        host = request.client.host if request.client else ""
        return host in ("127.0.0.1", "::1", "localhost")

    def route(self) -> Route:
        return Route("/metrics", self.endpoint, methods=["GET"])

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """Count every answer by route and status code."""

        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def watch(message: Message) -> None:
                if message["type"] == "http.response.start":
                    self.observe(scope.get("path", ""), int(message["status"]))
                await send(message)

            await app(scope, receive, watch)

        return counted

    def observe(self, path: str, code: int) -> None:
        head = path.strip("/").split("/", 1)[0]
        route = head if head in ROUTES else "other"
        self.requests.labels(route, str(code)).inc()
        if code >= 400:
            self.errors.labels(route, str(code)).inc()


def install(
    warehouse: Callable[[], Warehouse],
    sessions: Callable[[], dict[str, Any]] | None = None,
    token: str | None = None,
) -> Metrics:
    """The service's metrics: add ``.route()`` to its routes, wrap its app."""
    metrics = Metrics(token)
    metrics.registry.register(WarehouseCollector(warehouse))
    if sessions is not None:
        metrics.registry.register(SessionCollector(sessions))
    return metrics
