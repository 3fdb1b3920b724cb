"""Employer compliance reports (counts per micro-credential), served from the projection."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime

import attrs
from eventsourcing.persistence import IntegrityError

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
)
from carepassport.domain.errors import NotFound
from carepassport.domain.reference import Employer
from carepassport.domain.values import employer_id

log = logging.getLogger(__name__)
BATCH = 500


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


def _facts(row: FactRow) -> RequirementFacts:
    return RequirementFacts(row.valid_until, Standing(row.standing), Progress(row.progress))


class Reports:
    """Keeps the compliance projection up to date and reads reports from it."""

    def __init__(self, app: CarePassportApplication, store: ComplianceStore) -> None:
        self._app = app
        self._store = store

    def catch_up(self, store: ComplianceStore | None = None) -> int:
        """Apply every event the projection has not seen, a batch a transaction (only the
        events it follows are decoded, before the transaction opens)."""
        target = store or self._store
        to_event = self._app.mapper.to_domain_event
        applied = 0
        after = target.position()
        while batch := self._app.recorder.select_notifications(start=after + 1, limit=BATCH):
            events = [to_event(n) for n in batch if follows(n.topic)]
            try:
                with target.transaction(after, batch[-1].id) as tx:
                    fold(events, tx)
            except IntegrityError:
                log.info("another process advanced the compliance projection; reading on")
                after = target.position()
                continue
            applied += len(batch)
            after = batch[-1].id
        return applied

    def rebuild(self) -> int:
        """Forget the projection and fold the whole log again."""
        self._store.clear()
        return self.catch_up()

    def compliance(self, employer: str, job_function: str | None = None) -> ComplianceReport:
        """The report at the clock's time."""
        return self.report_from(self._store, employer, job_function)

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
        if self._app.find(Employer, Employer.identity(eid)) is None:
            raise NotFound(f"employer {eid} not found")
        self.catch_up(store)
        now = self._app.now()
        window = self._app.settings().reminder_window
        lines: list[RequirementLine] = []
        standing: dict[str, list[str]] = {}
        for row, facts in store.rows(eid, job_function):
            states = self._lines(row, facts, now, window, lines)
            worst = overall_standing(states)
            if worst is not None:
                standing.setdefault(worst.value, []).append(row.employee_id)
        employees = sorted({line.employee_id for line in lines})
        return ComplianceReport(
            employer_id=eid,
            job_function=job_function,
            as_of=now,
            employees=len(employees),
            compliant=sorted(
                e
                for e in employees
                if all(
                    RequirementState(line.state) in COMPLIANT
                    for line in lines
                    if line.employee_id == e
                )
            ),
            standing={k: sorted(v) for k, v in sorted(standing.items())},
            **{
                state.value: [line for line in lines if line.state == state.value]
                for state in (
                    RequirementState.EXPIRING,
                    RequirementState.EXPIRED,
                    RequirementState.IN_PROGRESS,
                    RequirementState.FAILED,
                    RequirementState.NEVER_COMPLETED,
                    RequirementState.SUSPENDED,
                    RequirementState.REVOKED,
                )
            },
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
