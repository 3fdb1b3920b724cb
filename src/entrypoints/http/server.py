"""How ``serve`` and ``worker`` build their cores: one process with the scheduler and delivery
loops beside the API, several API processes (uvicorn workers) that leave due work and mail to
``carepassport worker`` processes, and the workers themselves (ADR 0028)."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs
from fastapi import FastAPI

from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap, default_holder
from carepassport.entrypoints.http.core import Core
from carepassport.entrypoints.http.delivery_loop import (
    POLL_EVERY,
    DeliveryLoop,
    delivering_through,
)
from carepassport.entrypoints.http.logs import LogFormat, configure_logging
from carepassport.entrypoints.http.metrics import METRICS_TOKEN
from carepassport.entrypoints.http.scheduler_loop import TICK_EVERY, BackgroundLoop, SchedulerLoop
from carepassport.entrypoints.present import jsonable

log = logging.getLogger(__name__)

SERVE_ENV = "CAREPASSPORT_SERVE"
"""How ``serve --workers N`` hands its settings to the uvicorn worker processes it starts."""


@attrs.frozen
class ServeSettings:
    """What a serving or working process needs to wire its core."""

    store: str
    portal_url: str
    now: datetime | None = None
    running_since: float | None = None
    mail: str | None = attrs.field(default=None, repr=False)  # may hold a password
    brightspace: Path | None = None
    log_format: LogFormat = "text"

    def services(self, holder: str) -> Services:
        """A core on the store, its claims named ``holder``."""
        return bootstrap(
            self.store,
            now=self.now,
            running_since=self.running_since,
            brightspace=self.brightspace,
            mail=self.mail,
            portal_url=self.portal_url,
            holder=holder,
        )

    def to_environment(self) -> str:
        """The settings as the text of ``$CAREPASSPORT_SERVE``."""
        return json.dumps(
            {
                "store": self.store,
                "portal_url": self.portal_url,
                "now": self.now.isoformat() if self.now else None,
                "running_since": self.running_since,
                "mail": self.mail,
                "brightspace": str(self.brightspace) if self.brightspace else None,
                "log_format": self.log_format,
            }
        )

    @classmethod
    def from_environment(cls) -> ServeSettings:
        """The settings ``serve --workers`` left in ``$CAREPASSPORT_SERVE``."""
        raw = json.loads(os.environ[SERVE_ENV])
        return cls(
            store=raw["store"],
            portal_url=raw["portal_url"],
            now=datetime.fromisoformat(raw["now"]) if raw["now"] else None,
            running_since=raw["running_since"],
            mail=raw["mail"],
            brightspace=Path(raw["brightspace"]) if raw["brightspace"] else None,
            log_format="json" if raw.get("log_format") == "json" else "text",
        )


def single_process_app(settings: ServeSettings, tick_every: float) -> FastAPI:
    """The API with the scheduler loop (``tick_every`` seconds; 0: none, ``POST /tick`` does
    the work) and the delivery loop beside it, on one core."""
    from carepassport.entrypoints.http import create_app

    return create_app(
        lambda: settings.services(default_holder("serve")),
        (lambda core: SchedulerLoop(core, every=tick_every, deliver=False)) if tick_every else None,
        delivery=DeliveryLoop,
        metrics_token=os.environ.get(METRICS_TOKEN),
    )


def api_only_app() -> FastAPI:
    """One of ``serve --workers N``'s processes (the uvicorn factory): the API alone. Commands
    queue mail and return; ``carepassport worker`` performs due work and delivers."""
    from carepassport.entrypoints.http import create_app

    settings = ServeSettings.from_environment()
    configure_logging(settings.log_format)  # a process uvicorn started: nothing configured yet
    return create_app(
        lambda: _mail_elsewhere(settings.services(default_holder("api"))),
        metrics_token=os.environ.get(METRICS_TOKEN),
    )


def _mail_elsewhere(services: Services) -> Services:
    services.outbox.deliver_in_background(lambda: None)
    return services


class Worker:
    """``carepassport worker``: ``concurrency`` cores, each with its own connections and claims,
    each ticking the scheduler every ``tick_every`` seconds and delivering mail (a look every
    ``poll`` seconds), until ``stop``."""

    def __init__(
        self,
        settings: ServeSettings,
        *,
        concurrency: int = 1,
        tick_every: float = TICK_EVERY,
        poll: float = POLL_EVERY,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"a worker needs a concurrency of at least 1, not {concurrency}")
        build = settings.services
        self._cores: list[Core] = []
        self._loops: list[BackgroundLoop] = []
        for n in range(concurrency):
            core, delivery = _delivering_core(partial(build, default_holder(f"worker{n}")), poll)
            self._cores.append(core)
            self._loops += [SchedulerLoop(core, every=tick_every, deliver=False), delivery]
        self._stopped = threading.Event()

    def run(self, health_port: int | None = None) -> None:
        """Start every loop (and, with ``health_port``, the health server on 127.0.0.1) and
        block until ``stop``; then stop them and close the store."""
        for loop in self._loops:
            loop.start()
        health = _health_server(self, health_port) if health_port is not None else None
        log.info("worker started: %d cores", len(self._cores))
        try:
            self._stopped.wait()
        finally:
            if health is not None:
                health.shutdown()
                health.server_close()
            for loop in self._loops:
                loop.stop(30.0)
            for core in self._cores:
                core.close()
            log.info("worker stopped")

    def health(self, ready: bool) -> tuple[bool, dict[str, object]]:
        """Each loop's state, and whether the worker is alive (every loop's thread runs: what
        ``/healthz`` answers) or, with ``ready``, working (none backing off after failures, as
        while the mail service is out: what ``/readyz`` answers)."""
        loops = [
            {"loop": loop.name, **jsonable(loop.state())}
            if loop.running()
            else {"loop": loop.name, "state": "stopped"}
            for loop in self._loops
        ]
        wanted = {"running"} if ready else {"running", "backing_off"}
        ok = all(entry["state"] in wanted for entry in loops)
        status = "ok" if ok else "unavailable"
        return ok, {"status": status, "cores": len(self._cores), "loops": loops}

    def stop(self) -> None:
        """End ``run`` (a signal handler may call it)."""
        self._stopped.set()


def _health_server(worker: Worker, port: int) -> ThreadingHTTPServer:
    """``/healthz`` and ``/readyz`` for a worker: 200 while every loop runs, else 503, with
    each loop's state (JSON). Bound to 127.0.0.1: for the machine's own probes."""

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in {"/healthz", "/readyz"}:
                self.send_error(404)
                return
            ok, body = worker.health(ready=self.path == "/readyz")
            data = json.dumps(body).encode()
            self.send_response(200 if ok else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("health probe: " + format, *args)

    server = ThreadingHTTPServer(("127.0.0.1", port), Health)
    threading.Thread(target=server.serve_forever, name="worker-health", daemon=True).start()
    return server


def _delivering_core(build: Callable[[], Services], poll: float) -> tuple[Core, DeliveryLoop]:
    """A core whose mail its own delivery loop delivers."""
    deliveries: list[DeliveryLoop] = []
    core = Core(delivering_through(build, lambda: deliveries[0]))
    deliveries.append(DeliveryLoop(core, poll=poll))
    return core, deliveries[0]
