"""Measurement 13: workflow commands through 1, 2 and 4 API processes on one PostgreSQL schema
(issue 16), and where the time goes.

Each run seeds a fresh schema with one employer and its employees, starts ``serve --workers N``
(API processes only: they queue mail and perform no due work, as beside ``carepassport
worker``), and sends, from ``CLIENTS`` client threads, one sponsorship request then its approval
for each employee (two commands an employee, no two for the same employee at once). The
figure is commands per second; the scaling ratio is each run's rate over the 1-process rate of
the same run. CPU seconds of the API processes, of PostgreSQL's backends and of this client
are read from ``/proc`` around the load: on a 2-core machine they show which of them the
cores went to. Then one command's mail is timed from the command's answer to the SMTP
server's receipt with a worker beside the API (the delivery loop's latency).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import postgres_schema, sized

PROCESSES = (1, 2, 4)
EMPLOYEES = 300
CLIENTS = 8
APPROVER = "hr@bench.example"
NOW = "2026-05-05T10:00:00-04:00"
CLI = str(Path(sys.executable).with_name("carepassport"))
TICKS = os.sysconf("SC_CLK_TCK")


def _seed(url: str, employees: int) -> str:
    from carepassport.adapters.clocks import SettableClock
    from carepassport.adapters.mail.mailers import InMemoryMailer
    from carepassport.bootstrap import bootstrap

    start = datetime.fromisoformat(NOW)
    services = bootstrap(url, clock=SettableClock(start), mailer=InMemoryMailer())
    try:
        services.reference.add_micro_credential("IPAC", "IPAC")
        services.reference.add_employer("SUNNY", name="Sunny", approvers=[APPROVER])
        for n in range(employees):
            services.reference.add_employee(f"E{n}", employer="SUNNY", email=f"e{n}@bench.example")
        return services.api_tokens.issue("approver", "SUNNY").token
    finally:
        services.close()


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _children(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        for child in map(int, text):
            found += _children(child)
    return found


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _start(url: str, *command: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [CLI, "--store", url, "--now", NOW, "--now-since", repr(time.time()), *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the API processes did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _flow(client: httpx.Client, token: str, employee: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post(
        "/sponsorships", json={"employee_id": employee, "credentials": ["IPAC"]}, headers=headers
    )
    assert made.status_code == 201, made.text
    approved = client.post(
        f"/sponsorships/{made.json()['sponsorship_id']}/approve",
        json={"by": APPROVER},
        headers=headers,
    )
    assert approved.status_code == 200, approved.text


def measure_processes(processes: int, employees: int) -> dict[str, Any]:
    """Commands per second through ``processes`` API processes on a fresh schema."""
    with postgres_schema("cpbench_proc") as (_, url):
        token = _seed(url, employees)
        port = _free_port()
        env = {**os.environ, "CAREPASSPORT_MAIL": "memory://"}
        server = _start(url, "serve", "--port", str(port), "--workers", str(processes), env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_up(base)
            with httpx.Client(base_url=base, timeout=60) as client:
                for _ in range(min(CLIENTS, employees)):  # each process opens its store
                    client.get("/healthz")
                server_pids = _children(server.pid)
                postgres = _postgres_pids()
                before = (_cpu_seconds(server_pids), _cpu_seconds(postgres), time.process_time())
                started = time.perf_counter()
                with ThreadPoolExecutor(CLIENTS) as pool:
                    list(pool.map(lambda n: _flow(client, token, f"E{n}"), range(employees)))
                wall = time.perf_counter() - started
                after = (_cpu_seconds(server_pids), _cpu_seconds(postgres), time.process_time())
        finally:
            _stop(server)
    commands = 2 * employees
    api_cpu, pg_cpu, client_cpu = (a - b for a, b in zip(after, before, strict=True))
    return {
        "store": "postgresql",
        "processes": processes,
        "commands": commands,
        "seconds": round(wall, 2),
        "commands_per_s": round(commands / wall, 1),
        "api_cpu_s": round(api_cpu, 2),
        "postgres_cpu_s": round(pg_cpu, 2),
        "client_cpu_s": round(client_cpu, 2),
        "cpu_ms_per_command": {
            "api": round(1000 * api_cpu / commands, 2),
            "postgres": round(1000 * pg_cpu / commands, 2),
            "client": round(1000 * client_cpu / commands, 2),
        },
        "cores_busy": round((api_cpu + pg_cpu + client_cpu) / wall, 2),
    }


def measure_mail_latency(samples: int) -> dict[str, Any]:
    """Seconds from a command's answer to the SMTP server's receipt of its mail, with one API
    process and one worker (its delivery loop polls every 0.5 s)."""
    from aiosmtpd.controller import Controller

    received: dict[str, float] = {}

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            text = (envelope.original_content or b"").decode("utf-8", "replace")
            for line in text.splitlines():
                if line.lower().startswith("to:"):
                    received.setdefault(line.split(":", 1)[1].strip(), time.perf_counter())
            return "250 OK"

    smtp_port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    latencies = []
    try:
        with postgres_schema("cpbench_mail") as (_, url):
            token = _seed(url, samples)
            port = _free_port()
            env = {**os.environ, "CAREPASSPORT_MAIL": f"smtp://127.0.0.1:{smtp_port}"}
            server = _start(url, "serve", "--port", str(port), "--workers", "2", env=env)
            worker = _start(url, "worker", env=env)
            base = f"http://127.0.0.1:{port}"
            try:
                _wait_up(base)
                time.sleep(2.0)  # the worker opens the store
                with httpx.Client(base_url=base, timeout=60) as client:
                    headers = {"Authorization": f"Bearer {token}"}
                    for n in range(samples):
                        received.clear()
                        answered = client.post(
                            "/sponsorships",
                            json={"employee_id": f"E{n}", "credentials": ["IPAC"]},
                            headers=headers,
                        )
                        at = time.perf_counter()
                        assert answered.status_code == 201, answered.text
                        deadline = at + 30
                        while APPROVER not in received and time.perf_counter() < deadline:
                            time.sleep(0.005)
                        latencies.append(received.get(APPROVER, deadline) - at)
            finally:
                _stop(worker)
                _stop(server)
    finally:
        controller.stop()
    latencies.sort()
    return {
        "store": "postgresql",
        "samples": samples,
        "p50_s": round(latencies[len(latencies) // 2], 3),
        "p95_s": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 3),
        "max_s": round(latencies[-1], 3),
    }


def measure() -> list[dict[str, Any]]:
    """The rows: one per process count (with the scaling ratio), then the mail latency."""
    employees = sized(EMPLOYEES, minimum=20)
    rows = [measure_processes(n, employees) for n in PROCESSES]
    one = rows[0]["commands_per_s"]
    for row in rows:
        row["scaling"] = round(row["commands_per_s"] / one, 2)
    rows.append({"store": "postgresql", "mail_latency": measure_mail_latency(sized(40, minimum=5))})
    return rows
