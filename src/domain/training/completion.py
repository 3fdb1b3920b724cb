"""Completion: a passed micro-credential, recorded at the sync and published to the portal."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.time import BusinessCalendar
from carepassport.domain.training.policies import publication_time
from carepassport.domain.training.registration import Registration
from carepassport.domain.values import CredentialCode, Deadline, EmployeeId

PUBLISH_COMPLETION = "publish_completion"


class Completion(Aggregate):
    """The pass of one registration: recorded (R9), then published at 10:00 (R10)."""

    class CompletionRecorded(CreatedEvent):
        registration_id: UUID
        employee_id: str
        credential_code: str
        record_id: str
        completed_at: datetime
        recorded_at: datetime
        validity_days: int
        publication: Deadline
        business_time_field = "recorded_at"
        schedules = ("publication",)

    class CompletionPublished(DomainEvent):
        published_at: datetime
        valid_until: date
        rule: str
        business_time_field = "published_at"
        settles = (PUBLISH_COMPLETION,)

        def apply(self, aggregate: Completion) -> None:
            aggregate.published_at = self.published_at
            aggregate.valid_until = self.valid_until

    def __init__(
        self,
        registration_id: UUID,
        employee_id: str,
        credential_code: str,
        record_id: str,
        completed_at: datetime,
        recorded_at: datetime,
        validity_days: int,
        publication: Deadline,
    ) -> None:
        self.registration_id = registration_id
        self.employee_id = EmployeeId(employee_id)
        self.credential_code = CredentialCode(credential_code)
        self.record_id = record_id
        self.completed_at = completed_at
        self.recorded_at = recorded_at
        self.validity_days = validity_days
        self.publication = publication
        self.published_at: datetime | None = None
        self.valid_until: date | None = None

    @staticmethod
    def identity(registration_id: UUID) -> UUID:
        """The completion of registration ``registration_id``."""
        return aggregate_id("completion", registration_id)

    @classmethod
    def record(
        cls,
        registration: Registration,
        record_id: str,
        completed_at: datetime,
        recorded_at: datetime,
        validity_days: int,
        calendar: BusinessCalendar,
        settings_version: int,
        processed_at: datetime,
    ) -> Completion:
        """R9/R10: record the completion and schedule its publication."""
        publication = Deadline(
            action=PUBLISH_COMPLETION,
            rule="R10",
            due_at=publication_time(completed_at, recorded_at, calendar),
            calendar_id=calendar.calendar_id,
            settings_version=settings_version,
        )
        return cls._create(
            cls.CompletionRecorded,
            id=cls.identity(registration.id),
            timestamp=processed_at,
            registration_id=registration.id,
            employee_id=registration.employee_id,
            credential_code=registration.credential_code,
            record_id=record_id,
            completed_at=completed_at,
            recorded_at=recorded_at,
            validity_days=validity_days,
            publication=publication,
        )

    def publish(self, until: date, processed_at: datetime) -> bool:
        """R10, scheduled: publish to the portal, valid through ``until`` (R14)."""
        if self.published_at is not None:
            return False
        self.trigger_event(
            self.CompletionPublished,
            timestamp=processed_at,
            published_at=self.publication.due_at,
            valid_until=until,
            rule="R10",
        )
        return True
