"""Helpers for integration tests: how much the store holds, and the common steps of a flow."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.application.training.views import SponsorshipView
from carepassport.bootstrap import bootstrap
from carepassport.domain.training.lms import QuizResult
from tests.conftest import APPROVER, EMPLOYEE_EMAIL


def footprint(services: Services) -> tuple[int, int, int]:
    """Events recorded, messages queued, deadlines pending: what a refused command must not move."""
    return (
        services.app.recorder.max_notification_id() or 0,
        len(services.outbox.messages()),
        services.scheduler.pending(),
    )


def enabled_sponsorship(
    services: Services, clock: SettableClock, codes: list[str], approved_at: datetime
) -> SponsorshipView:
    """Request, approve at ``approved_at``, and tick at the R4 time: an enabled sponsorship."""
    sponsorship = services.sponsorships.request("E1", codes)
    clock.set(approved_at)
    approved = services.sponsorships.approve(sponsorship.sponsorship_id, by=APPROVER)
    assert approved.self_registration_at is not None
    clock.set(approved.self_registration_at)
    services.scheduler.tick()
    return services.sponsorships.show(sponsorship.sponsorship_id)


def approved_in(url: str, clock: SettableClock, mailer: InMemoryMailer) -> Services:
    """A durable store (SQLite file or PostgreSQL schema) holding one approved sponsorship
    (E1, IPAC)."""
    services = bootstrap(url, clock=clock, mailer=mailer)
    services.reference.add_micro_credential("IPAC", "IPAC")
    services.reference.add_employer("SUNNY", name="Sunny", approvers=[APPROVER])
    services.reference.add_employee("E1", employer="SUNNY", email=EMPLOYEE_EMAIL)
    view = services.sponsorships.request("E1", ["IPAC"])
    services.sponsorships.approve(view.sponsorship_id, by=APPROVER)
    return services


def complete(
    services: Services,
    clock: SettableClock,
    lms: InMemoryLms,
    code: str,
    passed_at: datetime,
    employee: str = "E1",
    student: str = "C0912345",
) -> None:
    """Register (self-paid) two hours before ``passed_at``'s access, pass, and publish."""
    clock.set(passed_at - timedelta(hours=3))
    services.registrations.register(employee, code, self_pay=True)
    lms.deliver(
        QuizResult(
            f"{employee}-{code}-{passed_at:%Y%m%d}",
            student,
            code,
            1,
            Decimal("90"),
            True,
            passed_at,
        ),
        passed_at + timedelta(minutes=5),
    )
    clock.set(passed_at + timedelta(days=6))
    services.scheduler.tick()
