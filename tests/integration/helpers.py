"""Helpers for integration tests: how much the store holds, and the common steps of a flow."""

from __future__ import annotations

from datetime import datetime

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail import InMemoryMailer
from carepassport.application.results import SponsorshipView
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
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
