"""Credential: one employee's standing in a micro-credential (R14, college decisions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.compliance.standing import Standing, expiry_time, reminder_time
from carepassport.domain.errors import InvalidTransition, InvalidValue
from carepassport.domain.values import CredentialCode, Deadline, EmployeeId

EXPIRY_REMINDER = "expiry_reminder"
CREDENTIAL_EXPIRY = "credential_expiry"
CALENDAR_DAYS = "calendar-days:America/Toronto"


def reminder_action(days_before: int) -> str:
    """The scheduled action of the reminder ``days_before`` the last valid day."""
    return f"{EXPIRY_REMINDER}:{days_before}"


class _Published(DomainEvent):
    """A completion published to the portal makes the credential valid through ``valid_until``."""

    completion_id: UUID
    completed_at: datetime
    published_at: datetime
    valid_until: date
    reminders: list[Deadline]
    expiry: Deadline
    business_time_field = "published_at"
    schedules = ("reminders", "expiry")


class Credential(Aggregate):
    """Valid until ``valid_until``; reminded, expired, suspended, reinstated or revoked."""

    class CredentialIssued(CreatedEvent, _Published):
        employee_id: str
        credential_code: str

    class CredentialRenewed(_Published):
        def apply(self, aggregate: Credential) -> None:
            aggregate.publish(self)

    class ExpiryReminderSent(DomainEvent):
        days_before: int
        reminded_at: datetime
        business_time_field = "reminded_at"

        def settled_actions(self) -> tuple[str, ...]:
            return (reminder_action(self.days_before),)

        def apply(self, aggregate: Credential) -> None:
            aggregate.reminded.add(self.days_before)

    class CredentialExpired(DomainEvent):
        expired_at: datetime
        business_time_field = "expired_at"
        settles = (CREDENTIAL_EXPIRY,)

        def apply(self, aggregate: Credential) -> None:
            aggregate.expired = True

    class _StandingChanged(DomainEvent):
        personal: ClassVar[dict[str, str]] = {
            "reason": "person:employee_id",
            "notes": "person:employee_id",
        }
        reason: str
        notes: str
        changed_at: datetime
        cancelled: list[str]
        employee_id: str = ""
        """Whose credential (recorded since personal data is sealed, ADR 0023)."""
        business_time_field = "changed_at"
        standing = Standing.ACTIVE

        def settled_actions(self) -> tuple[str, ...]:
            return tuple(self.cancelled)

        def apply(self, aggregate: Credential) -> None:
            aggregate.standing = self.standing

    class CredentialSuspended(_StandingChanged):
        standing = Standing.SUSPENDED

    class CredentialReinstated(_StandingChanged):
        standing = Standing.ACTIVE

    class CredentialRevoked(_StandingChanged):
        standing = Standing.REVOKED

    class RecertificationRequired(_StandingChanged):
        standing = Standing.RECERTIFICATION_REQUIRED

    def __init__(
        self,
        employee_id: str,
        credential_code: str,
        completion_id: UUID,
        completed_at: datetime,
        published_at: datetime,
        valid_until: date,
        reminders: list[Deadline],
        expiry: Deadline,
    ) -> None:
        self.employee_id = EmployeeId(employee_id)
        self.credential_code = CredentialCode(credential_code)
        self.standing = Standing.ACTIVE
        self.valid_until = valid_until
        self.completion_id = completion_id
        self.completions = [completion_id]
        """Every completion published as this credential, oldest first."""
        self.completed_at = completed_at
        self.published_at = published_at
        self.reminders = list(reminders)
        self.reminded: set[int] = set()
        self.expired = False

    def publish(self, event: _Published) -> None:
        """Apply a publication: valid through its ``valid_until``, reminders anew."""
        self.standing = Standing.ACTIVE
        self.valid_until = event.valid_until
        self.completion_id = event.completion_id
        self.completions.append(event.completion_id)
        self.completed_at = event.completed_at
        self.published_at = event.published_at
        self.reminders = list(event.reminders)
        self.reminded = set()
        self.expired = False

    @staticmethod
    def identity(employee: EmployeeId, code: CredentialCode) -> UUID:
        """The credential of ``employee`` in ``code``."""
        return aggregate_id("credential", employee, code)

    @staticmethod
    def schedule(
        valid_until: date, published_at: datetime, reminder_days: list[int], settings_version: int
    ) -> tuple[list[Deadline], Deadline]:
        """R14: reminders at 09:00 on ``valid_until`` minus each of ``reminder_days`` (none
        whose time has already passed at publication) and expiry at 00:00 after it."""
        reminders = [
            Deadline(
                reminder_action(days),
                "R14",
                reminder_time(valid_until, days),
                CALENDAR_DAYS,
                settings_version,
            )
            for days in sorted(set(reminder_days), reverse=True)
            if reminder_time(valid_until, days) > published_at
        ]
        expiry = Deadline(
            CREDENTIAL_EXPIRY, "R14", expiry_time(valid_until), CALENDAR_DAYS, settings_version
        )
        return reminders, expiry

    @classmethod
    def issue(
        cls,
        employee: EmployeeId,
        code: CredentialCode,
        completion_id: UUID,
        completed_at: datetime,
        published_at: datetime,
        valid_until: date,
        reminder_days: list[int],
        settings_version: int,
        processed_at: datetime,
    ) -> Credential:
        """The first publication of this micro-credential for this employee."""
        reminders, expiry = cls.schedule(valid_until, published_at, reminder_days, settings_version)
        return cls._create(
            cls.CredentialIssued,
            id=cls.identity(employee, code),
            timestamp=processed_at,
            employee_id=employee,
            credential_code=code,
            completion_id=completion_id,
            completed_at=completed_at,
            published_at=published_at,
            valid_until=valid_until,
            reminders=reminders,
            expiry=expiry,
        )

    def renew(
        self,
        completion_id: UUID,
        completed_at: datetime,
        published_at: datetime,
        valid_until: date,
        reminder_days: list[int],
        settings_version: int,
        processed_at: datetime,
    ) -> None:
        """A later publication: valid anew (also after expiry, suspension or revocation);
        the earlier reminders and expiry are replaced."""
        reminders, expiry = self.schedule(
            valid_until, published_at, reminder_days, settings_version
        )
        self.trigger_event(
            self.CredentialRenewed,
            timestamp=processed_at,
            completion_id=completion_id,
            completed_at=completed_at,
            published_at=published_at,
            valid_until=valid_until,
            reminders=reminders,
            expiry=expiry,
        )

    def remind(self, days_before: int, processed_at: datetime) -> bool:
        """R14, scheduled: the reminder ``days_before`` expiry, once, while active."""
        due = next((d for d in self.reminders if d.action == reminder_action(days_before)), None)
        if due is None or days_before in self.reminded or self.standing is not Standing.ACTIVE:
            return False
        self.trigger_event(
            self.ExpiryReminderSent,
            timestamp=processed_at,
            days_before=days_before,
            reminded_at=due.due_at,
        )
        return True

    def expire(self, processed_at: datetime) -> bool:
        """R14, scheduled: the credential expires at 00:00 after ``valid_until``."""
        if self.expired or self.standing in (Standing.REVOKED, Standing.RECERTIFICATION_REQUIRED):
            return False
        self.trigger_event(
            self.CredentialExpired, timestamp=processed_at, expired_at=expiry_time(self.valid_until)
        )
        return True

    def suspend(self, reason: str, notes: str, at: datetime) -> None:
        """The college's decision: suspend an active credential."""
        self._require(Standing.ACTIVE, "suspend")
        self._change(self.CredentialSuspended, reason, notes, at)

    def reinstate(self, reason: str, notes: str, at: datetime) -> None:
        """The college's decision: reinstate a suspended credential."""
        self._require(Standing.SUSPENDED, "reinstate")
        self._change(self.CredentialReinstated, reason, notes, at)

    def revoke(self, reason: str, notes: str, at: datetime) -> None:
        """The college's decision: revoke for good; only completing it again restores it."""
        if self.standing is Standing.REVOKED:
            raise InvalidTransition(f"the {self.credential_code} credential is already revoked")
        self._change(self.CredentialRevoked, reason, notes, at, cancelled=self._scheduled())

    def require_recertification(self, reason: str, notes: str, at: datetime) -> None:
        """The college's decision: it no longer counts until the employee completes it again."""
        if self.standing in (Standing.REVOKED, Standing.RECERTIFICATION_REQUIRED):
            raise InvalidTransition(
                f"the {self.credential_code} credential is already {self.standing.value}"
            )
        self._change(self.RecertificationRequired, reason, notes, at, cancelled=self._scheduled())

    def _scheduled(self) -> list[str]:
        """The reminders and expiry that a revocation or recertification cancels."""
        return [d.action for d in self.reminders] + [CREDENTIAL_EXPIRY]

    def _require(self, standing: Standing, verb: str) -> None:
        if self.standing is not standing:
            raise InvalidTransition(
                f"cannot {verb} the {self.credential_code} credential: it is {self.standing.value}"
            )

    def _change(
        self,
        event: type[Credential._StandingChanged],
        reason: str,
        notes: str,
        at: datetime,
        cancelled: list[str] | None = None,
    ) -> None:
        if not reason.strip():
            raise InvalidValue("a reason is required")
        self.trigger_event(
            event,
            timestamp=at,
            reason=reason.strip(),
            notes=notes.strip(),
            changed_at=at,
            cancelled=cancelled or [],
            employee_id=self.employee_id,
        )
