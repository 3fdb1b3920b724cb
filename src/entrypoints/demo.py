"""A narrated walk through the workflow on a fresh in-memory store with a simulated clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carepassport.application.ports import AdjustableClock
from carepassport.application.services import Services
from carepassport.bootstrap import simulation
from carepassport.domain.errors import DomainError
from carepassport.domain.time import TORONTO, local

Line = dict[str, Any]


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TORONTO)


def _stamp(moment: datetime) -> str:
    return local(moment).strftime("%a %Y-%m-%d %H:%M")


class _Narrator:
    def __init__(self, services: Services, clock: AdjustableClock) -> None:
        self.services = services
        self.clock = clock
        self.lines: list[Line] = []
        self._mail_seen = 0

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    def say(self, what: str, moment: datetime | None = None) -> None:
        self.lines.append({"at": _stamp(moment or self.clock.now()), "what": what})
        self._report_mail()

    def _report_mail(self) -> None:
        messages = self.services.outbox.messages()
        for message in messages[self._mail_seen :]:
            self.lines.append(
                {
                    "at": _stamp(message.queued_at),
                    "what": f"  mail [{message.kind}] to {message.recipient}: {message.subject}",
                }
            )
        self._mail_seen = len(messages)


def run_demo() -> list[Line]:
    """Request, approval, enablement (R4), registration (R5), access (R6) and its end (R7)."""
    services, clock = simulation("memory://", _at(2026, 3, 31, 10))
    story = _Narrator(services, clock)
    ref = services.reference
    ref.add_micro_credential("IPAC", "Infection Prevention and Control", fee="125.00")
    ref.add_micro_credential("WHMIS", "WHMIS 2015", fee="95.00")
    ref.add_employer(
        "SUNNYBROOK-LTC",
        name="Sunnybrook Long-Term Care",
        approvers=["hr.approvals@sunnybrook-ltc.example"],
        retakes_covered=1,
    )
    ref.add_employee(
        "E-1001",
        employer="SUNNYBROOK-LTC",
        email="pat.lee@example.org",
        student_number_="C0912345",
        job_function="PSW",
    )
    story.say("College sets up the catalogue (IPAC, WHMIS), the employer and employee E-1001")

    story.at(_at(2026, 4, 1, 10))
    sponsorship = services.sponsorships.request("E-1001", ["IPAC", "WHMIS"])
    story.say(f"E-1001 asks the employer to sponsor IPAC and WHMIS ({sponsorship.sponsorship_id})")

    story.at(_at(2026, 4, 2, 15))
    approved = services.sponsorships.approve(
        sponsorship.sponsorship_id, by="hr.approvals@sunnybrook-ltc.example"
    )
    assert approved.self_registration_at is not None
    story.say(
        "The approver replies YES; self-registration is scheduled for "
        f"{_stamp(approved.self_registration_at)} (R4: Good Friday is a holiday)"
    )

    story.at(_at(2026, 4, 3, 11))
    try:
        services.registrations.register("E-1001", "IPAC")
    except DomainError as refused:
        story.say(f"E-1001 tries to register early and is refused: {refused.message}")

    story.at(_at(2026, 4, 6, 9))
    report = services.scheduler.tick()
    story.say(f"Scheduler: {', '.join(p.action for p in report.processed)}")

    story.at(_at(2026, 4, 6, 13, 30))
    registration = services.registrations.register("E-1001", "IPAC")
    story.say(
        f"E-1001 registers in IPAC (fee paid by the {registration.fee_payer}); access from "
        f"{_stamp(registration.access_from)} until {_stamp(registration.access_until)} (R6, R7)"
    )

    story.at(_at(2026, 4, 6, 15, 30))
    report = services.scheduler.tick()
    story.say(f"Scheduler: {', '.join(p.action for p in report.processed)} (R6)")

    story.at(_at(2026, 4, 21, 0, 5))
    report = services.scheduler.tick()
    shown = services.registrations.show(registration.registration_id)
    story.say(
        f"Scheduler: {', '.join(p.action for p in report.processed)}; no pass was recorded, so "
        f"the registration is {shown.status} ({shown.failure_reason}) as of "
        f"{_stamp(shown.access_until)} (R7, R12)"
    )

    retake = services.registrations.register("E-1001", "IPAC")
    story.say(
        f"E-1001 registers again: a retake paid by the {retake.fee_payer} "
        "(the employer covers one retake, R13)"
    )
    services.close()
    return story.lines
