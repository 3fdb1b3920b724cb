"""Employer compliance reports (counts per micro-credential), served from the projection."""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import attrs
from eventsourcing.persistence import IntegrityError, Notification

from carepassport.application.compliance.ports import ComplianceStore, EmployeeRow, FactRow
from carepassport.application.compliance.projection import fold, follows
from carepassport.application.compliance.requirements import spreadsheet_safe
from carepassport.application.store import CarePassportApplication
from carepassport.domain.compliance.standing import (
    COMPLIANT,
    Progress,
    RequirementFacts,
    RequirementState,
    Standing,
    overall_standing,
    requirement_state,
    states_hold_until,
)
from carepassport.domain.errors import InvalidValue, NotFound
from carepassport.domain.reference import Employer
from carepassport.domain.time import MIDNIGHT, at_local, local
from carepassport.domain.values import EmployerId, employer_id

log = logging.getLogger(__name__)
BATCH = 500
"""Notifications read at a time."""
REBUILD_BATCHES = 20
"""Batches folded in one transaction while rebuilding from the whole log (one commit, one
tracking row and one write-back of the rows touched for 10,000 events instead of 20); keeping
up after commands and ticks stays one batch a transaction. A crash mid-rebuild redoes at most
that many batches: the position moves with each transaction, as always."""
LISTED = tuple(
    state.value
    for state in (
        RequirementState.EXPIRING,
        RequirementState.EXPIRED,
        RequirementState.IN_PROGRESS,
        RequirementState.FAILED,
        RequirementState.NEVER_COMPLETED,
        RequirementState.SUSPENDED,
        RequirementState.REVOKED,
    )
)
"""The states a report lists line by line (each its own field of the report)."""


@attrs.frozen
class RequirementLine:
    """One requirement of one employee in a report."""

    employee_id: str
    job_function: str | None
    code: str
    state: str
    valid_until: date | None


@attrs.frozen
class ComplianceReport:
    """Who is compliant, expiring (with dates), expired, in progress, or failed."""

    employer_id: str
    job_function: str | None
    as_of: datetime
    employees: int
    compliant: list[str]
    standing: dict[str, list[str]]
    expiring: list[RequirementLine]
    expired: list[RequirementLine]
    in_progress: list[RequirementLine]
    failed: list[RequirementLine]
    never_completed: list[RequirementLine]
    suspended: list[RequirementLine]
    revoked: list[RequirementLine]
    lines: list[RequirementLine]


@attrs.frozen
class _Kept:
    """A report read from the kept projection, and how long it stays the answer."""

    position: int
    read_at: datetime
    holds_until: datetime
    report: ComplianceReport

    def answers(self, position: int, now: datetime) -> bool:
        return position == self.position and self.read_at <= now < self.holds_until


HOLDING = (RequirementState.VALID.value, RequirementState.EXPIRING.value)
MAX_WITHIN = 366
KEPT = 64
"""Reports kept (by employer and job function), the oldest forgotten first."""


STANDINGS = {s.value: s for s in Standing}
PROGRESS = {p.value: p for p in Progress}


def _month_ends(now: datetime, count: int) -> list[datetime]:
    """The ends (the next month's first instant, local) of the ``count`` months before
    ``now``'s, oldest first."""
    first = local(now).date().replace(day=1)
    ends = []
    for _ in range(count):
        ends.append(at_local(first, MIDNIGHT))
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(ends))


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


def _facts(row: FactRow) -> RequirementFacts:
    return RequirementFacts(row.valid_until, STANDINGS[row.standing], PROGRESS[row.progress])


@attrs.frozen
class MonthPoint:
    """Compliance at the end of one month (or now, for the month under way), as then known."""

    month: str
    as_of: datetime
    employees: int
    compliant: int

    @property
    def percent(self) -> int:
        """Compliant employees as a whole percentage (0 without employees)."""
        return round(100 * self.compliant / self.employees) if self.employees else 0


class Reports:
    """Keeps the compliance projection up to date and reads reports from it."""

    def __init__(
        self,
        app: CarePassportApplication,
        store: ComplianceStore,
        scratch: Callable[[], ComplianceStore] | None = None,
    ) -> None:
        self._app = app
        self._store = store
        self._scratch = scratch
        self._trends: dict[tuple[str, int], tuple[int, list[MonthPoint]]] = {}
        self._kept: dict[tuple[str, str | None], _Kept] = {}

    def catch_up(self, store: ComplianceStore | None = None, batches: int = 1) -> int:
        """Apply every event the projection has not seen, ``batches`` batches a transaction
        (only the events it follows are decoded, before the transaction opens)."""
        target = store or self._store
        to_event = self._app.mapper.to_domain_event
        applied = 0
        after = target.position()
        while read := self._read(after, batches):
            events = [to_event(n) for n in read if follows(n.topic)]
            try:
                with target.transaction(after, read[-1].id) as tx:
                    fold(events, tx)
            except IntegrityError:
                log.info("another process advanced the compliance projection; reading on")
                after = target.position()
                continue
            applied += len(read)
            after = read[-1].id
        return applied

    def _read(self, after: int, batches: int) -> list[Notification]:
        """Up to ``batches`` batches of the log after ``after``, read a batch at a time."""
        read: list[Notification] = []
        for _ in range(batches):
            start = (read[-1].id if read else after) + 1
            batch = self._app.recorder.select_notifications(start=start, limit=BATCH)
            read += batch
            if len(batch) < BATCH:
                break
        return read

    def rebuild(self) -> int:
        """Forget the projection (and the reports read from it) and fold the whole log again,
        ``REBUILD_BATCHES`` batches a transaction."""
        self._kept.clear()
        self._store.clear()
        return self.catch_up(batches=REBUILD_BATCHES)

    def compliance(self, employer: str, job_function: str | None = None) -> ComplianceReport:
        """The report at the clock's time.

        A report is a function of the projection's position and of the time only through the
        instants at which states change (``states_hold_until``), so the last one read for the
        employer and job function is the answer again until an event arrives or such an instant
        passes; it is then read afresh (ADR 0024)."""
        eid = employer_id(employer)
        self._require_employer(eid)
        self.catch_up(self._store)
        position = self._store.position()
        """Read before the rows, so a kept report is never older than its position says."""
        now = self._app.now()
        key = (eid, job_function)
        kept = self._kept.get(key)
        if kept is not None and kept.answers(position, now):
            return attrs.evolve(kept.report, as_of=now)
        report = self._report(self._store, eid, job_function, now)
        self._kept.pop(key, None)
        self._kept[key] = _Kept(position, now, states_hold_until(now), report)
        while len(self._kept) > KEPT:
            self._kept.pop(next(iter(self._kept)))
        return report

    def expiring(
        self, employer: str, within_days: int, job_function: str | None = None
    ) -> list[RequirementLine]:
        """Who expires in the next ``within_days`` days: every valid or expiring line whose last
        valid day falls by then, soonest first."""
        if not 1 <= within_days <= MAX_WITHIN:
            raise InvalidValue(f"within {within_days} days is not 1-{MAX_WITHIN}")
        report = self.compliance(employer, job_function)
        last = report.as_of.date() + timedelta(days=within_days)
        return sorted(
            (
                line
                for line in report.lines
                if line.state in HOLDING and line.valid_until and line.valid_until <= last
            ),
            key=lambda line: (line.valid_until, line.employee_id, line.code),
        )

    def expiry_calendar(
        self, employer: str, days: int = 90, job_function: str | None = None
    ) -> list[tuple[date, int]]:
        """Each of the next ``days`` days (today first) and how many credentials are valid for
        the last time on it."""
        lines = self.expiring(employer, days, job_function)
        today = self._app.now().date()
        counts = Counter(line.valid_until for line in lines)
        return [(day, counts.get(day, 0)) for day in _days(today, days + 1)]

    def trend(self, employer: str, months: int = 12) -> list[MonthPoint]:
        """Compliance at the end of each of the last ``months`` months (the last: now), as it
        was known then: the log is folded once, in order, into a fresh projection, and each
        month's report read when the fold reaches the month's end. Kept until an event
        arrives."""
        if self._scratch is None:
            raise InvalidValue("no scratch projection is wired for the compliance trend")
        eid = employer_id(employer)
        self._require_employer(eid)
        position = self._app.recorder.max_notification_id() or 0
        key = (eid, months)
        kept = self._trends.get(key)
        if kept is not None and kept[0] == position:
            return kept[1]
        now = self._app.now()
        ends = [*_month_ends(now, months - 1), now + timedelta(microseconds=1)]
        """Each point folds the events recorded before its end: now's includes those at now."""
        points = self._fold_until(self._scratch(), eid, ends)
        self._trends[key] = (position, points)
        return points

    def _fold_until(
        self, store: ComplianceStore, eid: EmployerId, ends: list[datetime]
    ) -> list[MonthPoint]:
        to_event = self._app.mapper.to_domain_event
        points: list[MonthPoint] = []
        pending: list[Any] = []
        folded = 0

        def fold_pending(up_to: int) -> None:
            nonlocal folded
            with store.transaction(folded, up_to) as tx:
                fold(pending, tx)
            pending.clear()
            folded = up_to

        now = self._app.now()

        def point(end: datetime) -> None:
            at = min(end, now)
            report = self._report(store, eid, None, at)
            month = local(end - timedelta(microseconds=1))  # an end belongs to its month
            points.append(MonthPoint(f"{month:%Y-%m}", at, report.employees, len(report.compliant)))

        after = 0
        while ends and (
            batch := self._app.recorder.select_notifications(start=after + 1, limit=BATCH)
        ):
            for notification in batch:
                if not follows(notification.topic):
                    continue
                event: Any = to_event(notification)
                while ends and event.timestamp >= ends[0]:
                    fold_pending(notification.id - 1)
                    point(ends.pop(0))
                pending.append(event)
            after = batch[-1].id
        if ends:
            fold_pending(max(after, folded))
        for at in ends:
            point(at)
        return points

    def employees(self, employer: str, job_function: str | None = None) -> list[str]:
        """The employer's current employees (of one job function), by id."""
        eid = employer_id(employer)
        self.catch_up(self._store)
        return sorted(row.employee_id for row, _ in self._store.rows(eid, job_function))

    def employers(self) -> list[str]:
        """The employers with current employees, by id."""
        self.catch_up(self._store)
        return self._store.employer_ids()

    def report_from(
        self, store: ComplianceStore, employer: str, job_function: str | None
    ) -> ComplianceReport:
        """The report read from ``store`` (the kept projection, or a fresh rebuild)."""
        eid = employer_id(employer)
        self._require_employer(eid)
        self.catch_up(store)
        return self._report(store, eid, job_function, self._app.now())

    def _require_employer(self, eid: EmployerId) -> None:
        if self._app.find(Employer, Employer.identity(eid)) is None:
            raise NotFound(f"employer {eid} not found")

    def _report(
        self, store: ComplianceStore, eid: EmployerId, job_function: str | None, now: datetime
    ) -> ComplianceReport:
        window = self._app.settings().reminder_window
        lines: list[RequirementLine] = []
        standing: dict[str, list[str]] = {}
        for row, facts in store.rows(eid, job_function):
            states = self._lines(row, facts, now, window, lines)
            worst = overall_standing(states)
            if worst is not None:
                standing.setdefault(worst.value, []).append(row.employee_id)
        compliant: dict[str, bool] = {}
        by_state: dict[str, list[RequirementLine]] = {state: [] for state in LISTED}
        for line in lines:
            ok = RequirementState(line.state) in COMPLIANT
            compliant[line.employee_id] = compliant.get(line.employee_id, True) and ok
            if line.state in by_state:
                by_state[line.state].append(line)
        return ComplianceReport(
            employer_id=eid,
            job_function=job_function,
            as_of=now,
            employees=len(compliant),
            compliant=sorted(e for e, ok in compliant.items() if ok),
            standing={k: sorted(v) for k, v in sorted(standing.items())},
            **by_state,
            lines=lines,
        )

    @staticmethod
    def as_csv(report: ComplianceReport) -> str:
        """One line per employee and requirement, safe to open in a spreadsheet."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["employer_id", "employee_id", "job_function", "code", "state", "valid_until"]
        )
        for line in report.lines:
            writer.writerow(
                [
                    spreadsheet_safe(v)
                    for v in (
                        report.employer_id,
                        line.employee_id,
                        line.job_function,
                        line.code,
                        line.state,
                        line.valid_until,
                    )
                ]
            )
        return out.getvalue()

    @staticmethod
    def _lines(
        row: EmployeeRow,
        facts: list[FactRow],
        now: datetime,
        window: int,
        lines: list[RequirementLine],
    ) -> list[RequirementState]:
        states = []
        for fact in sorted(facts, key=lambda f: f.code):
            if not fact.sources:
                continue
            state = requirement_state(_facts(fact), now, window)
            states.append(state)
            lines.append(
                RequirementLine(
                    row.employee_id, row.job_function, fact.code, state.value, fact.valid_until
                )
            )
        return states
