"""Matching: the skills, colleges, candidates and vacancies, and the results kept for each
vacancy, recomputed when a vacancy is posted or a candidate changes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any, TypeVar
from uuid import UUID, uuid4

import attrs

from carepassport.application.compliance.requirements import spreadsheet_safe
from carepassport.application.store import CarePassportApplication
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.badges.credential import Alignment
from carepassport.domain.badges.pathway import BadgeWallet
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.errors import InvalidValue, NotFound
from carepassport.domain.matching.candidates import (
    Candidate,
    CandidateKind,
    CandidatePool,
    JobSeeker,
    region_name,
)
from carepassport.domain.matching.colleges import College, CollegeRegistry
from carepassport.domain.matching.matcher import (
    Course,
    Held,
    Need,
    Profile,
    Result,
    Source,
    in_region,
    match,
)
from carepassport.domain.matching.skills import Skill, SkillFramework
from carepassport.domain.matching.vacancy import (
    MatchBook,
    Vacancy,
    VacancyBoard,
    check_posting,
    pay,
)
from carepassport.domain.reference import Catalogue, Employee
from carepassport.domain.values import (
    credential_code,
    email_address,
    employee_id,
    employer_id,
    parse_id,
)

PROFILE_BATCH = 500
"""Candidates whose aggregates are read in one go when many are matched at once."""

CURATED = "psw_skills.json"
CSV_COLUMNS = (
    "vacancy_id",
    "candidate_id",
    "outcome",
    "score",
    "stars",
    "requirements",
    "skills",
    "plan",
    "algorithm",
)


@attrs.frozen
class MatchView:
    """One candidate's match to one vacancy, as the employer or the candidate sees it."""

    vacancy_id: str
    candidate_id: str
    outcome: str
    score: int
    stars: int
    requirements: list[dict[str, Any]]
    skills: list[dict[str, Any]]
    plan: list[dict[str, Any]]
    algorithm: str

    @classmethod
    def of(cls, vacancy_id: UUID, candidate_id: str, record: dict[str, Any]) -> MatchView:
        return cls(
            vacancy_id=str(vacancy_id),
            candidate_id=candidate_id,
            outcome=record["outcome"],
            score=record["score"],
            stars=record["stars"],
            requirements=record["requirements"],
            skills=record["skills"],
            plan=record["plan"],
            algorithm=record["algorithm"],
        )


@attrs.frozen
class VacancyView:
    vacancy_id: str
    employer_id: str
    title: str
    noc: str
    region: str
    starts: date
    requires: list[str]
    skills: dict[str, int]
    pay_min: Decimal
    pay_max: Decimal
    existing: bool
    closes: date | None
    state: str
    disclosure: str
    matches: int

    @classmethod
    def of(cls, vacancy: Vacancy, matches: int) -> VacancyView:
        return cls(
            vacancy_id=str(vacancy.id),
            employer_id=vacancy.employer_id,
            title=vacancy.title,
            noc=vacancy.noc,
            region=vacancy.region,
            starts=vacancy.starts,
            requires=list(vacancy.requires),
            skills=dict(vacancy.skills),
            pay_min=vacancy.pay_min,
            pay_max=vacancy.pay_max,
            existing=vacancy.existing,
            closes=vacancy.closes,
            state=vacancy.state,
            disclosure=vacancy.disclosure,
            matches=matches,
        )


@attrs.frozen
class CandidateView:
    candidate_id: str
    kind: str
    region: str
    relocate: bool
    opted_in: bool
    declared_skills: list[str]


class Matching:
    """Every matching use case."""

    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app

    # --- skills -------------------------------------------------------------------------

    def add_skill(self, code: str, name: str, uri: str = "") -> Skill:
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        skill = self._framework(uow, now).add(code, name, uri, now)
        uow.commit()
        return skill

    def add_curated_skills(self) -> dict[str, Any]:
        """The curated personal-support-worker set shipped with the product (its source and
        licence in the file), added or brought up to date."""
        data = json.loads(
            resources.files("carepassport.application.matching")
            .joinpath("data", CURATED)
            .read_text("utf-8")
        )
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        framework = self._framework(uow, now)
        for skill in data["skills"]:
            framework.add(skill["code"], skill["name"], skill["uri"], now)
        uow.commit()
        return {
            "framework": data["framework"],
            "skills": len(data["skills"]),
            "source": data["source"],
            "licence": data["licence"],
        }

    def skills(self) -> list[Skill]:
        framework = self._app.find(SkillFramework, SkillFramework.identity())
        return sorted(framework.skills.values(), key=lambda s: s.code) if framework else []

    def teach(self, code: str, skills: list[str]) -> dict[str, Any]:
        """What micro-credential ``code`` teaches (its badges align to these skills)."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        entry = uow.catalogue().entry(credential_code(code))
        taught = self._framework(uow, now).teach(entry.code, skills, now)
        self._rematch_all(uow, now)
        uow.commit()
        return {"code": entry.code, "skills": list(taught)}

    # --- colleges and intakes -----------------------------------------------------------

    def add_college(self, college_id: str, name: str, approved: bool) -> College:
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        college = self._registry(uow, now).add(employer_id(college_id), name, approved, now)
        uow.commit()
        return college

    def colleges(self) -> list[College]:
        registry = self._app.find(CollegeRegistry, CollegeRegistry.identity())
        return sorted(registry.colleges.values(), key=lambda c: c.college_id) if registry else []

    def offer(self, code: str, college_id: str) -> dict[str, str]:
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        entry = uow.catalogue().entry(credential_code(code))
        self._registry(uow, now).offer(entry.code, college_id.strip(), now)
        self._rematch_all(uow, now)
        uow.commit()
        return {"code": entry.code, "college_id": college_id.strip()}

    def add_intake(self, code: str, starts: date) -> dict[str, Any]:
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        entry = uow.catalogue().entry(credential_code(code))
        registry = self._registry(uow, now)
        registry.add_intake(entry.code, starts, now.date(), now)
        self._rematch_all(uow, now)
        uow.commit()
        return {
            "code": entry.code,
            "intakes": [d.isoformat() for d in registry.intakes_of(entry.code)],
        }

    # --- candidates ---------------------------------------------------------------------

    def add_seeker(
        self, seeker_id: str, email: str, name: str, region: str, relocate: bool = False
    ) -> CandidateView:
        """A job seeker (not matched until they opt in)."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        sid = employee_id(seeker_id)
        if uow.find(Candidate, Candidate.identity(sid)) or uow.find(
            Employee, Employee.identity(sid)
        ):
            raise InvalidValue(f"{sid} is already a candidate or an employee")
        uow.add(JobSeeker.add(sid, email_address(email), name, now))
        candidate = uow.add(Candidate.open(sid, CandidateKind.SEEKER, region, relocate, now))
        uow.commit()
        return self._candidate_view(candidate)

    def opt_in(
        self, candidate_id: str, region: str | None = None, relocate: bool | None = None
    ) -> CandidateView:
        """Matched from now on, against every open vacancy."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        cid = employee_id(candidate_id)
        candidate = uow.find(Candidate, Candidate.identity(cid))
        if candidate is None:
            uow.employee(cid)  # NotFound unless an employee
            if not region:
                raise InvalidValue("an employee opting in names their region (--region)")
            candidate = uow.add(
                Candidate.open(cid, CandidateKind.EMPLOYEE, region, bool(relocate), now)
            )
        candidate.opt_in(region, relocate, now)
        self._pool(uow, now).join(cid, now)
        self.rematch(cid, now, uow)
        uow.commit()
        return self._candidate_view(candidate)

    def opt_out(self, candidate_id: str) -> CandidateView:
        """No longer matched; every current match is withdrawn."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        candidate = self._candidate(uow, candidate_id)
        if candidate.opt_out(now):
            self._pool(uow, now).leave(candidate.candidate_id, now)
            for book in self._books(uow):
                book.drop(candidate.candidate_id, "opted out", now)
        uow.commit()
        return self._candidate_view(candidate)

    def declare(self, candidate_id: str, skills: list[str]) -> CandidateView:
        """Skills the candidate says they have (half weight; never a hard requirement)."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        candidate = self._candidate(uow, candidate_id)
        known = self._framework(uow, now).known(skills)
        if candidate.declare(known, now):
            self.rematch(candidate.candidate_id, now, uow)
        uow.commit()
        return self._candidate_view(candidate)

    def candidate(self, candidate_id: str) -> CandidateView:
        return self._candidate_view(self._candidate(UnitOfWork(self._app), candidate_id))

    # --- vacancies ----------------------------------------------------------------------

    def post(
        self,
        employer: str,
        *,
        title: str,
        noc: str,
        region: str,
        starts: date,
        requires: list[str],
        pay_min: str | Decimal,
        pay_max: str | Decimal,
        existing: bool,
        skills: dict[str, int] | None = None,
        closes: date | None = None,
        description: str = "",
    ) -> VacancyView:
        """A vacancy under Ontario's posting rules, matched at once against every candidate
        who opted in."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        owner = uow.employer(employer_id(employer))
        catalogue = uow.catalogue()
        codes = list(dict.fromkeys(credential_code(c) for c in requires))
        for code in codes:
            catalogue.entry(code)  # NotFound names an unknown code
        framework = self._framework(uow, now)
        skills = skills or {}
        weighted = dict(zip(framework.known(list(skills)), skills.values(), strict=True))
        low, high = pay(pay_min), pay(pay_max)
        check_posting(
            title=title,
            description=description,
            pay_min=low,
            pay_max=high,
            starts=starts,
            closes=closes,
            today=now.date(),
            skills=weighted,
            noc=noc.strip(),
        )
        vacancy = uow.add(
            Vacancy.post(
                uuid4(),
                timestamp=now,
                employer_id=owner.employer_id,
                title=title.strip(),
                description=description.strip(),
                noc=noc.strip(),
                region=region_name(region),
                starts=starts,
                requires=codes,
                skills=weighted,
                pay_min=low,
                pay_max=high,
                existing=existing,
                closes=closes,
                posted_at=now,
            )
        )
        self._board(uow, now).list(vacancy.id, now)
        book = uow.add(MatchBook.open(vacancy.id, now))
        pool = uow.find(CandidatePool, CandidatePool.identity())
        context = TrainingOffers.read(uow)
        need = vacancy.need()
        for profile in self._profiles(uow, sorted(pool.members if pool else ()), need):
            book.record(context.match(vacancy, profile, now.date()), now)
        uow.commit()
        return VacancyView.of(vacancy, len(book.results))

    def close(self, vacancy_id: str, filled: bool = False) -> VacancyView:
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        vacancy = self._vacancy(uow, vacancy_id)
        vacancy.close(filled, now)
        self._board(uow, now).delist(vacancy.id, now)
        uow.commit()
        return self._vacancy_view(uow, vacancy)

    def vacancy(self, vacancy_id: str) -> VacancyView:
        uow = UnitOfWork(self._app)
        return self._vacancy_view(uow, self._vacancy(uow, vacancy_id))

    def vacancies(self, employer: str | None = None) -> list[VacancyView]:
        """The open vacancies (of one employer)."""
        uow = UnitOfWork(self._app)
        board = uow.find(VacancyBoard, VacancyBoard.identity())
        found = [self._vacancy(uow, str(i)) for i in (board.open_ids if board else [])]
        if employer is not None:
            found = [v for v in found if v.employer_id == employer_id(employer)]
        return [self._vacancy_view(uow, v) for v in found]

    # --- matches ------------------------------------------------------------------------

    def matches(
        self, vacancy_id: str, min_score: int = 0, include_trainable: bool = False
    ) -> list[MatchView]:
        """The vacancy's candidates, eligible first, best score first."""
        uow = UnitOfWork(self._app)
        vacancy = self._vacancy(uow, vacancy_id)
        book = uow.find(MatchBook, MatchBook.identity(vacancy.id))
        views = [
            MatchView.of(vacancy.id, cid, record)
            for cid, record in (book.results.items() if book else [])
            if record["score"] >= min_score
            and (include_trainable or record["outcome"] == "eligible")
        ]
        return sorted(views, key=lambda m: (m.outcome != "eligible", -m.score, m.candidate_id))

    def matches_for(self, candidate_id: str) -> list[MatchView]:
        """The open vacancies a candidate matches, best first."""
        uow = UnitOfWork(self._app)
        candidate = self._candidate(uow, candidate_id)
        views = [
            MatchView.of(
                book.vacancy_id, candidate.candidate_id, book.results[candidate.candidate_id]
            )
            for book in self._books(uow)
            if candidate.candidate_id in book.results
        ]
        return sorted(views, key=lambda m: (m.outcome != "eligible", -m.score, m.vacancy_id))

    @staticmethod
    def as_csv(matches: list[MatchView]) -> str:
        """Matches as CSV: a row each, the requirements and skills summarized."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for m in matches:
            writer.writerow(
                spreadsheet_safe(cell)
                for cell in (
                    m.vacancy_id,
                    m.candidate_id,
                    m.outcome,
                    m.score,
                    m.stars,
                    "; ".join(f"{r['code']} {r['state']}" for r in m.requirements),
                    "; ".join(f"{s['skill']} {s['credit']}x{s['weight']}" for s in m.skills),
                    "; ".join(f"{p['code']} at {p['college_id']} {p['starts']}" for p in m.plan),
                    m.algorithm,
                )
            )
        return out.getvalue()

    # --- following the candidates -------------------------------------------------------

    def rematch(self, candidate_id: str, at: datetime, uow: UnitOfWork) -> None:
        """Match one candidate again against every open vacancy (in ``uow``)."""
        candidate = uow.find(Candidate, Candidate.identity(candidate_id))
        if candidate is None or not candidate.opted_in:
            return
        profile = self._profile(uow, candidate_id)
        if profile is None:
            return
        context = TrainingOffers.read(uow)
        board = uow.find(VacancyBoard, VacancyBoard.identity())
        for vacancy_id in board.open_ids if board else []:
            vacancy = uow.find(Vacancy, vacancy_id)
            book = uow.find(MatchBook, MatchBook.identity(vacancy_id))
            if vacancy is None or book is None or not vacancy.is_open(at.date()):
                continue
            if in_region(vacancy.need(), profile):
                book.record(context.match(vacancy, profile, at.date()), at)
            else:
                book.drop(candidate_id, "outside the vacancy's region", at)

    def published(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        self.rematch(credential.employee_id, at, uow)

    def standing_changed(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        self.rematch(credential.employee_id, at, uow)

    def expired(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        self.rematch(credential.employee_id, at, uow)

    def reads_at_publication(self, completion_id: UUID) -> list[UUID]:
        return [VacancyBoard.identity(), SkillFramework.identity()]

    def recognised(self, employee_id: str, at: datetime, uow: UnitOfWork) -> None:
        self.rematch(employee_id, at, uow)

    def knows_holder(self, holder_id: str, uow: UnitOfWork) -> bool:
        """A job seeker may hold recognised badges too (they count toward their matches)."""
        return uow.find(JobSeeker, JobSeeker.identity(holder_id)) is not None

    def alignments(self, code: str, uow: UnitOfWork) -> list[Alignment]:
        """The skills ``code`` teaches that have a URI, for its badges' ``alignment``."""
        framework = uow.find(SkillFramework, SkillFramework.identity())
        if framework is None:
            return []
        skills = [framework.skills[s] for s in framework.taught_by(code)]
        return [Alignment(s.name, s.uri, s.code) for s in skills if s.uri]

    def _rematch_all(self, uow: UnitOfWork, at: datetime) -> None:
        pool = uow.find(CandidatePool, CandidatePool.identity())
        for cid in sorted(pool.members if pool else ()):
            self.rematch(cid, at, uow)

    # --- reading ------------------------------------------------------------------------

    def _profiles(
        self, uow: UnitOfWork, candidate_ids: Sequence[str], need: Need
    ) -> Iterator[Profile]:
        """The profiles of the candidates in ``need``'s region (or who would move), read
        ``PROFILE_BATCH`` candidates a query; nothing else of the others is read."""
        catalogue = uow.find(Catalogue, Catalogue.identity())
        codes = sorted(catalogue.entries) if catalogue else []
        for start in range(0, len(candidate_ids), PROFILE_BATCH):
            batch = candidate_ids[start : start + PROFILE_BATCH]
            uow.prefetch(Candidate.identity(cid) for cid in batch)
            candidates = [uow.find(Candidate, Candidate.identity(cid)) for cid in batch]
            here = [
                c
                for c in candidates
                if c is not None and (c.relocate or c.region.casefold() == need.region.casefold())
            ]
            employees = [c.candidate_id for c in here if c.kind is CandidateKind.EMPLOYEE]
            uow.prefetch(
                [Credential.identity(employee_id(c), code) for c in employees for code in codes]
                + [BadgeWallet.identity(c.candidate_id) for c in here]
            )
            for candidate in here:
                profile = self._profile(uow, candidate.candidate_id)
                if profile is not None:
                    yield profile

    def _profile(self, uow: UnitOfWork, candidate_id: str) -> Profile | None:
        """What the matcher may know of a candidate: region, relocation, what they hold (an
        employee's published credentials; anyone's recognised foreign badges)."""
        candidate = uow.find(Candidate, Candidate.identity(candidate_id))
        if candidate is None:
            return None
        held: list[Held] = []
        if candidate.kind is CandidateKind.EMPLOYEE:
            catalogue = uow.find(Catalogue, Catalogue.identity())
            codes = sorted(catalogue.entries) if catalogue else []
            ids = [Credential.identity(employee_id(candidate_id), code) for code in codes]
            uow.prefetch([*ids, BadgeWallet.identity(candidate_id)])
            for credential_id in ids:
                credential = uow.find(Credential, credential_id)
                if credential is not None:
                    held.append(
                        Held(
                            credential.credential_code,
                            credential.valid_until,
                            credential.standing.value,
                            Source.PUBLISHED,
                            str(credential.id),
                        )
                    )
        wallet = uow.find(BadgeWallet, BadgeWallet.identity(candidate_id))
        for recognised in wallet.recognised if wallet else []:
            if recognised.counts_as:
                until = recognised.valid_until.date() if recognised.valid_until else None
                held.append(
                    Held(
                        recognised.counts_as,
                        until,
                        "active",
                        Source.RECOGNISED,
                        recognised.credential_id,
                    )
                )
        return Profile(
            candidate.candidate_id,
            candidate.region,
            candidate.relocate,
            tuple(held),
            frozenset(candidate.declared),
        )

    def _candidate(self, uow: UnitOfWork, candidate_id: str) -> Candidate:
        cid = employee_id(candidate_id)
        found = uow.find(Candidate, Candidate.identity(cid))
        if found is None:
            raise NotFound(f"candidate {cid} not found (employees opt in first)")
        return found

    @staticmethod
    def _candidate_view(candidate: Candidate) -> CandidateView:
        return CandidateView(
            candidate.candidate_id,
            candidate.kind.value,
            candidate.region,
            candidate.relocate,
            candidate.opted_in,
            list(candidate.declared),
        )

    @staticmethod
    def _vacancy(uow: UnitOfWork, vacancy_id: str) -> Vacancy:
        found = uow.find(Vacancy, parse_id(vacancy_id, "vacancy"))
        if found is None:
            raise NotFound(f"vacancy {vacancy_id} not found")
        return found

    @staticmethod
    def _vacancy_view(uow: UnitOfWork, vacancy: Vacancy) -> VacancyView:
        book = uow.find(MatchBook, MatchBook.identity(vacancy.id))
        return VacancyView.of(vacancy, len(book.results) if book else 0)

    @staticmethod
    def _books(uow: UnitOfWork) -> Iterable[MatchBook]:
        board = uow.find(VacancyBoard, VacancyBoard.identity())
        for vacancy_id in board.open_ids if board else []:
            book = uow.find(MatchBook, MatchBook.identity(vacancy_id))
            if book is not None:
                yield book

    @staticmethod
    def _framework(uow: UnitOfWork, at: datetime) -> SkillFramework:
        return _single(uow, SkillFramework, at)

    @staticmethod
    def _registry(uow: UnitOfWork, at: datetime) -> CollegeRegistry:
        return _single(uow, CollegeRegistry, at)

    @staticmethod
    def _pool(uow: UnitOfWork, at: datetime) -> CandidatePool:
        return _single(uow, CandidatePool, at)

    @staticmethod
    def _board(uow: UnitOfWork, at: datetime) -> VacancyBoard:
        return _single(uow, VacancyBoard, at)


S = TypeVar("S", SkillFramework, CollegeRegistry, CandidatePool, VacancyBoard)


def _single(uow: UnitOfWork, kind: type[S], at: datetime) -> S:
    """The store's one aggregate of ``kind``, opened on first use."""
    found = uow.find(kind, kind.identity())
    opened: S = found or uow.add(kind.open(at))
    return opened


@attrs.frozen
class TrainingOffers:
    """What every match reads besides the candidate: what each micro-credential teaches, and
    the approved colleges' intakes of each."""

    teaches: dict[str, tuple[str, ...]]
    courses: dict[str, list[Course]]

    @classmethod
    def read(cls, uow: UnitOfWork) -> TrainingOffers:
        framework = uow.find(SkillFramework, SkillFramework.identity())
        registry = uow.find(CollegeRegistry, CollegeRegistry.identity())
        catalogue = uow.find(Catalogue, Catalogue.identity())
        courses: dict[str, list[Course]] = {}
        for code, entry in catalogue.entries.items() if catalogue else []:
            college_id = registry.college_of(code) if registry else "HOME"
            college = registry.college(college_id) if registry else None
            approved = college.approved if college else college_id == "HOME"
            intakes = tuple(registry.intakes_of(code)) if registry else ()
            if approved and intakes:
                courses[code] = [Course(code, college_id, intakes, entry.access_days, entry.fee)]
        return cls(dict(framework.taught) if framework else {}, courses)

    def match(self, vacancy: Vacancy, profile: Profile, today: date) -> Result:
        return match(vacancy.need(), profile, self.teaches, self.courses, today)


def training_offers(uow: UnitOfWork) -> TrainingOffers:
    """What each micro-credential teaches, and where and when approved colleges train it."""
    return TrainingOffers.read(uow)
