"""Fast, honest seeding: the domain's own factories make the aggregates, the library saves them
in big batches, and the application's projection then catches up.

Going through the services one command at a time (a few hundred events/s, see the workflow
figures) would take hours for a million events. The events written here are the ones the
services would write for these aggregates (the same classes, made by the same factory methods
and commands); only the sponsorship steps and mail before registration are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from eventsourcing.domain import Aggregate

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import bootstrap
from carepassport.domain.reference import Employee
from carepassport.domain.time import TORONTO
from carepassport.domain.training.policies import FundingBasis
from carepassport.domain.training.registration import Registration
from carepassport.domain.training.student_numbers import StudentNumberClaim
from carepassport.domain.values import (
    CredentialCode,
    EmailAddress,
    EmployeeId,
    EmployerId,
    StudentNumber,
)

EMPLOYER = "SUNNY"
APPROVER = "hr@sunny.example"
CODES = ("IPAC", "WHMIS", "FIRE", "LIFT", "ABUSE", "FALLS", "DEMENTIA", "MEDS")
SAVE_BATCH = 2_000
"""Aggregates per save: big batches, as the library is fastest then."""
START = datetime(2026, 4, 6, 9, 0, tzinfo=TORONTO)


def employee_id(n: int) -> str:
    """The n-th seeded employee."""
    return f"E{n:07d}"


def student_number(n: int) -> str:
    """The n-th seeded employee's student number."""
    return f"C{n:07d}"


_entries: dict[str, Any] = {}


def reference_data(cp: Any, codes: tuple[str, ...] = CODES) -> None:
    """The catalogue and the employer, through the services."""
    for code in codes:
        cp.reference.add_micro_credential(code, f"Course {code}", fee="125")
    cp.reference.add_employer(EMPLOYER, name="Sunnybrook LTC", approvers=[APPROVER])


def open_store(path: Path | str) -> tuple[Any, SettableClock]:
    """A fresh store (a SQLite file's path, or a store URL) with the reference data, and its
    clock (set before ``START``)."""
    clock = SettableClock(START - timedelta(days=1))
    url = path if isinstance(path, str) else f"sqlite:///{path}"
    cp = bootstrap(url, clock=clock, mailer=InMemoryMailer())
    reference_data(cp)
    return cp, clock


def employee(cp: Any, n: int, at: datetime) -> list[Aggregate]:
    """An employee and the claim on their student number (as ``add_employee`` records)."""
    eid = EmployeeId(employee_id(n))
    number = StudentNumber(student_number(n))
    email = EmailAddress(f"e{n}@example.org")
    person = Employee.add(eid, EmployerId(EMPLOYER), email, number, None, at)
    index = cp.app.personal.index("student", number)
    return [person, StudentNumberClaim.assign(number, index, eid, at)]


def registration(
    cp: Any, n: int, code: str, at: datetime, granted: bool = True, sequence: int = 1
) -> Registration:
    """The n-th employee's registration in ``code`` at ``at``, access granted 2 h later."""
    entry = _entries.get(code) or _entries.setdefault(code, cp.reference.micro_credential(code))
    registered = Registration.register(
        EmployeeId(employee_id(n)),
        EmployerId(EMPLOYER),
        entry,
        sequence,
        FundingBasis.SELF_PAY,
        None,
        at,
    )
    if granted:
        registered.grant_access(at + timedelta(hours=2))
    return registered


def registered_employees(cp: Any, employees: int) -> Iterator[Aggregate]:
    """``employees`` employees, each registered in two micro-credentials (``code_of(n)``,
    passed two days after ``START``, and ``code_of(n + 1)``): seven events an employee."""
    for n in range(employees):
        yield from employee(cp, n, START)
        first = registration(cp, n, code_of(n), START)
        passed_at = START + timedelta(days=2)
        first.succeed(passed_at, passed_at, passed_at)
        yield first
        yield registration(cp, n, code_of(n + 1), START)


def save_all(cp: Any, aggregates: Iterator[Aggregate], batch: int = SAVE_BATCH) -> int:
    """Save aggregates a batch a transaction (no view catch-up); returns events saved."""
    pending: list[Aggregate] = []
    saved = 0
    for aggregate in aggregates:
        pending.append(aggregate)
        if len(pending) >= batch:
            saved += sum(len(a.pending_events) for a in pending)
            cp.app.save(*pending)
            pending.clear()
    if pending:
        saved += sum(len(a.pending_events) for a in pending)
        cp.app.save(*pending)
    return saved


def catch_up(cp: Any) -> int:
    """Bring the deadline index and outbox up to date with the log."""
    applied: int = cp.app.catch_up()
    return applied


def code_of(n: int) -> CredentialCode:
    """A micro-credential for the n-th item, round robin."""
    return CredentialCode(CODES[n % len(CODES)])
