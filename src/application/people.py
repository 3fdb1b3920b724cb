"""``people erase``: a person's personal data made unreadable everywhere, history kept (ADR 0023).

The person's data keys are deleted: their own (``person:<id>``), every e-mail address and
student number recorded for them, and the keys of the records that name them (messages to or
about them, their replies, stored HTTP answers). The log keeps every event, as ciphertext, so
replay, reports, badges and ``audit verify`` work as before; the erased values read as
``[erased]``. What is recorded is who erased whom, when and why, never what.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs
from eventsourcing.utils import get_topic

from carepassport.application.personal import subject_of
from carepassport.application.store import CarePassportApplication
from carepassport.domain.access.api_access import IdempotentRequest
from carepassport.domain.base import DomainEvent
from carepassport.domain.erasure import PersonErasures, erasure_reason
from carepassport.domain.errors import NotFound
from carepassport.domain.mail.notification import Notification
from carepassport.domain.matching.candidates import JobSeeker
from carepassport.domain.reference import Employee
from carepassport.domain.sign_in import SignInAddress
from carepassport.domain.training.approval_reply import ApprovalReply
from carepassport.domain.training.lms_access import LmsProvisioning
from carepassport.domain.values import ERASED, EmployeeId

RECORDS: tuple[type[DomainEvent], ...] = (
    Notification.NotificationQueued,
    Notification.NoticeQueued,
    Notification.DeliveryFailed,
    Notification.DeliveryAbandoned,
    ApprovalReply.ReplyAccepted,
    ApprovalReply.ReplyRefused,
    IdempotentRequest.AnswerRecorded,
    LmsProvisioning.ProvisioningFailedAgain,
)
"""The events with text sealed per record (``"record"``): read when a person is erased, to
find the records that name them (a test checks that none is missing)."""
SCAN_PAGE = 500


@attrs.frozen
class ErasureView:
    person_id: str
    erased_at: datetime
    erased_by: str
    reason: str
    keys: int
    records: int
    erasures: int


@attrs.frozen
class _Person:
    person_id: str
    emails: frozenset[str]
    numbers: frozenset[str]

    def subjects(self, app: CarePassportApplication) -> set[str]:
        return {
            subject_of("person", self.person_id, app.personal),
            *(subject_of("email", e, app.personal) for e in self.emails),
            *(subject_of("student", n, app.personal) for n in self.numbers),
        }

    def mentioned_in(self, text: str) -> bool:
        lowered = text.lower()
        if any(e in lowered for e in self.emails):
            return True
        words = (self.person_id, *self.numbers)
        return any(re.search(rf"(?<![\w.-]){re.escape(w)}(?![\w-])", text) for w in words)


class People:
    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app

    def erase(self, person_id: str, reason: str, by: str) -> ErasureView:
        """Erase an employee's or job seeker's personal data (NotFound if neither exists)."""
        reason = erasure_reason(reason)
        now = self._app.now_for_write()
        person = self._person(person_id.strip())
        records = set(self._records_naming(person))
        keys = self._app.personal.erase(
            person.subjects(self._app) | {f"record:{r}" for r in records}
        )
        erasures = self._app.find(PersonErasures, PersonErasures.identity(person.person_id))
        if erasures is None:
            erasures = PersonErasures.first(person.person_id, by, reason, now, keys, len(records))
        else:
            erasures.again(by, reason, now, keys, len(records))
        addresses = [
            a
            for e in person.emails
            if (a := self._app.find(SignInAddress, self._address_id(e))) is not None
        ]
        for address in addresses:
            address.close(now)  # the mailbox no longer signs in as them
        self._app.record(erasures, *addresses)
        self._app.forget_cached()
        return ErasureView(person.person_id, now, by, reason, keys, len(records), erasures.count)

    def _address_id(self, email: str) -> Any:
        return SignInAddress.identity(self._app.personal.index("email", email))

    def _person(self, person_id: str) -> _Person:
        emails: set[str] = set()
        numbers: set[str] = set()
        found = False
        for event in self._history(Employee.identity(EmployeeId(person_id))):
            found = True
            if isinstance(event, Employee.EmployeeAdded):
                emails.add(event.email)
                numbers.add(event.student_number or "")
            elif isinstance(event, Employee.StudentNumberChanged):
                numbers.update((event.student_number, event.previous or ""))
        seeker = self._app.find(JobSeeker, JobSeeker.identity(person_id))
        if seeker is not None:
            found = True
            emails.add(seeker.email)
        if not found:
            raise NotFound(f"no employee or job seeker {person_id!r}")
        return _Person(
            person_id,
            frozenset(e.lower() for e in emails if e and e != ERASED),
            frozenset(n for n in numbers if n and n != ERASED),
        )

    def _history(self, aggregate_id: Any) -> Iterator[DomainEvent]:
        for event in self._app.events.get(aggregate_id):
            if isinstance(event, DomainEvent):
                yield event

    def _records_naming(self, person: _Person) -> Iterator[Any]:
        """The ids of the records whose sealed text names ``person`` (or is sent to them)."""
        topics = [get_topic(cls) for cls in RECORDS]
        start = 1
        while page := self._app.recorder.select_notifications(
            start=start, limit=SCAN_PAGE, topics=topics
        ):
            for stored in page:
                event = self._app.mapper.to_domain_event(stored)
                if any(person.mentioned_in(text) for text in _personal_texts(event)):
                    yield event.originator_id
            start = page[-1].id + 1


def _personal_texts(event: Any) -> Iterator[str]:
    for name in getattr(type(event), "personal", {}):
        value = getattr(event, name, None)
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))
        elif value is not None:
            yield json.dumps(value)
