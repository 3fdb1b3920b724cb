"""``carepassport worker`` and ``serve --workers``: refused on a store no other process can
share; a worker performs due work and delivers its mail, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import bootstrap
from carepassport.entrypoints.cli import cli
from tests.conftest import APPROVER, toronto
from tests.integration.cluster import CARE_PASSPORT, wait_for
from tests.integration.live_server import free_port
from tests.stores import RawStore


def test_a_worker_on_the_memory_store_is_refused() -> None:
    result = CliRunner().invoke(cli, ["--store", "memory://", "worker"])

    assert result.exit_code == 2
    assert "memory://" in result.output


def test_several_api_processes_on_the_memory_store_are_refused() -> None:
    result = CliRunner().invoke(cli, ["--store", "memory://", "serve", "--workers", "2"])

    assert result.exit_code == 2
    assert "memory://" in result.output


def test_a_worker_with_a_fixed_clock_is_refused(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"

    result = CliRunner().invoke(cli, ["--store", store, "--now", "2026-05-06T09:00", "worker"])

    assert result.exit_code == 2
    assert "--now-since" in result.output


def test_a_worker_performs_due_work_delivers_answers_probes_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    services = bootstrap(
        store, clock=SettableClock(toronto(2026, 5, 5, 10, 0)), mailer=InMemoryMailer()
    )
    services.reference.add_micro_credential("IPAC", "IPAC")
    services.reference.add_employer("SUNNY", name="Sunny", approvers=[APPROVER])
    services.reference.add_employee("E1", employer="SUNNY", email="e1@example.org")
    view = services.sponsorships.request("E1", ["IPAC"])
    services.sponsorships.approve(view.sponsorship_id, by=APPROVER)
    services.close()
    raw = RawStore(store)
    outbox = tmp_path / "mail"
    command = [CARE_PASSPORT, "--store", store, "--now", "2026-05-06T09:00:01"]
    command += ["--now-since", str(time.time())]
    port = free_port()
    command += ["--mail", f"file://{outbox}", "worker", "--tick-every", "0.2"]
    command += ["--health-port", str(port)]

    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as worker:
        wait_for(lambda: "SelfRegistrationEnabled" in raw.topics(), "the enablement")
        wait_for(lambda: unsent(raw) == 0, "its mail")
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=60)

    assert ready.status_code == 200
    assert [loop["state"] for loop in ready.json()["loops"]] == ["running", "running"]
    assert worker.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert len(list(outbox.glob("*.eml"))) == 1  # the enablement notice (the rest went before)


def unsent(raw: RawStore) -> int:
    ((count,),) = raw.execute(
        "SELECT COUNT(*) FROM cp_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL"
    )
    return int(count)
