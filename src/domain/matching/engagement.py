"""Both sides of a match: the employer invites or rejects, the candidate shows interest,
accepts or declines; the interview and its outcome, which the candidate is told within 45 days
(rule M1: the employer is reminded on day 30, and the outcome is overdue on day 45)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition, InvalidValue
from carepassport.domain.values import Deadline

OUTCOME_REMINDER = "interview_outcome_reminder"
OUTCOME_DUE = "interview_outcome_due"
OUTCOME_DAYS = 45
REMINDER_DAYS = 30
RULE = "M1"


class Stage(StrEnum):
    INTERESTED = "interested"
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REJECTED = "rejected"
    INTERVIEWED = "interviewed"
    HIRED = "hired"
    NOT_SELECTED = "not_selected"


CLOSED = (Stage.DECLINED, Stage.REJECTED, Stage.HIRED, Stage.NOT_SELECTED)


class Engagement(Aggregate):
    """One candidate and one vacancy, from the first step either side takes."""

    class EngagementOpened(CreatedEvent):
        vacancy_id: UUID
        candidate_id: str
        employer_id: str
        stage: str
        opened_at: datetime
        business_time_field = "opened_at"

    class StageChanged(DomainEvent):
        personal: ClassVar[dict[str, str]] = {"reason": "person:candidate_id"}
        stage: str
        reason: str
        changed_at: datetime
        candidate_id: str = ""
        """Whose engagement (recorded since personal data is sealed, ADR 0023)."""
        business_time_field = "changed_at"

        def apply(self, aggregate: Engagement) -> None:
            aggregate.stage = Stage(self.stage)

    class Interviewed(DomainEvent):
        interviewed_at: datetime
        reminder: Deadline
        outcome_due: Deadline
        recorded_at: datetime
        business_time_field = "interviewed_at"
        schedules = ("reminder", "outcome_due")

        def apply(self, aggregate: Engagement) -> None:
            aggregate.stage = Stage.INTERVIEWED
            aggregate.outcome_due = self.outcome_due.due_at

    class OutcomeGiven(DomainEvent):
        outcome: str
        given_at: datetime
        business_time_field = "given_at"
        settles = (OUTCOME_REMINDER, OUTCOME_DUE)

        def apply(self, aggregate: Engagement) -> None:
            aggregate.stage = Stage(self.outcome)

    class OutcomeReminded(DomainEvent):
        reminded_at: datetime
        business_time_field = "reminded_at"
        settles = (OUTCOME_REMINDER,)

    class OutcomeOverdue(DomainEvent):
        overdue_at: datetime
        business_time_field = "overdue_at"
        settles = (OUTCOME_DUE,)

        def apply(self, aggregate: Engagement) -> None:
            aggregate.overdue = True

    def __init__(
        self,
        vacancy_id: UUID,
        candidate_id: str,
        employer_id: str,
        stage: str,
        opened_at: datetime,
    ) -> None:
        self.vacancy_id = vacancy_id
        self.candidate_id = candidate_id
        self.employer_id = employer_id
        self.stage = Stage(stage)
        self.outcome_due: datetime | None = None
        self.overdue = False

    @staticmethod
    def identity(vacancy_id: UUID, candidate_id: str) -> UUID:
        return aggregate_id("engagement", vacancy_id, candidate_id)

    @classmethod
    def open(
        cls, vacancy_id: UUID, candidate_id: str, employer_id: str, stage: Stage, at: datetime
    ) -> Engagement:
        return cls._create(
            cls.EngagementOpened,
            id=cls.identity(vacancy_id, candidate_id),
            timestamp=at,
            vacancy_id=vacancy_id,
            candidate_id=candidate_id,
            employer_id=employer_id,
            stage=stage.value,
            opened_at=at,
        )

    def _move(self, to: Stage, allowed: tuple[Stage, ...], at: datetime, reason: str = "") -> None:
        if self.stage not in allowed:
            raise InvalidTransition(f"the candidate is {self.stage.value}: cannot be {to.value}")
        self.trigger_event(
            self.StageChanged,
            timestamp=at,
            stage=to.value,
            reason=reason,
            changed_at=at,
            candidate_id=self.candidate_id,
        )

    def invite(self, at: datetime) -> None:
        self._move(Stage.INVITED, (Stage.INTERESTED,), at)

    def show_interest(self, at: datetime) -> None:
        """Interest in a vacancy the candidate was invited to is an acceptance."""
        if self.stage is Stage.INVITED:
            self.accept(at)
            return
        raise InvalidTransition(f"the candidate is already {self.stage.value}")

    def accept(self, at: datetime) -> None:
        self._move(Stage.ACCEPTED, (Stage.INVITED,), at)

    def decline(self, reason: str, at: datetime) -> None:
        self._move(Stage.DECLINED, (Stage.INTERESTED, Stage.INVITED, Stage.ACCEPTED), at, reason)

    def reject(self, reason: str, at: datetime) -> None:
        if not reason.strip():
            raise InvalidValue("say why the candidate is rejected")
        self._move(
            Stage.REJECTED, (Stage.INTERESTED, Stage.INVITED, Stage.ACCEPTED), at, reason.strip()
        )

    def interview(self, interviewed_at: datetime, at: datetime) -> Deadline:
        """Rule M1: the outcome is due 45 days after the interview, a reminder on day 30."""
        if self.stage is not Stage.ACCEPTED:
            raise InvalidTransition(
                f"the candidate is {self.stage.value}: not an accepted invitation"
            )
        if interviewed_at > at:
            raise InvalidValue("an interview is recorded once it has taken place")

        def deadline(action: str, days: int) -> Deadline:
            return Deadline(action, RULE, interviewed_at + timedelta(days=days), "calendar-days", 0)

        due = deadline(OUTCOME_DUE, OUTCOME_DAYS)
        self.trigger_event(
            self.Interviewed,
            timestamp=at,
            interviewed_at=interviewed_at,
            reminder=deadline(OUTCOME_REMINDER, REMINDER_DAYS),
            outcome_due=due,
            recorded_at=at,
        )
        return due

    def give_outcome(self, hired: bool, at: datetime) -> None:
        if self.stage is not Stage.INTERVIEWED:
            raise InvalidTransition(f"the candidate is {self.stage.value}: not interviewed")
        outcome = Stage.HIRED if hired else Stage.NOT_SELECTED
        self.trigger_event(self.OutcomeGiven, timestamp=at, outcome=outcome.value, given_at=at)

    def remind(self, at: datetime) -> bool:
        if self.stage is not Stage.INTERVIEWED:
            return False
        self.trigger_event(self.OutcomeReminded, timestamp=at, reminded_at=at)
        return True

    def mark_overdue(self, at: datetime) -> bool:
        if self.stage is not Stage.INTERVIEWED:
            return False
        self.trigger_event(self.OutcomeOverdue, timestamp=at, overdue_at=at)
        return True

    @property
    def reveals_contact(self) -> bool:
        """The employer sees the candidate's e-mail once the candidate accepted."""
        return self.stage in (Stage.ACCEPTED, Stage.INTERVIEWED, Stage.HIRED, Stage.NOT_SELECTED)
