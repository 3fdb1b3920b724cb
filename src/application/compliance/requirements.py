"""An employee's requirements list (R1): the state of each required micro-credential, its CSV
download, renewal requests for what is expired or expiring, and prerequisite checks."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import attrs

from carepassport.application.reference import ReferenceData
from carepassport.application.store import CarePassportApplication
from carepassport.application.training.sponsorships import Sponsorships
from carepassport.application.training.views import SponsorshipView
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.compliance.standing import (
    COMPLIANT,
    Progress,
    RequirementFacts,
    RequirementState,
    Standing,
    requirement_state,
)
from carepassport.domain.errors import InvalidValue, RegistrationRefused
from carepassport.domain.reference import MicroCredential
from carepassport.domain.training.completion import Completion
from carepassport.domain.training.policies import Outcome
from carepassport.domain.training.registration import Registration
from carepassport.domain.values import CredentialCode, EmployeeId

RENEWABLE = frozenset({RequirementState.EXPIRED, RequirementState.EXPIRING})
FORMULA_STARTS = ("=", "+", "-", "@")


@attrs.frozen
class RequirementItem:
    """One required micro-credential and its state at the read's time."""

    code: str
    title: str
    state: str
    valid_until: date | None


@attrs.frozen
class RequirementsList:
    """An employee's requirements list (R1)."""

    employee_id: str
    job_function: str | None
    as_of: datetime
    requirements: list[RequirementItem]


def spreadsheet_safe(cell: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Requirements:
    """Reads requirement states from the aggregates, at the clock's time."""

    def __init__(
        self, app: CarePassportApplication, reference: ReferenceData, sponsorships: Sponsorships
    ) -> None:
        self._app = app
        self._reference = reference
        self._sponsorships = sponsorships

    def facts(self, employee: EmployeeId, code: CredentialCode) -> RequirementFacts:
        """What the state of ``code`` for ``employee`` is derived from."""
        credential = self._app.find(Credential, Credential.identity(employee, code))
        registrations = list(
            self._app.sequence(Registration, lambda n: Registration.identity(employee, code, n))
        )
        return RequirementFacts(
            valid_until=credential.valid_until if credential else None,
            standing=credential.standing if credential else Standing.ACTIVE,
            progress=self._progress(registrations[-1]) if registrations else Progress.NONE,
        )

    def state(self, employee: EmployeeId, code: CredentialCode) -> RequirementState:
        """The state of one micro-credential for an employee now."""
        settings = self._app.settings()
        return requirement_state(
            self.facts(employee, code), self._app.now(), settings.reminder_window
        )

    def of_employee(self, employee: str) -> RequirementsList:
        """R1: one item per required micro-credential, with its state at the read's time."""
        record = self._reference.employee(employee)
        items = []
        for code in record.required:
            entry = self._entry(code)
            facts = self.facts(record.employee_id, code)
            state = requirement_state(facts, self._app.now(), self._app.settings().reminder_window)
            items.append(
                RequirementItem(
                    code, entry.title if entry else code, state.value, facts.valid_until
                )
            )
        return RequirementsList(record.employee_id, record.job_function, self._app.now(), items)

    def as_csv(self, employee: str) -> str:
        """The requirements list as CSV, safe to open in a spreadsheet."""
        listing = self.of_employee(employee)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["employee_id", "code", "title", "state", "valid_until"])
        for item in listing.requirements:
            writer.writerow(
                [
                    spreadsheet_safe(v)
                    for v in (
                        listing.employee_id,
                        item.code,
                        item.title,
                        item.state,
                        item.valid_until,
                    )
                ]
            )
        return out.getvalue()

    def request_renewals(self, employee: str) -> SponsorshipView:
        """One sponsorship request for every expired and expiring requirement."""
        listing = self.of_employee(employee)
        due = [i.code for i in listing.requirements if RequirementState(i.state) in RENEWABLE]
        if not due:
            raise InvalidValue(f"employee {listing.employee_id} has nothing expired or expiring")
        return self._sponsorships.request(employee, due)

    def require_prerequisites(self, employee: EmployeeId, entry: MicroCredential) -> None:
        """Refuse a registration whose prerequisites are not valid now, listing them."""
        missing = [
            f"{code} ({state.value})"
            for code in entry.prerequisites
            if (state := self.state(employee, code)) not in COMPLIANT
        ]
        if missing:
            raise RegistrationRefused(
                f"{entry.code} requires valid prerequisite(s): {', '.join(missing)}"
            )

    def _progress(self, latest: Registration) -> Progress:
        if latest.outcome is Outcome.OPEN:
            return Progress.OPEN
        if latest.outcome is Outcome.FAILED:
            return Progress.FAILED
        completion = self._app.find(Completion, Completion.identity(latest.id))
        if completion is None or completion.published_at is None:
            return Progress.AWAITING_PUBLICATION
        return Progress.PUBLISHED

    def _entry(self, code: CredentialCode) -> MicroCredential | None:
        catalogue = self._reference.catalogue()
        return catalogue.entries.get(code) if catalogue else None
