"""The colleges that train the micro-credentials, which are approved, and their intakes."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import AlreadyExists, InvalidValue, NotFound

HOME_COLLEGE = "HOME"
"""The college running this installation: every catalogue entry belongs to it unless offered
elsewhere, and it is approved."""


@attrs.frozen
class College:
    """A college: approved colleges' micro-credentials can close a candidate's gap."""

    college_id: str
    name: str
    approved: bool


class CollegeRegistry(Aggregate):
    """The colleges, which college offers each micro-credential, and its start dates."""

    class RegistryOpened(CreatedEvent):
        opened_at: datetime
        business_time_field = "opened_at"

    class CollegeAdded(DomainEvent):
        college_id: str
        name: str
        approved: bool
        added_at: datetime
        business_time_field = "added_at"

        def apply(self, aggregate: CollegeRegistry) -> None:
            aggregate.colleges[self.college_id] = College(self.college_id, self.name, self.approved)

    class OfferedBy(DomainEvent):
        credential_code: str
        college_id: str
        set_at: datetime
        business_time_field = "set_at"

        def apply(self, aggregate: CollegeRegistry) -> None:
            aggregate.offered_by[self.credential_code] = self.college_id

    class IntakeAdded(DomainEvent):
        credential_code: str
        starts: date
        added_at: datetime
        business_time_field = "added_at"

        def apply(self, aggregate: CollegeRegistry) -> None:
            intakes = aggregate.intakes.setdefault(self.credential_code, [])
            intakes.append(self.starts)
            intakes.sort()

    def __init__(self, opened_at: datetime) -> None:
        self.colleges: dict[str, College] = {}
        self.offered_by: dict[str, str] = {}
        self.intakes: dict[str, list[date]] = {}

    @staticmethod
    def identity() -> UUID:
        return aggregate_id("college-registry")

    @classmethod
    def open(cls, at: datetime) -> CollegeRegistry:
        return cls._create(cls.RegistryOpened, id=cls.identity(), timestamp=at, opened_at=at)

    def add(self, college_id: str, name: str, approved: bool, at: datetime) -> College:
        if college_id == HOME_COLLEGE:
            raise AlreadyExists(f"{HOME_COLLEGE} is this installation's own college")
        if college_id in self.colleges:
            raise AlreadyExists(f"there is already a college {college_id}")
        if not name.strip():
            raise InvalidValue("a college needs a name")
        self.trigger_event(
            self.CollegeAdded,
            timestamp=at,
            college_id=college_id,
            name=name.strip(),
            approved=approved,
            added_at=at,
        )
        return self.colleges[college_id]

    def college(self, college_id: str) -> College:
        if college_id == HOME_COLLEGE:
            return College(HOME_COLLEGE, "this college", True)
        found = self.colleges.get(college_id)
        if found is None:
            raise NotFound(f"college {college_id} not found")
        return found

    def offer(self, credential_code: str, college_id: str, at: datetime) -> None:
        """``credential_code`` is taught by ``college_id``."""
        self.college(college_id)
        if self.college_of(credential_code) != college_id:
            self.trigger_event(
                self.OfferedBy,
                timestamp=at,
                credential_code=credential_code,
                college_id=college_id,
                set_at=at,
            )

    def add_intake(self, credential_code: str, starts: date, today: date, at: datetime) -> None:
        """A start date of ``credential_code`` (not in the past; the same date once)."""
        if starts < today:
            raise InvalidValue(f"the intake {starts.isoformat()} is in the past")
        if starts not in self.intakes.get(credential_code, []):
            self.trigger_event(
                self.IntakeAdded,
                timestamp=at,
                credential_code=credential_code,
                starts=starts,
                added_at=at,
            )

    def college_of(self, credential_code: str) -> str:
        return self.offered_by.get(credential_code, HOME_COLLEGE)

    def intakes_of(self, credential_code: str) -> list[date]:
        return list(self.intakes.get(credential_code, []))
