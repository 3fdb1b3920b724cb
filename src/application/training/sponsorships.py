"""Use cases for sponsorships: request (R2), approve or decline (R3), and what they send."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from carepassport.application.mail.outbox import notify
from carepassport.application.ports import DueItem
from carepassport.application.reference import ReferenceData
from carepassport.application.store import CarePassportApplication
from carepassport.application.training import notices
from carepassport.application.training.approval_tokens import ApprovalTokens
from carepassport.application.training.views import SponsorshipView
from carepassport.domain.errors import AlreadyRequested
from carepassport.domain.mail.notification import Notification
from carepassport.domain.reference import Catalogue, Employee, Employer
from carepassport.domain.settings import SettingsRecord
from carepassport.domain.training.sponsorship import Sponsorship, SponsorshipStatus
from carepassport.domain.values import (
    EmployeeId,
    credential_code,
    email_address,
    employee_id,
    parse_id,
)

OPEN_STATUSES = (SponsorshipStatus.REQUESTED, SponsorshipStatus.APPROVED)


def to_approvers(
    kind: str,
    employer: Employer,
    subject: str,
    body: str,
    sponsorship: Sponsorship,
    now: datetime,
    reply_to: str | None,
) -> list[Notification]:
    """One notice to the employer's approvers about ``sponsorship`` (R3): one message each,
    one notification in all (ADR 0026); none if it has no approvers."""
    if not employer.approvers:
        return []
    return [notify(kind, employer.approvers, subject, body, sponsorship, now, reply_to=reply_to)]


class Sponsorships:
    """Employees ask; employers' approvers answer."""

    def __init__(
        self,
        app: CarePassportApplication,
        reference: ReferenceData,
        tokens: ApprovalTokens | None = None,
    ) -> None:
        self._app = app
        self._reference = reference
        self._tokens = tokens

    def of_employee(self, employee: EmployeeId) -> list[Sponsorship]:
        """Every sponsorship request of an employee, oldest first."""
        return list(self._app.sequence(Sponsorship, lambda n: Sponsorship.identity(employee, n)))

    def enable_due(self, employee: EmployeeId, now: datetime) -> list[Sponsorship]:
        """An employee's sponsorships, after enabling any whose R4 time has come."""
        sponsorships = self.of_employee(employee)
        due = [
            s
            for s in sponsorships
            if s.status is SponsorshipStatus.APPROVED
            and s.self_registration is not None
            and s.self_registration.due_at <= now
        ]
        for sponsorship in due:
            self.enable_self_registration(sponsorship.id)
        return self.of_employee(employee) if due else sponsorships

    def request(self, employee: str, codes: list[str]) -> SponsorshipView:
        """R2/R3: request sponsorship; each approver is e-mailed one list of what was asked."""
        with self._app.reading(lambda: self._loads_of_request(employee)):
            now = self._app.now_for_write()
            record = self._reference.employee(employee)
            wanted = [credential_code(code) for code in codes]
            entries = [self._reference.micro_credential(code) for code in wanted]
            earlier = self.of_employee(record.employee_id)
            for sponsorship in earlier:
                pending = [
                    c
                    for c in wanted
                    if (sponsorship.status in OPEN_STATUSES and c in sponsorship.credentials)
                    or sponsorship.covers(c)
                ]
                if pending:
                    raise AlreadyRequested(
                        f"sponsorship {sponsorship.id} ({sponsorship.status.value}) already covers "
                        f"{', '.join(pending)}"
                    )
            employer = self._reference.employer(record.employer_id)
            settings = self._app.settings()
            sponsorship = Sponsorship.request(
                record.employee_id,
                employer.employer_id,
                wanted,
                len(earlier) + 1,
                now,
                calendar=self._app.business_calendar(settings),
                settings_version=settings.version,
            )
            tag, reply_to = self.reply_route(sponsorship)
            subject, body = notices.approval_request(sponsorship, record, entries, tag)
            mail = to_approvers(
                notices.APPROVAL_REQUEST, employer, subject, body, sponsorship, now, reply_to
            )
            self._app.record(sponsorship, *mail)
            return SponsorshipView.of(sponsorship)

    def approve(self, sponsorship_id: str | UUID, *, by: str) -> SponsorshipView:
        """R3/R4: approval by a registered approver schedules self-registration."""
        with self._app.reading(lambda: self._loads_of_approve(sponsorship_id)):
            now = self._app.now_for_write()
            sponsorship = self._load(sponsorship_id)
            employer = self._reference.employer(sponsorship.employer_id)
            approver = email_address(by)
            settings = self._app.settings()
            sponsorship.approve(
                employer, approver, now, self._app.business_calendar(settings), settings.version
            )
            self._app.record(sponsorship)
            return SponsorshipView.of(sponsorship)

    def decline(self, sponsorship_id: str | UUID, *, by: str) -> SponsorshipView:
        """R3: a registered approver declines; nothing is scheduled."""
        now = self._app.now_for_write()
        sponsorship = self._load(sponsorship_id)
        employer = self._reference.employer(sponsorship.employer_id)
        approver = email_address(by)
        sponsorship.decline(employer, approver, now)
        self._app.record(sponsorship)
        return SponsorshipView.of(sponsorship)

    def show(self, sponsorship_id: str | UUID) -> SponsorshipView:
        """One sponsorship as it stands."""
        return SponsorshipView.of(self._load(sponsorship_id))

    def enable_self_registration(self, sponsorship_id: UUID) -> bool:
        """R4, scheduled: enable and e-mail the employee instructions. False if nothing was due."""
        with self._app.reading(lambda: [sponsorship_id, Catalogue.identity()]):
            sponsorship = self._load(sponsorship_id)
            now = self._app.now()
            if not sponsorship.enable_self_registration(now):
                return False
            employee = self._reference.employee(sponsorship.employee_id)
            entries = [self._reference.micro_credential(code) for code in sponsorship.credentials]
            subject, body = notices.self_registration_instructions(sponsorship, entries)
            mail = notify(
                notices.SELF_REGISTRATION_INSTRUCTIONS,
                employee.email,
                subject,
                body,
                sponsorship,
                now,
            )
            self._app.record(sponsorship, mail)
            return True

    def remind_approvers(self, item: DueItem) -> bool:
        """R3, scheduled: remind the employer's approvers of an unanswered request.
        False if nothing was due (answered meanwhile, already reminded, or superseded)."""
        number = int(item.action.rsplit(":", 1)[1])
        sponsorship = self._load(item.aggregate_id)
        now = self._app.now()
        if not sponsorship.remind(number, now):
            return False
        employee = self._reference.employee(sponsorship.employee_id)
        employer = self._reference.employer(sponsorship.employer_id)
        entries = [self._reference.micro_credential(code) for code in sponsorship.credentials]
        tag, reply_to = self.reply_route(sponsorship)
        subject, body = notices.approval_reminder(
            sponsorship, employee, entries, number, len(sponsorship.reminders), tag
        )
        mail = to_approvers(
            notices.APPROVAL_REMINDER, employer, subject, body, sponsorship, now, reply_to
        )
        self._app.record(sponsorship, *mail)
        return True

    @staticmethod
    def _loads_of_request(employee: str) -> list[UUID]:
        """What ``request`` loads that is known from its arguments (read ahead together)."""
        eid = employee_id(employee)
        return [
            Employee.identity(eid),
            Catalogue.identity(),
            SettingsRecord.identity(),
            Sponsorship.identity(eid, 1),
        ]

    @staticmethod
    def _loads_of_approve(sponsorship_id: str | UUID) -> list[UUID]:
        """What ``approve`` loads that is known from its arguments (read ahead together)."""
        return [parse_id(sponsorship_id, "sponsorship"), SettingsRecord.identity()]

    def reply_route(self, sponsorship: Sponsorship) -> tuple[str, str | None]:
        """The subject tag and Reply-To address that carry a request's approval token (R3);
        none when replies are not read (no approval secret is configured)."""
        if self._tokens is None:
            return "", None
        return (
            self._tokens.subject_tag(sponsorship.id),
            self._tokens.reply_to(sponsorship.id),
        )

    def _load(self, sponsorship_id: str | UUID) -> Sponsorship:
        identity = parse_id(sponsorship_id, "sponsorship")
        return self._app.load(Sponsorship, identity, f"sponsorship {identity}")
