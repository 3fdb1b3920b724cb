"""A year of one employer with 50 employees, run through the scheduler: the exact expiry
reminders and notices (R14), and a compliance report that always equals a fresh rebuild."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.adapters.storage.memory_compliance import MemoryCompliance
from carepassport.application.services import Services
from carepassport.domain.training.lms import QuizResult
from tests.conftest import toronto

APPROVER = "hr@acme.example"
START = toronto(2026, 1, 5, 8, 0)
END = toronto(2027, 3, 15, 8, 0)
COHORTS = {  # first employee number: (registered, passes at, passed?)
    0: (toronto(2026, 1, 12, 10), toronto(2026, 1, 14, 15), True),
    10: (toronto(2026, 3, 2, 10), toronto(2026, 3, 4, 15), True),
    20: (toronto(2026, 4, 6, 10), toronto(2026, 4, 7, 15), False),
    40: (toronto(2026, 5, 4, 10), toronto(2026, 5, 6, 15), True),
}
LEAVES, REVOKED, SUSPENDED = "E40", "E41", "E42"


def employee(n: int) -> str:
    return f"E{n:02d}"


def email(n: int) -> str:
    return f"e{n:02d}@acme.example"


def expected_notices() -> Counter[tuple[str, str, str]]:
    """What R14 says must be sent by END, worked out from the cohorts alone."""
    expected: Counter[tuple[str, str, str]] = Counter()
    for first, (_, passed_at, passed) in COHORTS.items():
        if not passed:
            continue
        valid_until = passed_at.date() + timedelta(days=365)
        for n in range(first, first + 10):
            if employee(n) in (LEAVES, REVOKED):
                continue
            for days in (60, 30, 7):
                at = datetime.combine(valid_until - timedelta(days=days), datetime.min.time())
                if at.date() <= END.date() and not (
                    employee(n) == SUSPENDED and at.date() >= date(2027, 3, 1)
                ):
                    subject = (
                        f"IPAC for {employee(n)} expires in {days} days (valid until {valid_until})"
                    )
                    expected.update(
                        {("expiry_reminder", to, subject): 1 for to in (email(n), APPROVER)}
                    )
            if valid_until + timedelta(days=1) <= END.date():
                subject = f"IPAC for {employee(n)} has expired"
                expected.update(
                    {("credential_expired", to, subject): 1 for to in (email(n), APPROVER)}
                )
    return expected


def set_up(services: Services) -> None:
    services.reference.add_micro_credential("IPAC", "Infection Prevention", fee="125")
    services.job_functions.add("PSW", ["IPAC"])
    services.reference.add_employer("ACME", name="Acme LTC", approvers=[APPROVER])
    for n in range(50):
        services.reference.add_employee(
            employee(n),
            employer="ACME",
            email=email(n),
            student_number_=f"S{n:04d}",
            job_function="PSW",
        )


def assert_report_equals_rebuild(services: Services) -> None:
    kept = services.reports.compliance("ACME")
    rebuilt = services.reports.report_from(MemoryCompliance(), "ACME", None)
    assert kept == rebuilt


def events_of_the_year(services: Services, clock: SettableClock, lms: InMemoryLms) -> list:
    """(when, what) steps: registrations, LMS results, and the college's decisions."""
    steps: list[tuple[datetime, object]] = []
    for first, (registered, attempted, passed) in COHORTS.items():
        for n in range(first, first + 10):
            steps.append(
                (
                    registered,
                    lambda n=n: services.registrations.register(employee(n), "IPAC", self_pay=True),
                )
            )
            results = [attempted] if passed else [attempted, attempted + timedelta(hours=1)]
            for k, at in enumerate(results, start=1):
                steps.append(
                    (
                        at + timedelta(minutes=10),
                        lambda n=n, k=k, at=at, passed=passed: lms.deliver(
                            QuizResult(
                                f"R-{n}-{k}",
                                f"S{n:04d}",
                                "IPAC",
                                k,
                                Decimal(80 if passed else 40),
                                passed,
                                at,
                            ),
                            at + timedelta(minutes=5),
                        ),
                    )
                )
    steps.append((toronto(2026, 9, 1, 12), lambda: services.job_functions.leave(LEAVES)))
    steps.append(
        (
            toronto(2026, 10, 1, 12),
            lambda: services.credentials.revoke(REVOKED, "IPAC", "falsified completion"),
        )
    )
    steps.append(
        (
            toronto(2027, 3, 1, 12),
            lambda: services.credentials.suspend(SUSPENDED, "IPAC", "under review"),
        )
    )
    return sorted(steps, key=lambda s: s[0])


@pytest.mark.parametrize("store_url", ["memory", "sqlite", "postgresql"], indirect=True)
def test_a_year_sends_exactly_the_reminders_and_expiry_notices_and_reports_match_rebuilds(
    services: Services, clock: SettableClock, lms: InMemoryLms, mailer: InMemoryMailer
) -> None:
    clock.set(START)
    set_up(services)
    steps = events_of_the_year(services, clock, lms)
    week = START
    while week <= END:
        for when, step in [s for s in steps if week - timedelta(days=7) < s[0] <= week]:
            clock.set(when)
            step()  # type: ignore[operator]
        clock.set(week)
        services.scheduler.tick()
        assert_report_equals_rebuild(services)
        week += timedelta(days=7)

    sent = Counter(
        (m.kind, m.recipient, m.subject)
        for m in mailer.sent
        if m.kind in ("expiry_reminder", "credential_expired")
    )
    assert sent == expected_notices()
    report = services.reports.compliance("ACME")
    assert LEAVES not in {line.employee_id for line in report.lines}
    assert report.standing["expired"] == [employee(n) for n in range(20)]
    assert report.standing["failed"] == [employee(n) for n in range(20, 30)]
    assert report.standing["never_completed"] == [employee(n) for n in range(30, 40)]
    assert report.standing["revoked"] == [REVOKED]
    assert report.standing["suspended"] == [SUSPENDED]
    assert report.compliant == [employee(n) for n in range(43, 50)]
    assert {line.employee_id for line in report.expiring} == {employee(n) for n in range(43, 50)}
