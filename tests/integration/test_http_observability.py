"""Observing ``serve`` (issue 16, ADR 0027): request ids and the logs they stamp, readiness, and
the Prometheus metrics, on the app in process and on a real server."""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.entrypoints.http import create_app
from carepassport.entrypoints.http.logs import handler
from carepassport.entrypoints.http.observe import RequestObserver
from tests.conftest import toronto
from tests.integration.http_helpers import Headers, get_while_the_core_is_held
from tests.integration.live_server import assert_clean_exit, live_server

HEX_ID = 32
LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """Every record logged during the test, as the JSON lines ``serve --log-format json``
    writes."""
    stream = io.StringIO()
    found = handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(found)
    root.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(found)
    root.setLevel(level)


def access_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "carepassport.access"]


def server_side(lines: list[dict[str, Any]]) -> str:
    """What the app logged, without the test client's own lines (httpx, quieted in serve)."""
    return json.dumps([line for line in lines if line["logger"] != "httpx"])


def store_down() -> Services:
    raise sqlite3.OperationalError("unable to open database file")


class TestRequestIds:
    def test_a_sane_incoming_id_is_echoed(self, api: TestClient) -> None:
        response = api.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2_x"})

        assert response.headers["X-Request-ID"] == "lb-7f3a.2_x"

    def test_without_one_a_new_id_is_given(self, api: TestClient) -> None:
        first = api.get("/healthz").headers["X-Request-ID"]
        second = api.get("/healthz").headers["X-Request-ID"]

        assert len(first) == HEX_ID and int(first, 16) >= 0
        assert first != second

    @pytest.mark.parametrize("bad", ["x" * 129, "two words", "a/b", "<script>"])
    def test_a_bad_incoming_id_is_replaced(self, api: TestClient, bad: str) -> None:
        echoed = api.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]

        assert echoed != bad and len(echoed) == HEX_ID

    def test_an_unexpected_failure_answers_with_its_id_too(self, log_lines: LogLines) -> None:
        def broken() -> Services:
            raise RuntimeError("secret internals")

        with TestClient(create_app(broken), raise_server_exceptions=False) as client:
            response = client.get("/healthz", headers={"X-Request-ID": "boom-1"})

        assert response.status_code == 500
        assert response.headers["X-Request-ID"] == "boom-1"
        error = next(line for line in log_lines() if line["message"] == "unexpected error")
        assert error["request_id"] == "boom-1" and "RuntimeError" in error["exception"]
        [access] = access_lines(log_lines())
        assert (access["status"], access["request_id"]) == (500, "boom-1")


class TestLogs:
    def test_what_the_application_logs_in_a_threadpool_thread_carries_the_request_id(
        self,
        api: TestClient,
        api_services: Services,
        tokens: dict[str, Headers],
        monkeypatch: pytest.MonkeyPatch,
        log_lines: LogLines,
    ) -> None:
        threads: list[str] = []
        reading = api_services.statuses.of_employee

        def logged(*args: Any, **kwargs: Any) -> Any:
            threads.append(threading.current_thread().name)
            logging.getLogger("carepassport.application.probe").info("reading a status")
            return reading(*args, **kwargs)

        monkeypatch.setattr(api_services.statuses, "of_employee", logged)
        headers = {**tokens["employee"], "X-Request-ID": "req-42"}

        assert api.get("/employees/E1/status", headers=headers).status_code == 200

        [line] = [line for line in log_lines() if line["message"] == "reading a status"]
        assert line["request_id"] == "req-42"
        assert threads != [threading.main_thread().name]

    def test_anyio_threads_see_the_request_id_whichever_way_they_are_started(
        self, log_lines: LogLines
    ) -> None:
        probe = logging.getLogger("carepassport.probe")
        app = FastAPI()

        @app.get("/sync")
        def sync_route() -> str:  # FastAPI runs it in a worker thread
            probe.info("sync route")
            return "ok"

        @app.get("/async")
        async def async_route() -> str:
            await run_in_threadpool(probe.info, "run_in_threadpool")
            await anyio.to_thread.run_sync(probe.info, "run_sync")
            return "ok"

        with TestClient(RequestObserver(app)) as client:
            client.get("/sync", headers={"X-Request-ID": "one"})
            client.get("/async", headers={"X-Request-ID": "two"})

        ids = {line["message"]: line.get("request_id") for line in log_lines()}
        assert ids["sync route"] == "one"
        assert ids["run_in_threadpool"] == ids["run_sync"] == "two"

    def test_an_access_line_per_request_without_query_credentials_or_addresses(
        self, api: TestClient, tokens: dict[str, Headers], log_lines: LogLines
    ) -> None:
        headers = {**tokens["approver"], "X-Request-ID": "acc-1"}

        api.get("/employers/SUNNY/compliance?job_function=pat@example.org", headers=headers)
        api.get("/employees/pat.lee@example.org/status", headers={"Authorization": "Bearer x"})

        first, second = access_lines(log_lines())
        assert {k: first[k] for k in ("method", "path", "route", "status", "request_id")} == {
            "method": "GET",
            "path": "/employers/SUNNY/compliance",
            "route": "/employers/{employer_id}/compliance",
            "status": 200,
            "request_id": "acc-1",
        }
        assert first["level"] == "INFO" and first["duration_ms"] >= 0
        assert (second["path"], second["route"], second["status"]) == (
            "/employees/***/status",
            "<unrouted>",
            401,
        )
        written = server_side(log_lines())
        assert "example.org" not in written and "job_function" not in written
        assert tokens["approver"]["Authorization"].split()[1] not in written
        assert "Bearer" not in written

    def test_a_sign_in_links_secret_is_masked_in_the_access_line(
        self, api: TestClient, log_lines: LogLines
    ) -> None:
        api.get("/portal/sign-in/aLinkSecretOf43Characters0123456789abcdefgh")

        [line] = access_lines(log_lines())
        assert (line["path"], line["route"]) == ("/portal/sign-in/***", "/portal/sign-in/{secret}")
        assert "aLinkSecret" not in server_side(log_lines())

    def test_probes_are_access_logged_quietly(self, api: TestClient, log_lines: LogLines) -> None:
        api.get("/healthz")

        [line] = access_lines(log_lines())
        assert line["level"] == "DEBUG"


class TestReadiness:
    def test_a_working_store_is_ready(self, api: TestClient) -> None:
        response = api.get("/readyz")

        assert response.status_code == 200
        assert response.json() == {"status": "ready", "reason": None}

    def test_a_store_that_fails_is_not_ready(self) -> None:
        with TestClient(create_app(store_down), raise_server_exceptions=False) as client:
            response = client.get("/readyz")

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"status": "not_ready", "reason": "store_unavailable"}

    def test_a_core_held_past_the_wait_is_busy_not_ready_yet_alive(self, api: TestClient) -> None:
        ready = get_while_the_core_is_held(api, "/readyz")
        health = get_while_the_core_is_held(api, "/healthz")

        assert ready.status_code == 503
        assert ready.json()["reason"] == "busy"
        assert (health.status_code, health.json()["store"]) == (200, "busy")

    def test_a_process_shutting_down_is_not_ready(self, api_services: Services) -> None:
        app = create_app(lambda: api_services)
        with TestClient(app):
            pass  # started and shut down

        response = TestClient(app).get("/readyz")  # no lifespan: as it was left

        assert response.status_code == 503
        assert response.json()["reason"] == "shutting_down"

    def test_readiness_needs_no_token_and_is_described(self, api: TestClient) -> None:
        paths = api.get("/openapi.json").json()["paths"]

        assert "/readyz" in paths and "503" in paths["/readyz"]["get"]["responses"]
        assert "/metrics" not in paths  # Prometheus's text, not part of the API


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition: (name, labels) → value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found[(name, frozenset(labels.items()))]


class TestMetrics:
    def test_requests_are_counted_and_timed_by_route_template_never_by_raw_path(
        self, api: TestClient, tokens: dict[str, Headers]
    ) -> None:
        for employee in ("E1", "E1", "E2"):  # E2 is out of the employee's scope: 404
            api.get(f"/employees/{employee}/status", headers=tokens["employee"])
        api.get("/no-such-page-E3", headers=tokens["employee"])

        response = api.get("/metrics")

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        found = samples(response.text)
        route = "/employees/{employee_id}/status"
        requests = "carepassport_http_requests_total"
        assert value(found, requests, method="GET", route=route, status="2xx") == 2
        assert value(found, requests, method="GET", route=route, status="4xx") == 1
        assert value(found, requests, method="GET", route="<unrouted>", status="4xx") == 1
        duration = "carepassport_http_request_duration_seconds_count"
        assert value(found, duration, method="GET", route=route) == 3
        labels = {v for (_, pairs) in found for _, v in pairs}
        assert not {v for v in labels if "E1" in v or "E2" in v or "E3" in v}

    def test_the_gauges_show_a_queued_message_and_a_due_deadline(
        self,
        api: TestClient,
        api_services: Services,
        clock: SettableClock,
        mailer: InMemoryMailer,
    ) -> None:
        mailer.fail_next(1000)
        api_services.sponsorships.request("E1", ["IPAC"])  # e-mails SUNNY's approver
        queued_at = clock.now()
        before = samples(api.get("/metrics").text)
        clock.set(toronto(2026, 4, 1, 10, 0))  # the approver's first reminder is due at 09:00

        found = samples(api.get("/metrics").text)

        assert value(before, "carepassport_deadlines_due") == 0
        assert value(found, "carepassport_deadlines_due") == 1
        assert value(found, "carepassport_deadlines_pending") >= 1
        assert value(found, "carepassport_outbox_undelivered") == 1
        age = (clock.now() - queued_at).total_seconds()
        assert value(found, "carepassport_outbox_oldest_undelivered_age_seconds") == age
        assert value(found, "carepassport_nightly_sync_last_run_timestamp_seconds") == 0
        assert value(found, "carepassport_store_up") == 1
        assert value(found, "carepassport_store_busy") == 0

    def test_the_last_sync_is_its_midnight_as_unix_time(
        self, api: TestClient, api_services: Services, clock: SettableClock
    ) -> None:
        api_services.scheduler.tick()  # starts the nightly sync
        clock.set(toronto(2026, 3, 31, 0, 30))
        api_services.scheduler.tick()

        found = samples(api.get("/metrics").text)

        midnight = toronto(2026, 3, 31, 0, 0).timestamp()
        assert value(found, "carepassport_nightly_sync_last_run_timestamp_seconds") == midnight

    def test_a_store_that_fails_is_down_and_shows_no_reading(self) -> None:
        with TestClient(create_app(store_down), raise_server_exceptions=False) as client:
            response = client.get("/metrics")

        assert response.status_code == 200
        found = samples(response.text)
        assert value(found, "carepassport_store_up") == 0
        assert not [name for name, _ in found if name.startswith("carepassport_deadlines")]

    def test_with_a_metrics_token_a_scrape_needs_it(self, api_services: Services) -> None:
        app = create_app(lambda: api_services, metrics_token="scrape-secret-0123456789")

        with TestClient(app) as client:
            missing = client.get("/metrics")
            wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
            right = client.get(
                "/metrics", headers={"Authorization": "Bearer scrape-secret-0123456789"}
            )

        assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
        assert missing.headers["WWW-Authenticate"] == "Bearer"
        assert "carepassport_store_up" in right.text


WORKER = """
import json, sys
from fastapi.testclient import TestClient
from carepassport.bootstrap import bootstrap
from carepassport.entrypoints.http import create_app

services = bootstrap("memory://")
with TestClient(create_app(lambda: services)) as client:
    for _ in range(int(sys.argv[1])):
        client.get("/readyz")
    print(client.get("/metrics").text)
"""


def test_in_multiprocess_mode_a_scrape_sums_the_requests_of_every_process(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def worker(requests: int) -> str:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, str(requests)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    worker(2)
    found = samples(worker(3))

    requests = "carepassport_http_requests_total"
    assert value(found, requests, method="GET", route="/readyz", status="2xx") == 5
    assert value(found, requests, method="GET", route="/metrics", status="2xx") == 1
    assert value(found, "carepassport_store_up") == 1
    assert list(tmp_path.glob("*.db"))


def test_serve_writes_json_lines_with_request_ids_and_no_query_or_token(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'cp.db'}"
    with live_server(store, "--log-format", "json", "--tick-every", "0", cwd=tmp_path) as (
        url,
        stopped,
    ):
        ready = httpx.get(f"{url}/readyz")
        refused = httpx.get(
            f"{url}/catalogue?to=pat@example.org",
            headers={"X-Request-ID": "live-2", "Authorization": "Bearer cpt_nope_secret"},
        )

    assert ready.status_code == 200
    assert refused.status_code == 401 and refused.headers["X-Request-ID"] == "live-2"
    assert_clean_exit(stopped)
    lines = [json.loads(line) for line in stopped.stderr.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    [access] = [line for line in access_lines(lines) if line.get("request_id") == "live-2"]
    assert (access["path"], access["status"]) == ("/catalogue", 401)
    assert "cpt_nope_secret" not in stopped.stderr and "example.org" not in stopped.stderr
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
