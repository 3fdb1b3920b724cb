"""The skills-gap analysis: an employer's workforce against its job functions' requirements (or
a target framework of skills and headcounts) on a date, the gaps, and the cheapest training
from approved colleges that closes each."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import attrs

from carepassport.application.compliance.reports import ComplianceReport, Reports
from carepassport.application.compliance.requirements import spreadsheet_safe
from carepassport.application.matching.matching import training_offers
from carepassport.application.store import CarePassportApplication
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.compliance.standing import Standing
from carepassport.domain.errors import InvalidValue, NotFound
from carepassport.domain.matching.colleges import HOME_COLLEGE, College, CollegeRegistry
from carepassport.domain.matching.matcher import Course
from carepassport.domain.matching.skills import SkillFramework, skill_code
from carepassport.domain.reference import Catalogue
from carepassport.domain.values import credential_code, employee_id, employer_id

HOLDING = ("valid", "expiring")
TARGET_HEADER = ["skill", "headcount"]
MAX_HEADCOUNT = 100_000


@attrs.frozen
class Plan:
    """Training that closes a gap: the micro-credential, its college, seats and fees."""

    code: str
    college_id: str
    seats: int
    fee_per_seat: Decimal
    total_fees: Decimal
    earliest_completion: date


@attrs.frozen
class Gap:
    """One required micro-credential or target skill."""

    kind: str
    target: str
    needed: int
    holding: int
    expiring_before: int
    gap: int
    plan: Plan | None
    note: str = ""


@attrs.frozen
class SkillsGapReport:
    employer_id: str
    job_function: str | None
    on: date
    employees: int
    gaps: list[Gap]
    total_fees: Decimal


@attrs.frozen
class Demand:
    """One micro-credential a college offers, across the employers whose employees need it."""

    code: str
    employers: int
    """Employers with at least one employee short of it on the date."""
    needed: int
    holding: int
    expiring_before: int
    gap: int
    plan: Plan | None
    """This college's seats for the whole gap (its fee, its next intake)."""
    note: str = ""


@attrs.frozen
class CollegeDemandReport:
    """What the employers a college serves need of its micro-credentials: largest gap first."""

    college_id: str
    approved: bool
    on: date
    employers: list[str]
    demand: list[Demand]
    total_fees: Decimal


@attrs.frozen
class TargetLine:
    skill: str
    headcount: int


def parse_target(text: str) -> list[TargetLine]:
    """A target framework as CSV (``skill,headcount``); refused whole, every bad line listed."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0]] != TARGET_HEADER:
        raise InvalidValue("the target CSV must start with the header: skill,headcount")
    problems, lines, seen = [], [], set()
    for number, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != 2:
            problems.append(f"line {number}: expected 2 fields, found {len(row)}")
            continue
        try:
            code = skill_code(row[0])
        except InvalidValue as error:
            problems.append(f"line {number}: {error}")
            continue
        count = row[1].strip()
        if not count.isdigit() or not 1 <= int(count) <= MAX_HEADCOUNT:
            problems.append(f"line {number}: headcount {count!r} is not 1-{MAX_HEADCOUNT}")
            continue
        if code in seen:
            problems.append(f"line {number}: {code} is listed twice")
            continue
        seen.add(code)
        lines.append(TargetLine(code, int(count)))
    if problems:
        raise InvalidValue("the target CSV was refused: " + "; ".join(problems))
    return lines


def cheapest(courses: list[Course], seats: int, today: date) -> Plan | None:
    """The lowest-fee course with an intake from today (then the earliest to finish)."""
    options = [
        (c.fee, s + timedelta(days=c.access_days), c)
        for c in courses
        for s in c.intakes
        if s >= today
    ]
    if not options or seats <= 0:
        return None
    fee, finishes, course = min(options, key=lambda o: (o[0], o[1], o[2].college_id))
    return Plan(course.code, course.college_id, seats, fee, fee * seats, finishes)


class SkillsGaps:
    """``report skills-gap``."""

    def __init__(self, app: CarePassportApplication, reports: Reports) -> None:
        self._app = app
        self._reports = reports

    def report(
        self,
        employer: str,
        job_function: str | None = None,
        on: date | None = None,
        target: list[TargetLine] | None = None,
    ) -> SkillsGapReport:
        """The gaps on ``on`` (default today) and the cheapest plan for each."""
        today = self._app.now().date()
        day = on or today
        if day < today:
            raise InvalidValue(f"the date {day.isoformat()} is in the past: gaps are for ahead")
        compliance = self._reports.compliance(employer, job_function)
        uow = UnitOfWork(self._app)
        offers = training_offers(uow)
        population = self._reports.employees(employer, job_function)
        gaps: list[Gap] = []
        if target is None:
            for code, (needed, holding, expiring) in _counts(compliance, day).items():
                gaps.append(
                    self._gap(
                        "micro-credential",
                        code,
                        needed,
                        holding,
                        expiring,
                        offers.courses.get(code, []),
                        today,
                    )
                )
        else:
            framework = uow.find(SkillFramework, SkillFramework.identity())
            known = framework.known([t.skill for t in target]) if framework else None
            if known is None:
                raise InvalidValue("no skills are known yet: add them first (skills add)")
            for line in target:
                teaching = sorted(c for c, s in offers.teaches.items() if line.skill in s)
                holders, soon = self._holders(uow, population, teaching, day)
                courses = [c for code in teaching for c in offers.courses.get(code, [])]
                gaps.append(
                    self._gap(
                        "skill",
                        line.skill,
                        line.headcount,
                        holders,
                        soon,
                        courses,
                        today,
                        "" if teaching else "no micro-credential teaches it",
                    )
                )
        return SkillsGapReport(
            employer_id=compliance.employer_id,
            job_function=job_function,
            on=day,
            employees=len(population),
            gaps=gaps,
            total_fees=sum((g.plan.total_fees for g in gaps if g.plan), Decimal("0.00")),
        )

    def for_college(self, college: str, on: date | None = None) -> CollegeDemandReport:
        """Across the employers whose employees must hold a micro-credential ``college``
        offers: for each such micro-credential, how many need it, hold it on ``on``, expire
        before it, the gap, and the college's seats that close it."""
        today = self._app.now().date()
        day = on or today
        if day < today:
            raise InvalidValue(f"the date {day.isoformat()} is in the past: gaps are for ahead")
        uow = UnitOfWork(self._app)
        registry = uow.find(CollegeRegistry, CollegeRegistry.identity())
        college_id = str(employer_id(college))  # college ids follow employer ids' form
        found = registry.college(college_id) if registry else None
        if found is None:
            if college_id != HOME_COLLEGE:
                raise NotFound(f"college {college_id} not found")
            found = College(HOME_COLLEGE, "this college", True)
        catalogue = uow.find(Catalogue, Catalogue.identity())
        codes = {
            code
            for code in (catalogue.entries if catalogue else {})
            if (registry.college_of(code) if registry else HOME_COLLEGE) == college_id
        }
        offers = training_offers(uow)
        totals: dict[str, list[int]] = {}
        served: list[str] = []
        for employer in self._reports.employers():
            counts = _counts(self._reports.compliance(employer), day)
            mine = {code: c for code, c in counts.items() if code in codes}
            if mine:
                served.append(employer)
            for code, (needed, holding, expiring) in mine.items():
                total = totals.setdefault(code, [0, 0, 0, 0, 0])
                gap = max(needed - holding, 0)
                for i, value in enumerate((1 if gap else 0, needed, holding, expiring, gap)):
                    total[i] += value
        demand = []
        for code, (employers, needed, holding, expiring, gap) in totals.items():
            plan = cheapest(offers.courses.get(code, []), gap, today)
            note = ""
            if gap and plan is None:
                note = (
                    "no intake ahead"
                    if found.approved
                    else "the college is not approved: its training closes no gap"
                )
            demand.append(Demand(code, employers, needed, holding, expiring, gap, plan, note))
        demand.sort(key=lambda d: (-d.gap, d.code))
        return CollegeDemandReport(
            college_id=college_id,
            approved=found.approved,
            on=day,
            employers=served,
            demand=demand,
            total_fees=sum((d.plan.total_fees for d in demand if d.plan), Decimal("0.00")),
        )

    @staticmethod
    def _gap(
        kind: str,
        target: str,
        needed: int,
        holding: int,
        expiring: int,
        courses: list[Course],
        today: date,
        note: str = "",
    ) -> Gap:
        gap = max(needed - holding, 0)
        plan = cheapest(courses, gap, today)
        if gap and plan is None and not note:
            note = "no approved college has an intake ahead"
        return Gap(kind, target, needed, holding, expiring, gap, plan, note)

    @staticmethod
    def _holders(
        uow: UnitOfWork, population: list[str], codes: list[str], day: date
    ) -> tuple[int, int]:
        """Employees holding, on ``day``, a micro-credential among ``codes``; and those whose
        holding expires before it."""
        ids = [
            Credential.identity(employee_id(e), credential_code(c))
            for e in population
            for c in codes
        ]
        uow.prefetch(ids)
        holders = expiring = 0
        for employee in population:
            found = [
                uow.find(Credential, Credential.identity(employee_id(employee), credential_code(c)))
                for c in codes
            ]
            active = [c for c in found if c is not None and c.standing is Standing.ACTIVE]
            if any(c.valid_until >= day for c in active):
                holders += 1
            elif active:
                expiring += 1
        return holders, expiring

    @staticmethod
    def college_csv(report: CollegeDemandReport) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["college_id", "on", "code", "employers", "needed", "holding", "expiring_before",
             "gap", "seats", "total_fees", "earliest_completion", "note"]
        )  # fmt: skip
        for d in report.demand:
            p = d.plan
            writer.writerow(
                spreadsheet_safe(v)
                for v in (
                    report.college_id,
                    report.on,
                    d.code,
                    d.employers,
                    d.needed,
                    d.holding,
                    d.expiring_before,
                    d.gap,
                    p.seats if p else "",
                    p.total_fees if p else "",
                    p.earliest_completion if p else "",
                    d.note,
                )
            )
        return out.getvalue()

    @staticmethod
    def as_csv(report: SkillsGapReport) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["employer_id", "on", "kind", "target", "needed", "holding", "expiring_before",
             "gap", "plan_code", "plan_college", "seats", "total_fees", "earliest_completion",
             "note"]
        )  # fmt: skip
        for g in report.gaps:
            p = g.plan
            writer.writerow(
                spreadsheet_safe(v)
                for v in (
                    report.employer_id,
                    report.on,
                    g.kind,
                    g.target,
                    g.needed,
                    g.holding,
                    g.expiring_before,
                    g.gap,
                    p.code if p else "",
                    p.college_id if p else "",
                    p.seats if p else "",
                    p.total_fees if p else "",
                    p.earliest_completion if p else "",
                    g.note,
                )
            )
        return out.getvalue()


def _counts(compliance: ComplianceReport, day: date) -> dict[str, tuple[int, int, int]]:
    """Per required micro-credential (sorted): employees who need it, who hold it on ``day``,
    and whose holding expires before it."""
    counts: dict[str, tuple[int, int, int]] = {}
    for code in sorted({line.code for line in compliance.lines}):
        lines = [line for line in compliance.lines if line.code == code]
        held = [line for line in lines if line.state in HOLDING and line.valid_until]
        holding = sum(1 for line in held if line.valid_until and line.valid_until >= day)
        counts[code] = (len(lines), holding, len(held) - holding)
    return counts
