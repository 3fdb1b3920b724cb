"""Work run in separate processes against one SQLite store (for the concurrency tests)."""

from __future__ import annotations

from datetime import datetime

from carepassport.adapters.mail import InMemoryMailer
from carepassport.bootstrap import bootstrap
from carepassport.domain.errors import DomainError


def request_sponsorship(url: str, now: datetime, employee: str) -> str:
    """Request IPAC for ``employee``; returns "ok" or the refusal's code."""
    services = bootstrap(url, now=now, mailer=InMemoryMailer())
    try:
        services.sponsorships.request(employee, ["IPAC"])
        return "ok"
    except DomainError as refused:
        return refused.code
    finally:
        services.close()


def tick(url: str, now: datetime) -> list[str]:
    """Run the scheduler once; returns what it did."""
    services = bootstrap(url, now=now, mailer=InMemoryMailer())
    try:
        return [
            f"{p.action}:{p.aggregate_id}:{p.outcome}" for p in services.scheduler.tick().processed
        ]
    finally:
        services.close()


def deliver(url: str, now: datetime, mail: str) -> int:
    """One delivery run of the outbox through ``mail``; returns how many messages it sent."""
    services = bootstrap(url, now=now, mail=mail)
    try:
        return services.outbox.deliver()
    finally:
        services.close()
