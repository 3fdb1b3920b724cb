"""A narrated walk through the whole lifecycle on a fresh in-memory store with a simulated clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from carepassport.application.ports import AdjustableClock
from carepassport.application.services import Services
from carepassport.bootstrap import simulation
from carepassport.domain.errors import AlreadyExists, DomainError
from carepassport.domain.time import TORONTO, local

Line = dict[str, Any]
APPROVER = "hr.approvals@sunnybrook-ltc.example"
DEMO_SECRET = "demo-approval-secret-not-for-production"
IPAC_TITLE = "Infection Prevention and Control"
CSV_HEADER = "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"


def _at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TORONTO)


def _stamp(moment: datetime) -> str:
    return local(moment).strftime("%a %Y-%m-%d %H:%M")


class _Story:
    """Moves the clock, runs a step, and narrates it with the mail it caused."""

    def __init__(self, services: Services, clock: AdjustableClock) -> None:
        self.services = services
        self.clock = clock
        self.lines: list[Line] = []
        self._mail_seen = 0

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    def say(self, what: str) -> None:
        self.lines.append({"at": _stamp(self.clock.now()), "what": what})
        messages = self.services.outbox.messages()
        for message in messages[self._mail_seen :]:
            self.lines.append(
                {
                    "at": _stamp(message.queued_at),
                    "what": f"  mail [{message.kind}] to {message.recipient}: {message.subject}",
                }
            )
        self._mail_seen = len(messages)

    def tick(self, moment: datetime) -> None:
        self.at(moment)
        report = self.services.scheduler.tick()
        done = [
            f"{p.action} (due {_stamp(p.due_at)})" for p in report.processed if p.outcome == "done"
        ]
        self.say("Scheduler: " + ("; ".join(done) if done else "nothing due"))

    def lms(self, moment: datetime, rows: str) -> None:
        self.at(moment)
        staged = self.services.lms_import.import_csv(CSV_HEADER + rows)
        self.say(f"The LMS export is imported: {staged.staged} result(s) staged")


DEMO_EMPLOYER = "SUNNYBROOK-LTC"
DEMO_EMPLOYEE = "E-1001"
DEMO_SUBJECTS = {
    "employee": DEMO_EMPLOYEE,
    "approver": DEMO_EMPLOYER,
    "college": "registrar",
    "auditor": "auditor",
    "lms": "lms",
}
"""The subject of each role's demo token."""


def seed_demo(services: Services) -> list[str]:
    """The demo's college setting, catalogue (IPAC, WHMIS), employer and employee; what is
    already there is left as it is. Returns what was added."""
    ref = services.reference
    steps: list[tuple[str, Callable[[], object]]] = [
        ("IPAC", lambda: ref.add_micro_credential("IPAC", IPAC_TITLE, fee="125.00")),
        ("WHMIS", lambda: ref.add_micro_credential("WHMIS", "WHMIS 2015", fee="95.00")),
        (
            DEMO_EMPLOYER,
            lambda: ref.add_employer(
                DEMO_EMPLOYER,
                name="Sunnybrook Long-Term Care",
                approvers=[APPROVER],
                retakes_covered=1,
            ),
        ),
        (
            DEMO_EMPLOYEE,
            lambda: ref.add_employee(
                DEMO_EMPLOYEE,
                employer=DEMO_EMPLOYER,
                email="pat.lee@example.org",
                student_number_="C0912345",
                job_function="PSW",
            ),
        ),
    ]
    ref.change_setting("college_email", "registrar@lambton.example")  # unchanged: not recorded
    added = []
    for name, add in steps:
        try:
            add()
        except AlreadyExists:
            continue
        added.append(name)
    return added


def issue_demo_tokens(services: Services) -> dict[str, str]:
    """A new token per role for the demo's subjects."""
    return {
        role: services.api_tokens.issue(role, subject).token
        for role, subject in DEMO_SUBJECTS.items()
    }


def _set_up(story: _Story) -> None:
    seed_demo(story.services)
    story.say("The college sets up IPAC and WHMIS, the employer (one retake covered) and E-1001")


def _approvers_reply(services: Services, answer: str) -> bytes:
    """The approver's e-mail client answering the request: answer on top, request quoted."""
    request = services.outbox.messages(APPROVER)[0]
    reply = EmailMessage()
    reply["From"] = f"Dana Whitfield <{APPROVER}>"
    reply["To"] = request.reply_to or "care-passport@localhost"
    reply["Subject"] = f"Re: {request.subject}"
    reply["Message-ID"] = "<demo-reply-1@sunnybrook-ltc.example>"
    quoted = "\n".join(f"> {line}" for line in request.body.splitlines())
    reply.set_content(f"{answer}\n\nOn {_stamp(request.queued_at)} Care Passport wrote:\n{quoted}")
    return reply.as_bytes()


def run_demo() -> list[Line]:
    """Request → approval → enablement (R4) → registration (R5-R7) → attempts (R8) →
    failure and a covered retake (R12, R13) → midnight syncs (R9) → publication across the
    Victoria Day weekend (R10) → the portal view."""
    services, clock = simulation("memory://", _at(5, 1, 9), approval_secret=DEMO_SECRET)
    story = _Story(services, clock)
    _set_up(story)

    story.at(_at(5, 4, 10))
    sponsorship = services.sponsorships.request("E-1001", ["IPAC", "WHMIS"])
    story.say(f"E-1001 asks the employer to sponsor IPAC and WHMIS ({sponsorship.sponsorship_id})")

    story.tick(_at(5, 6, 9))  # no answer after two business days: a reminder (R3)

    story.at(_at(5, 7, 15))
    outcome = services.replies.receive_reply(_approvers_reply(services, "Yes, approved."))
    approved = services.sponsorships.show(sponsorship.sponsorship_id)
    assert outcome.outcome == "approved" and approved.self_registration_at is not None
    story.say(
        'The approver replies "Yes, approved." by e-mail (token checked); self-registration '
        f"opens {_stamp(approved.self_registration_at)} (R4: the next business day)"
    )

    story.at(_at(5, 7, 16))
    try:
        services.registrations.register("E-1001", "IPAC")
    except DomainError as refused:
        story.say(f"E-1001 tries to register at once and is refused: {refused.message}")

    story.tick(_at(5, 8, 9))
    story.at(_at(5, 8, 13, 30))
    ipac = services.registrations.register("E-1001", "IPAC")
    services.registrations.register("E-1001", "WHMIS")
    story.say(
        f"E-1001 registers in IPAC and WHMIS, fee paid by the {ipac.fee_payer}; access "
        f"{_stamp(ipac.access_from)} to {_stamp(ipac.access_until)} (R6, R7)"
    )
    story.tick(_at(5, 8, 15, 30))

    story.lms(
        _at(5, 12, 21),
        "L-1,C0912345,IPAC,1,52,false,2026-05-11T19:00\n"
        "L-2,C0912345,IPAC,2,61,false,2026-05-12T20:00\n",
    )
    story.tick(_at(5, 13, 0, 5))
    shown = services.registrations.show(ipac.registration_id)
    story.say(f"IPAC is {shown.status} ({shown.failure_reason}) after two failed attempts (R8)")

    story.at(_at(5, 13, 9))
    retake = services.registrations.register("E-1001", "IPAC")
    story.say(f"E-1001 retakes IPAC; the {retake.fee_payer} pays under its retake policy (R13)")
    story.tick(_at(5, 13, 11))

    story.lms(_at(5, 14, 20), "L-3,C0912345,IPAC,1,88,true,2026-05-14T10:00\n")
    story.tick(_at(5, 15, 0, 5))
    story.tick(_at(5, 15, 10, 5))
    story.lms(_at(5, 15, 20), "L-4,C0912345,WHMIS,1,91,true,2026-05-15T16:00\n")
    story.tick(_at(5, 16, 0, 5))
    story.say("WHMIS was recorded Saturday; Monday is Victoria Day, so it is published Tuesday")
    story.tick(_at(5, 19, 10, 5))
    for entry in services.statuses.of_employee("E-1001").credentials:
        story.say(
            f"Portal: {entry.code} {entry.state}, completed "
            f"{_stamp(entry.completed_at) if entry.completed_at else '-'}, published "
            f"{_stamp(entry.published_at) if entry.published_at else '-'}, "
            f"valid until {entry.valid_until}"
        )
    services.close()
    return story.lines
