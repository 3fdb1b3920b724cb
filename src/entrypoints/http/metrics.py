"""Prometheus metrics at ``/metrics`` (docs/adr/0027-observability.md): requests counted and
timed by method, route template and status class, and gauges read from the store at each
scrape (due work, the outbox's depth and oldest message, the last LMS sync). No label holds a
raw path, an id or an address.

With ``PROMETHEUS_MULTIPROC_DIR`` set (uvicorn's several worker processes), the request metrics
are kept in that folder by prometheus_client and summed over every process at each scrape; the
store gauges are the same whichever process reads them, so they are read directly."""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Iterator

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from carepassport.application.monitoring import Backlog
from carepassport.entrypoints.http.core import Busy, Core
from carepassport.entrypoints.http.problems import is_store_failure

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""Set (before the server starts) to a folder shared by the worker processes, emptied first."""
METRICS_TOKEN = "CAREPASSPORT_METRICS_TOKEN"
"""Set, ``/metrics`` needs ``Authorization: Bearer <its value>``; unset, it is public."""
SCRAPE_WAIT = 2.0
"""Seconds a scrape waits for a call holding the core before it reports the last reading."""
PREFIX = "carepassport"


def status_class(status: int) -> str:
    """``2xx``, ``4xx``, …: a label with five values, whatever the answers."""
    return f"{status // 100}xx"


class HttpMetrics:
    """The request counter and latency histogram (one set per app), in ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            f"{PREFIX}_http_requests",
            "HTTP requests answered, by method, route template and status class.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Seconds from a request's arrival to the end of its answer, by method and route "
            "template.",
            ["method", "route"],
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one answered request."""
        self.requests.labels(method, route, status_class(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class StoreGauges(Collector):
    """Gauges read from the store at each scrape, through the serialised core. While another
    call holds the core past ``wait`` (a long tick), the last reading is reported again and
    ``carepassport_store_busy`` is 1; ``carepassport_store_up`` is 0 only when the store failed
    at this scrape (then no reading is reported)."""

    def __init__(self, core: Core, wait: float = SCRAPE_WAIT) -> None:
        self._core = core
        self._wait = wait
        self._last: Backlog | None = None

    def collect(self) -> Iterator[Metric]:
        busy, up = False, True
        try:
            backlog: Backlog | None = self._core.call(
                lambda s: s.monitoring.backlog(), wait=self._wait
            )
            self._last = backlog
        except Busy:
            busy, backlog = True, self._last
        except Exception as error:
            if not is_store_failure(error):
                raise
            up, backlog = False, None
        yield _gauge("store_up", "0 when the store failed at this scrape, else 1.", up)
        yield _gauge("store_busy", "1 when another call held the core past the wait.", busy)
        if backlog is not None:
            yield from _backlog_gauges(backlog)

    def describe(self) -> Iterable[Metric]:
        """Nothing to check at registration: a scrape reads the store, registering does not."""
        return ()


def _backlog_gauges(backlog: Backlog) -> Iterator[Metric]:
    last_sync = backlog.last_sync_at.timestamp() if backlog.last_sync_at is not None else 0
    yield _gauge(
        "deadlines_due", "Unsettled deadlines due now: the next tick's work.", backlog.deadlines_due
    )
    yield _gauge("deadlines_pending", "Unsettled deadlines, due or not.", backlog.deadlines_pending)
    yield _gauge(
        "outbox_undelivered", "Messages neither sent nor abandoned.", backlog.mail_undelivered
    )
    yield _gauge(
        "outbox_oldest_undelivered_age_seconds",
        "Seconds since the oldest undelivered message was queued (0 when there is none).",
        backlog.oldest_undelivered_age,
    )
    yield _gauge(
        "nightly_sync_last_run_timestamp_seconds",
        "When the LMS was last synced, Unix time (the midnight synced, or a manual sync's "
        "time); 0 before the first.",
        last_sync,
    )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


class Metrics:
    """What ``/metrics`` exposes for one app: its request metrics (or, in multiprocess mode,
    every process's) and the store's gauges."""

    def __init__(self, core: Core, token: str | None = None) -> None:
        self.token = token or None
        self._folder = os.environ.get(MULTIPROCESS_DIR) or None  # as prometheus_client saw it
        self._store = StoreGauges(core)
        self._single = CollectorRegistry()
        self.http = HttpMetrics(self._single)
        for collector in (self._store, PROCESS_COLLECTOR, PLATFORM_COLLECTOR):
            self._single.register(collector)

    def registry(self) -> CollectorRegistry:
        """The collectors of one scrape."""
        if self._folder is None:
            return self._single
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self._folder)  # type: ignore[no-untyped-call]
        registry.register(self._store)
        return registry

    def allows(self, authorization: str | None) -> bool:
        """Whether a scrape with this Authorization header may read the metrics."""
        if self.token is None:
            return True
        expected = f"Bearer {self.token}".encode()
        return hmac.compare_digest((authorization or "").encode(), expected)


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """The Prometheus text exposition (public unless CAREPASSPORT_METRICS_TOKEN is set)."""
    found: Metrics = request.app.state.metrics
    if not found.allows(request.headers.get("authorization")):
        return PlainTextResponse(
            "a metrics token is needed\n", status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return Response(generate_latest(found.registry()), media_type=CONTENT_TYPE_LATEST)


__all__ = [
    "METRICS_TOKEN",
    "MULTIPROCESS_DIR",
    "HttpMetrics",
    "Metrics",
    "StoreGauges",
    "router",
    "status_class",
]
