"""Work run in separate processes against one durable store (for the concurrency tests).

Each call opens the store as a separate process would, then waits until ``start_at`` (a
``time.time()`` value) so the calls of one test really run at the same moment.
"""

from __future__ import annotations

import time
from datetime import datetime

from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from carepassport.domain.errors import DomainError


def _opened(url: str, now: datetime, start_at: float) -> Services:
    services = bootstrap(url, now=now, mailer=InMemoryMailer())
    time.sleep(max(0.0, start_at - time.time()))
    return services


def request_sponsorship(url: str, now: datetime, employee: str, start_at: float = 0.0) -> str:
    """Request IPAC for ``employee``; returns "ok" or the refusal's code."""
    services = _opened(url, now, start_at)
    try:
        services.sponsorships.request(employee, ["IPAC"])
        return "ok"
    except DomainError as refused:
        return refused.code
    finally:
        services.close()


def decide(
    url: str, now: datetime, sponsorship_id: str, by: str, approve: bool, start_at: float
) -> str:
    """Approve or decline a sponsorship; returns its status or the refusal's code."""
    services = _opened(url, now, start_at)
    try:
        if approve:
            return services.sponsorships.approve(sponsorship_id, by=by).status
        return services.sponsorships.decline(sponsorship_id, by=by).status
    except DomainError as refused:
        return refused.code
    finally:
        services.close()


def import_csv(url: str, now: datetime, text: str, start_at: float) -> int:
    """Import an LMS CSV; returns how many results it staged."""
    services = _opened(url, now, start_at)
    try:
        return services.lms_import.import_csv(text).staged
    finally:
        services.close()


def tick(url: str, now: datetime, start_at: float = 0.0) -> list[str]:
    """Run the scheduler once; returns what it did (action:aggregate:due time:outcome)."""
    services = _opened(url, now, start_at)
    try:
        return [
            f"{p.action}:{p.aggregate_id}:{p.due_at.isoformat()}:{p.outcome}"
            for p in services.scheduler.tick().processed
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


def open_store(url: str, now: datetime, start_at: float) -> str:
    """Open the store at ``start_at`` (creating its tables on first use) and read from it."""
    time.sleep(max(0.0, start_at - time.time()))
    services = bootstrap(url, now=now, mailer=InMemoryMailer())
    try:
        return f"{len(services.reference.list_micro_credentials())}"
    finally:
        services.close()
