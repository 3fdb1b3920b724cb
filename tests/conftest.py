"""Shared fixtures: a settable clock, an in-memory mailer, and the core on each store (memory,
SQLite, and PostgreSQL in a fresh schema per test)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from carepassport.adapters.badges.keys import MemoryKeys
from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from carepassport.domain.time import TORONTO
from tests.stores import (
    POSTGRES_URL_ENV,
    ensure_database,
    fresh_postgres_store,
    postgres_server_url,
)

PORTAL_URL = "http://portal.example"
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


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL test database (created if missing). Unreachable in CI (``CI`` set), the
    run fails; elsewhere the PostgreSQL tests are skipped with the reason."""
    url = postgres_server_url()
    try:
        ensure_database(url)
    except psycopg.Error as error:
        reason = (
            f"PostgreSQL is not reachable at {url} ({error}). Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
            f"or point {POSTGRES_URL_ENV} at a server"
        )
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            raise RuntimeError(f"CI needs PostgreSQL: {reason}") from error
        pytest.skip(f"SKIPPING POSTGRESQL TESTS: {reason}")
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A PostgreSQL store in a schema of its own, dropped after the test."""
    with fresh_postgres_store(postgres_server) as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return {"memory": "memory://", "sqlite": f"sqlite:///{tmp_path / 'store.db'}"}[request.param]


@pytest.fixture(params=["sqlite", "postgresql"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store that outlives its processes: a SQLite file, or a PostgreSQL schema."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'shared.db'}"


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
        keys=MemoryKeys(),
        portal_url=PORTAL_URL,
    )
    yield wired
    try:
        report = wired.rederivation.run()  # every store the suite builds re-derives exactly
        assert (report.divergences, report.unknown) == ([], []), report
    finally:
        wired.close()


@pytest.fixture
def college(services: Services) -> Services:
    """A store with a catalogue, one employer (one retake covered) and one employee."""
    return furnish(services)


def furnish(services: Services, *, college_email: str | None = COLLEGE) -> Services:
    """The ``college`` fixture's records; without ``college_email``, the setting stays at its
    default (none)."""
    if college_email is not None:
        services.reference.change_setting("college_email", college_email)
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
