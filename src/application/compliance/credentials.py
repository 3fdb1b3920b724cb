"""Use cases for credentials: publication (R10, R14), reminders and expiry, and the college's
suspensions, reinstatements, revocations and recertification requirements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

import attrs

from carepassport.application.compliance import notices
from carepassport.application.compliance.ports import CredentialObserver, NoObserver
from carepassport.application.mail.outbox import notify
from carepassport.application.ports import DueItem
from carepassport.application.store import CarePassportApplication
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.compliance.standing import renewed_valid_until
from carepassport.domain.errors import NotFound
from carepassport.domain.reference import Catalogue, Employee, Employer, RenewalBasis
from carepassport.domain.settings import SettingsRecord
from carepassport.domain.training.completion import Completion
from carepassport.domain.values import credential_code, employee_id


@attrs.frozen
class CredentialView:
    """A credential's standing as the portal holds it."""

    employee_id: str
    code: str
    standing: str
    valid_until: str
    published_at: str


class Credentials:
    """Publishes completions as credentials and keeps their standing."""

    def __init__(
        self, app: CarePassportApplication, observer: CredentialObserver | None = None
    ) -> None:
        self._app = app
        self.observer: CredentialObserver = observer or NoObserver()
        """Told of each publication and standing change before it commits (the badges)."""

    def publish(self, item: DueItem) -> bool:
        """R10, scheduled: publish the completion; the credential is issued or renewed (R14)."""
        with self._app.reading(
            lambda: [
                item.aggregate_id,
                Catalogue.identity(),
                SettingsRecord.identity(),
                *self.observer.reads_at_publication(item.aggregate_id),
            ]
        ):
            uow = UnitOfWork(self._app)
            completion = uow.find(Completion, item.aggregate_id)
            if completion is None or completion.published_at is not None:
                return False
            now = self._app.now()
            settings = self._app.settings()
            entry = uow.catalogue().entry(completion.credential_code)
            credential = uow.find(
                Credential, Credential.identity(completion.employee_id, completion.credential_code)
            )
            until = renewed_valid_until(
                completion.completed_at,
                entry.validity_days,
                RenewalBasis(entry.renewal_basis),
                credential.valid_until if credential else None,
                settings.reminder_window,
            )
            completion.publish(until, now)
            published_at = completion.publication.due_at
            days = list(settings.reminder_days)
            if credential is None:
                credential = uow.add(
                    Credential.issue(
                        completion.employee_id,
                        completion.credential_code,
                        completion.id,
                        completion.completed_at,
                        published_at,
                        until,
                        days,
                        settings.version,
                        now,
                    )
                )
            else:
                credential.renew(
                    completion.id,
                    completion.completed_at,
                    published_at,
                    until,
                    days,
                    settings.version,
                    now,
                )
            self.observer.published(credential, now, uow)
            uow.commit()
            return True

    def remind(self, item: DueItem) -> bool:
        """R14, scheduled: a reminder to the employee and the approvers, unless the employee
        has left or the credential is no longer active."""
        days = int(item.action.rsplit(":", 1)[1])
        return self._scheduled(
            item.aggregate_id,
            lambda c, now: c.remind(days, now),
            lambda e, c: notices.expiry_reminder(e, c.credential_code, c.valid_until, days),
            notices.EXPIRY_REMINDER,
        )

    def expire(self, item: DueItem) -> bool:
        """R14, scheduled: the credential expires at 00:00 after its last valid day."""
        return self._scheduled(
            item.aggregate_id,
            lambda c, now: c.expire(now),
            lambda e, c: notices.credential_expired(e, c.credential_code, c.valid_until),
            notices.CREDENTIAL_EXPIRED,
            self.observer.expired,
        )

    def suspend(self, employee: str, code: str, reason: str, notes: str = "") -> CredentialView:
        """Suspend a credential (it no longer counts until reinstated)."""
        return self._change(
            employee, code, "suspended", reason, notes, lambda c, now: c.suspend(reason, notes, now)
        )

    def reinstate(self, employee: str, code: str, reason: str, notes: str = "") -> CredentialView:
        """Reinstate a suspended credential."""
        return self._change(
            employee,
            code,
            "reinstated",
            reason,
            notes,
            lambda c, now: c.reinstate(reason, notes, now),
        )

    def revoke(self, employee: str, code: str, reason: str, notes: str = "") -> CredentialView:
        """Revoke permanently: only completing the micro-credential again restores it."""
        return self._change(
            employee, code, "revoked", reason, notes, lambda c, now: c.revoke(reason, notes, now)
        )

    def require_recertification(
        self, employee: str, code: str, reason: str, notes: str = ""
    ) -> CredentialView:
        """The credential no longer counts; the employee must complete it again."""
        return self._change(
            employee,
            code,
            "recertification required",
            reason,
            notes,
            lambda c, now: c.require_recertification(reason, notes, now),
        )

    def _scheduled(
        self,
        credential_id: UUID,
        act: Callable[[Credential, datetime], bool],
        notice: Callable[[Employee, Credential], notices.Notice],
        kind: str,
        then: Callable[[Credential, datetime, UnitOfWork], None] | None = None,
    ) -> bool:
        uow = UnitOfWork(self._app)
        credential = uow.find(Credential, credential_id)
        if credential is None:
            return False
        employee = uow.employee(credential.employee_id)
        now = self._app.now()
        if not act(credential, now):
            return False
        if then is not None:
            then(credential, now, uow)
        if employee.left_at is None:
            self._tell(employee, credential, *notice(employee, credential), kind, uow)
        uow.commit()
        return True

    def _change(
        self,
        employee: str,
        code: str,
        change: str,
        reason: str,
        notes: str,
        act: Callable[[Credential, datetime], None],
    ) -> CredentialView:
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        eid, wanted = employee_id(employee), credential_code(code)
        credential = uow.find(Credential, Credential.identity(eid, wanted))
        if credential is None:
            raise NotFound(f"employee {eid} holds no {wanted} credential")
        act(credential, now)
        self.observer.standing_changed(credential, now, uow)
        record = uow.employee(credential.employee_id)
        subject, body = notices.credential_status_changed(record, wanted, change, reason, notes)
        self._tell(record, credential, subject, body, notices.CREDENTIAL_STATUS_CHANGED, uow)
        uow.commit()
        return self._view(credential)

    def _tell(
        self,
        employee: Employee,
        credential: Credential,
        subject: str,
        body: str,
        kind: str,
        uow: UnitOfWork,
    ) -> None:
        employer = uow.find(Employer, Employer.identity(employee.employer_id))
        approvers = employer.approvers if employer else ()
        recipients = (employee.email, *approvers)
        uow.add(notify(kind, recipients, subject, body, credential, self._app.now()))

    @staticmethod
    def _view(credential: Credential) -> CredentialView:
        return CredentialView(
            employee_id=credential.employee_id,
            code=credential.credential_code,
            standing=credential.standing.value,
            valid_until=credential.valid_until.isoformat(),
            published_at=credential.published_at.isoformat(),
        )
