"""Vacancies, posted under Ontario's rules for publicly advertised job postings, and the book
of each vacancy's matches (an event only when a result changes)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition, InvalidValue
from carepassport.domain.matching.matcher import ALGORITHM, Need, Result

NOC = re.compile(r"^\d{5}$")
PAY_SPREAD_LIMIT = Decimal(50_000)
PAY_SPREAD_APPLIES_UP_TO = Decimal(200_000)
CANADIAN_EXPERIENCE = re.compile(r"canadian\s+(work\s+)?experience", re.IGNORECASE)
DISCLOSURE = (
    "Applicants to this vacancy are screened and assessed by automated matching: Care Passport "
    "compares the micro-credentials and skills they hold with the vacancy's requirements."
)
"""Every posting carries this (Ontario requires postings to disclose the use of artificial
intelligence to screen, assess or select applicants)."""


PAY_LIMIT = Decimal(10_000_000)


def pay(value: str | Decimal | int) -> Decimal:
    """A yearly or hourly pay figure in dollars (at most two decimals)."""
    try:
        amount = Decimal(str(value).strip().lstrip("$").replace(",", ""))
    except ArithmeticError:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount > PAY_LIMIT or amount != round(amount, 2):
        raise InvalidValue(f"pay {value!r} must be dollars from 0 to {PAY_LIMIT:,}, two decimals")
    return amount.quantize(Decimal("0.01"))


def check_posting(
    *,
    title: str,
    description: str,
    pay_min: Decimal,
    pay_max: Decimal,
    starts: date,
    closes: date | None,
    today: date,
    skills: dict[str, int],
    noc: str,
) -> None:
    """Ontario's rules for a publicly advertised posting, and the product's own."""
    problems = []
    if not title.strip():
        problems.append("a vacancy needs a title")
    if not NOC.match(noc):
        problems.append(f"NOC code {noc!r} must be five digits (NOC 2021)")
    if pay_max < pay_min:
        problems.append(f"the pay range {pay_min}-{pay_max} runs backwards")
    elif pay_max <= PAY_SPREAD_APPLIES_UP_TO and pay_max - pay_min > PAY_SPREAD_LIMIT:
        problems.append(
            f"the pay range {pay_min}-{pay_max} spreads over ${PAY_SPREAD_LIMIT:,} "
            f"(allowed where the top is at most ${PAY_SPREAD_APPLIES_UP_TO:,})"
        )
    for text in (title, description):
        if CANADIAN_EXPERIENCE.search(text):
            problems.append("Canadian experience may not be a requirement of a posting")
            break
    if starts < today:
        problems.append(f"the start date {starts.isoformat()} is in the past")
    if closes is not None and closes < today:
        problems.append(f"the closing date {closes.isoformat()} is in the past")
    for skill, weight in skills.items():
        if not 1 <= weight <= 5:
            problems.append(f"the weight of {skill} must be from 1 to 5, not {weight}")
    if problems:
        raise InvalidValue("; ".join(problems))


class Vacancy(Aggregate):
    """An employer's vacancy: open until closed or filled."""

    class VacancyPosted(CreatedEvent):
        employer_id: str
        title: str
        description: str
        noc: str
        region: str
        starts: date
        requires: list[str]
        skills: dict[str, int]
        pay_min: Decimal
        pay_max: Decimal
        existing: bool
        closes: date | None
        disclosure: str
        posted_at: datetime
        business_time_field = "posted_at"

    class VacancyClosed(DomainEvent):
        filled: bool
        closed_at: datetime
        business_time_field = "closed_at"

        def apply(self, aggregate: Vacancy) -> None:
            aggregate.state = "filled" if self.filled else "closed"

    def __init__(
        self,
        employer_id: str,
        title: str,
        description: str,
        noc: str,
        region: str,
        starts: date,
        requires: list[str],
        skills: dict[str, int],
        pay_min: Decimal,
        pay_max: Decimal,
        existing: bool,
        closes: date | None,
        disclosure: str,
        posted_at: datetime,
    ) -> None:
        self.employer_id = employer_id
        self.title = title
        self.description = description
        self.noc = noc
        self.region = region
        self.starts = starts
        self.requires = tuple(requires)
        self.skills = dict(skills)
        self.pay_min = pay_min
        self.pay_max = pay_max
        self.existing = existing
        self.closes = closes
        self.disclosure = disclosure
        self.posted_at = posted_at
        self.state = "open"

    @classmethod
    def post(cls, vacancy_id: UUID, **fields: Any) -> Vacancy:
        return cls._create(cls.VacancyPosted, id=vacancy_id, disclosure=DISCLOSURE, **fields)

    def is_open(self, today: date) -> bool:
        return self.state == "open" and (self.closes is None or today <= self.closes)

    def close(self, filled: bool, at: datetime) -> None:
        if self.state != "open":
            raise InvalidTransition(f"the vacancy is already {self.state}")
        self.trigger_event(self.VacancyClosed, timestamp=at, filled=filled, closed_at=at)

    def need(self) -> Need:
        return Need(self.region, self.starts, self.requires, tuple(sorted(self.skills.items())))


class VacancyBoard(Aggregate):
    """The open vacancies: those a changed candidate is matched against again."""

    class BoardOpened(CreatedEvent):
        opened_at: datetime
        business_time_field = "opened_at"

    class Listed(DomainEvent):
        vacancy_id: UUID
        listed_at: datetime
        business_time_field = "listed_at"

        def apply(self, aggregate: VacancyBoard) -> None:
            aggregate.open_ids.append(self.vacancy_id)

    class Delisted(DomainEvent):
        vacancy_id: UUID
        delisted_at: datetime
        business_time_field = "delisted_at"

        def apply(self, aggregate: VacancyBoard) -> None:
            aggregate.open_ids.remove(self.vacancy_id)

    def __init__(self, opened_at: datetime) -> None:
        self.open_ids: list[UUID] = []

    @staticmethod
    def identity() -> UUID:
        return aggregate_id("vacancy-board")

    @classmethod
    def open(cls, at: datetime) -> VacancyBoard:
        return cls._create(cls.BoardOpened, id=cls.identity(), timestamp=at, opened_at=at)

    def list(self, vacancy_id: UUID, at: datetime) -> None:
        if vacancy_id not in self.open_ids:
            self.trigger_event(self.Listed, timestamp=at, vacancy_id=vacancy_id, listed_at=at)

    def delist(self, vacancy_id: UUID, at: datetime) -> None:
        if vacancy_id in self.open_ids:
            self.trigger_event(self.Delisted, timestamp=at, vacancy_id=vacancy_id, delisted_at=at)


def result_record(result: Result) -> dict[str, Any]:
    """A result as an event holds it (plain values, explainable on replay)."""
    return {
        "outcome": result.outcome.value,
        "score": result.score,
        "stars": result.stars,
        "requirements": [
            {
                "code": r.code,
                "state": r.state.value,
                "source": r.source,
                "reference": r.reference,
                "valid_until": r.valid_until.isoformat() if r.valid_until else None,
            }
            for r in result.requirements
        ],
        "skills": [
            {
                "skill": s.skill,
                "weight": s.weight,
                "credit": str(s.credit),
                "source": s.source,
                "via": s.via,
            }
            for s in result.skills
        ],
        "plan": [
            {
                "code": p.code,
                "college_id": p.college_id,
                "starts": p.starts.isoformat(),
                "finishes": p.finishes.isoformat(),
                "fee": str(p.fee),
            }
            for p in result.plan
        ],
        "algorithm": result.algorithm,
    }


class MatchBook(Aggregate):
    """A vacancy's current matches (eligible and trainable candidates), changed by events only
    when a result changes: new, better, worse, or gone."""

    class BookOpened(CreatedEvent):
        vacancy_id: UUID
        opened_at: datetime
        business_time_field = "opened_at"

    class MatchChanged(DomainEvent):
        candidate_id: str
        change: str
        result: dict[str, Any]
        matched_at: datetime
        business_time_field = "matched_at"

        def apply(self, aggregate: MatchBook) -> None:
            aggregate.results[self.candidate_id] = self.result

    class MatchGone(DomainEvent):
        candidate_id: str
        reason: str
        gone_at: datetime
        business_time_field = "gone_at"

        def apply(self, aggregate: MatchBook) -> None:
            aggregate.results.pop(self.candidate_id, None)

    def __init__(self, vacancy_id: UUID, opened_at: datetime) -> None:
        self.vacancy_id = vacancy_id
        self.results: dict[str, dict[str, Any]] = {}

    @staticmethod
    def identity(vacancy_id: UUID) -> UUID:
        return aggregate_id("match-book", vacancy_id)

    @classmethod
    def open(cls, vacancy_id: UUID, at: datetime) -> MatchBook:
        return cls._create(
            cls.BookOpened,
            id=cls.identity(vacancy_id),
            timestamp=at,
            vacancy_id=vacancy_id,
            opened_at=at,
        )

    def record(self, result: Result, at: datetime) -> str | None:
        """Keep ``result``; the change it is (``new``, ``better``, ``worse``, ``changed``,
        ``gone``) or None when it is the one already kept."""
        before = self.results.get(result.candidate_id)
        if result.outcome.value == "unmatched":
            if before is None:
                return None
            self.trigger_event(
                self.MatchGone,
                timestamp=at,
                candidate_id=result.candidate_id,
                reason="no longer matches",
                gone_at=at,
            )
            return "gone"
        record = result_record(result)
        if before == record:
            return None
        if before is None:
            change = "new"
        elif _rank(record) > _rank(before):
            change = "better"
        elif _rank(record) < _rank(before):
            change = "worse"
        else:
            change = "changed"
        self.trigger_event(
            self.MatchChanged,
            timestamp=at,
            candidate_id=result.candidate_id,
            change=change,
            result=record,
            matched_at=at,
        )
        return change

    def drop(self, candidate_id: str, reason: str, at: datetime) -> bool:
        """The candidate is no longer matched at all (opted out, left the region)."""
        if candidate_id not in self.results:
            return False
        self.trigger_event(
            self.MatchGone, timestamp=at, candidate_id=candidate_id, reason=reason, gone_at=at
        )
        return True


def _rank(record: dict[str, Any]) -> tuple[int, int]:
    return (1 if record["outcome"] == "eligible" else 0, int(record["score"]))


__all__ = ["ALGORITHM", "DISCLOSURE", "MatchBook", "Vacancy", "VacancyBoard", "check_posting"]
