"""Measurement 1: whole workflows through the application services, on each store.

A cohort of N employees goes request -> approve -> enable (tick) -> register -> access (tick)
-> 2 attempts (a fail, then a pass; the midnight sync takes them) -> publish (tick), every step
through the public services, as an embedding system would drive them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bench.common import baselines, fresh_store, now, recording_writes
from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import bootstrap
from carepassport.domain.time import TORONTO
from carepassport.domain.training.lms import QuizResult

APPROVER = "hr@sunny.example"
SIZES = (25, 100, 250)
"""Flows per cohort at scale 1."""


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Toronto time in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=TORONTO)


def run_flows(url: str, flows: int, personal: Any = None) -> dict[str, Any]:
    """Run ``flows`` complete workflows on a fresh store; returns the measurement.
    ``personal``: the store's key store (default: the store's own, sealing)."""
    clock = SettableClock(at(4, 1, 9))
    lms = InMemoryLms()
    cp = bootstrap(url, clock=clock, mailer=InMemoryMailer(), lms=lms, personal=personal)
    try:
        cp.reference.add_micro_credential("IPAC", "Infection Prevention and Control", fee="125")
        cp.reference.add_employer("SUNNY", name="Sunnybrook LTC", approvers=[APPROVER])
        for n in range(flows):
            cp.reference.add_employee(
                f"E{n}", employer="SUNNY", email=f"e{n}@example.org", student_number_=f"C{n:07d}"
            )
        with recording_writes(cp.app) as writes:
            started = now()
            published = _flows(cp, clock, lms, flows)
            seconds = now() - started
        assert published == flows, f"{published} of {flows} flows ended published"
        return {"flows": flows, "seconds": seconds, "writes": writes}
    finally:
        cp.close()


def _flows(cp: Any, clock: SettableClock, lms: InMemoryLms, flows: int) -> int:
    clock.set(at(4, 6, 10))  # Monday
    requested = [cp.sponsorships.request(f"E{n}", ["IPAC"]) for n in range(flows)]
    clock.set(at(4, 7, 11))
    for s in requested:
        cp.sponsorships.approve(s.sponsorship_id, by=APPROVER)
    clock.set(at(4, 8, 9))  # R4: 09:00 on the next business day
    cp.scheduler.tick()
    clock.set(at(4, 8, 9, 30))
    for n in range(flows):
        cp.registrations.register(f"E{n}", "IPAC")
    clock.set(at(4, 8, 11, 30))  # R6: access 2 h after registration
    cp.scheduler.tick()
    for n in range(flows):
        for attempt, passed, hour in ((1, False, 10), (2, True, 14)):
            result = QuizResult(
                record_id=f"R{n}-{attempt}",
                student_number=f"C{n:07d}",
                credential_code="IPAC",
                attempt=attempt,
                score=Decimal(85 if passed else 40),
                passed=passed,
                attempted_at=at(4, 9, hour),
            )
            lms.deliver(result, at(4, 9, hour + 1))
    clock.set(at(4, 10, 0))  # R9: the midnight sync takes both attempts
    cp.scheduler.tick()
    clock.set(at(4, 10, 10))  # R10: published at 10:00 on the next business day
    report = cp.scheduler.tick()
    return sum(1 for p in report.processed if p.action.startswith("publish"))


def measure(kind: str, flows: int) -> dict[str, Any]:
    """One cohort on a fresh store of ``kind``, beside both baselines on the same store."""
    with fresh_store(kind) as store:
        run = run_flows(store.url, flows)
        figures = baselines(store, run["writes"], run["seconds"])
    return {"store": kind, "flows": flows, **figures}
