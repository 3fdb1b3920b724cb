"""Both sides of a match: invitations, interest, acceptance, interviews and outcomes, each side
told by e-mail; the interview outcome deadline (rule M1) kept by the scheduler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

import attrs

from carepassport.application.mail.outbox import notify
from carepassport.application.ports import DueItem
from carepassport.application.store import CarePassportApplication
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.errors import InvalidTransition, NotFound
from carepassport.domain.matching.candidates import Candidate, CandidateKind, JobSeeker
from carepassport.domain.matching.engagement import Engagement, Stage
from carepassport.domain.matching.vacancy import MatchBook, Vacancy
from carepassport.domain.reference import Employee, Employer
from carepassport.domain.values import employee_id, employer_id, parse_id

Step = Callable[[Engagement, datetime], object]
INVITATION = "vacancy_invitation"
ENGAGEMENT = "vacancy_engagement"


@attrs.frozen
class EngagementView:
    """Where a candidate and a vacancy stand; the e-mail only once the candidate accepted."""

    vacancy_id: str
    candidate_id: str
    employer_id: str
    stage: str
    candidate_email: str | None
    outcome_due: str | None
    overdue: bool


class Engagements:
    """The steps each side takes on a match."""

    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app

    def invite(self, vacancy_id: str, candidate_id: str) -> EngagementView:
        """The employer invites a matched candidate to apply (an open vacancy only)."""
        return self._step(
            vacancy_id,
            candidate_id,
            Stage.INVITED,
            lambda e, now: e.invite(now),
            to_candidate=True,
            matched_only=True,
        )

    def show_interest(self, vacancy_id: str, candidate_id: str) -> EngagementView:
        """The candidate is interested (accepting, if they were invited)."""
        return self._step(
            vacancy_id,
            candidate_id,
            Stage.INTERESTED,
            lambda e, now: e.show_interest(now),
            to_candidate=False,
            matched_only=True,
        )

    def accept(self, vacancy_id: str, candidate_id: str) -> EngagementView:
        return self._step(vacancy_id, candidate_id, None, lambda e, now: e.accept(now), False)

    def decline(self, vacancy_id: str, candidate_id: str, reason: str = "") -> EngagementView:
        return self._step(
            vacancy_id, candidate_id, None, lambda e, now: e.decline(reason, now), False
        )

    def reject(self, vacancy_id: str, candidate_id: str, reason: str) -> EngagementView:
        return self._step(
            vacancy_id, candidate_id, None, lambda e, now: e.reject(reason, now), True
        )

    def interview(
        self, vacancy_id: str, candidate_id: str, interviewed_at: datetime
    ) -> EngagementView:
        """The interview took place: the candidate is to be told the outcome within 45 days."""
        return self._step(
            vacancy_id,
            candidate_id,
            None,
            lambda e, now: e.interview(interviewed_at, now),
            to_candidate=True,
        )

    def give_outcome(self, vacancy_id: str, candidate_id: str, hired: bool) -> EngagementView:
        return self._step(
            vacancy_id, candidate_id, None, lambda e, now: e.give_outcome(hired, now), True
        )

    def show(self, vacancy_id: str, candidate_id: str) -> EngagementView:
        uow = UnitOfWork(self._app)
        vid, cid = parse_id(vacancy_id, "vacancy"), employee_id(candidate_id)
        engagement = uow.find(Engagement, Engagement.identity(vid, cid))
        if engagement is None:
            raise NotFound(f"{cid} has taken no step on vacancy {vid}")
        return self._view(uow, engagement)

    # The scheduler's actions (rule M1).

    def remind(self, item: DueItem) -> bool:
        """Day 30 after the interview: the employer is reminded to give the outcome."""
        return self._scheduled(item.aggregate_id, lambda e, now: e.remind(now), "reminder")

    def overdue(self, item: DueItem) -> bool:
        """Day 45: the outcome is overdue; the employer is told so again."""
        return self._scheduled(item.aggregate_id, lambda e, now: e.mark_overdue(now), "overdue")

    def _scheduled(self, engagement_id: UUID, act: Step, what: str) -> bool:
        uow = UnitOfWork(self._app)
        engagement = uow.find(Engagement, engagement_id)
        now = self._app.now()
        if engagement is None or not act(engagement, now):
            return False
        vacancy = uow.find(Vacancy, engagement.vacancy_id)
        title = vacancy.title if vacancy else str(engagement.vacancy_id)
        subject = f"Interview outcome {'overdue' if what == 'overdue' else 'due'}: {title}"
        body = (
            f"Candidate {engagement.candidate_id} was interviewed for {title}. Ontario asks that "
            f"an interviewed applicant be told the outcome within 45 days, by "
            f"{engagement.outcome_due:%Y-%m-%d}. Record it with: matches outcome "
            f"{engagement.vacancy_id} {engagement.candidate_id} hired|not-selected."
        )
        if approvers := self._approvers(uow, engagement):
            uow.add(notify(ENGAGEMENT, approvers, subject, body, engagement, now))
        uow.commit()
        return True

    # ----------------------------------------------------------------------------------

    def _step(
        self,
        vacancy_id: str,
        candidate_id: str,
        opens_as: Stage | None,
        act: Step,
        to_candidate: bool,
        matched_only: bool = False,
    ) -> EngagementView:
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        vid, cid = parse_id(vacancy_id, "vacancy"), employee_id(candidate_id)
        vacancy = uow.find(Vacancy, vid)
        if vacancy is None:
            raise NotFound(f"vacancy {vid} not found")
        candidate = uow.find(Candidate, Candidate.identity(cid))
        if candidate is None or not candidate.opted_in:
            raise NotFound(f"candidate {cid} not found (or not opted in)")
        engagement = uow.find(Engagement, Engagement.identity(vid, cid))
        if matched_only:
            if not vacancy.is_open(now.date()):
                raise InvalidTransition(f"vacancy {vid} is {vacancy.state}: no new steps on it")
            book = uow.find(MatchBook, MatchBook.identity(vid))
            if book is None or cid not in book.results:
                raise NotFound(f"{cid} is not matched to vacancy {vid}")
        if engagement is None:
            if opens_as is None:
                raise NotFound(f"{cid} has taken no step on vacancy {vid}")
            engagement = uow.add(Engagement.open(vid, cid, vacancy.employer_id, opens_as, now))
        else:
            act(engagement, now)
        self._tell(uow, engagement, vacancy, to_candidate, now)
        uow.commit()
        return self._view(uow, engagement)

    def _tell(
        self,
        uow: UnitOfWork,
        engagement: Engagement,
        vacancy: Vacancy,
        to_candidate: bool,
        now: datetime,
    ) -> None:
        stage = engagement.stage.value.replace("_", " ")
        subject = f"{vacancy.title}: {stage}"
        if to_candidate:
            email = self._email(uow, engagement.candidate_id)
            body = (
                f"Your match to the vacancy {vacancy.title} ({vacancy.region}, starting "
                f"{vacancy.starts.isoformat()}, pay {vacancy.pay_min}-{vacancy.pay_max}) is now: "
                f"{stage}. Vacancy {vacancy.id}.\n\n{vacancy.disclosure}"
            )
            if email:
                kind = INVITATION if engagement.stage is Stage.INVITED else ENGAGEMENT
                uow.add(notify(kind, email, subject, body, engagement, now))
            return
        contact = ""
        if engagement.reveals_contact:
            contact = f" You can reach them at {self._email(uow, engagement.candidate_id)}."
        body = (
            f"Candidate {engagement.candidate_id} on your vacancy {vacancy.title} "
            f"({vacancy.id}) is now: {stage}.{contact}"
        )
        if approvers := self._approvers(uow, engagement):
            uow.add(notify(ENGAGEMENT, approvers, subject, body, engagement, now))

    @staticmethod
    def _approvers(uow: UnitOfWork, engagement: Engagement) -> tuple[str, ...]:
        employer = uow.find(Employer, Employer.identity(employer_id(engagement.employer_id)))
        return tuple(employer.approvers) if employer else ()

    @staticmethod
    def _email(uow: UnitOfWork, candidate_id: str) -> str:
        candidate = uow.find(Candidate, Candidate.identity(candidate_id))
        if candidate is not None and candidate.kind is CandidateKind.SEEKER:
            seeker = uow.find(JobSeeker, JobSeeker.identity(candidate_id))
            return seeker.email if seeker else ""
        employee = uow.find(Employee, Employee.identity(employee_id(candidate_id)))
        return str(employee.email) if employee else ""

    def _view(self, uow: UnitOfWork, engagement: Engagement) -> EngagementView:
        return EngagementView(
            vacancy_id=str(engagement.vacancy_id),
            candidate_id=engagement.candidate_id,
            employer_id=engagement.employer_id,
            stage=engagement.stage.value,
            candidate_email=self._email(uow, engagement.candidate_id)
            if engagement.reveals_contact
            else None,
            outcome_due=engagement.outcome_due.isoformat() if engagement.outcome_due else None,
            overdue=engagement.overdue,
        )
