"""Shared fixtures: a settable clock, an in-memory mailer, and the core on each embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail import InMemoryMailer
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from carepassport.domain.time import TORONTO

APPROVER = "hr.approvals@sunnybrook-ltc.example"
EMPLOYEE_EMAIL = "pat.lee@example.org"
COLLEGE = "registrar@college.example"
APPROVAL_SECRET = "test-approval-secret-not-for-production"
REPLY_DOMAIN = "college.example"


def toronto(*parts: int) -> datetime:
    """An aware Toronto wall-clock time."""
    return datetime(*parts, tzinfo=TORONTO)  # type: ignore[misc]


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(toronto(2026, 3, 30, 9, 0))


@pytest.fixture
def mailer() -> InMemoryMailer:
    return InMemoryMailer()


@pytest.fixture
def lms() -> InMemoryLms:
    return InMemoryLms()


def store_urls(tmp_path: Path) -> dict[str, str]:
    return {"memory": "memory://", "sqlite": f"sqlite:///{tmp_path / 'store.db'}"}


@pytest.fixture(params=["memory", "sqlite"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_urls(tmp_path)[request.param]


@pytest.fixture
def services(
    store_url: str, clock: SettableClock, mailer: InMemoryMailer, lms: InMemoryLms
) -> Iterator[Services]:
    wired = bootstrap(
        store_url,
        clock=clock,
        mailer=mailer,
        lms=lms,
        approval_secret=APPROVAL_SECRET,
        reply_domain=REPLY_DOMAIN,
    )
    yield wired
    wired.close()


@pytest.fixture
def college(services: Services) -> Services:
    """A store with a catalogue, one employer (one retake covered) and one employee."""
    services.reference.change_setting("college_email", COLLEGE)
    services.reference.add_micro_credential("IPAC", "Infection Prevention and Control", fee="125")
    services.reference.add_micro_credential("WHMIS", "WHMIS 2015", fee="95")
    services.reference.add_micro_credential("FIRE", "Fire Safety", fee="60")
    services.reference.add_employer(
        "SUNNY",
        name="Sunnybrook LTC",
        approvers=[APPROVER, "backup@sunny.example"],
        retakes_covered=1,
    )
    services.reference.add_employee(
        "E1",
        employer="SUNNY",
        email=EMPLOYEE_EMAIL,
        student_number_="C0912345",
        job_function="PSW",
    )
    return services
