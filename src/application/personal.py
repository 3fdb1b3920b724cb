"""Personal data sealed per subject on its way into the store (crypto-shredding, ADR 0023).

Events declare which attributes hold personal data and whose they are
(``DomainEvent.personal``). On the way to the store, the ``SealingMapper`` replaces each such
value with a ``Sealed`` value: AES-256-GCM under the data key of its subject, the key id as
associated data. The transcoder writes a ``Sealed`` value as ``{"k": key id, "c": ciphertext}``.
On the way back, each ``Sealed`` value is opened again, or reads as ``ERASED`` once its key is
gone. The event log, and the audit tree over it, only ever hold the ciphertext, so erasing a
subject's key leaves both intact.

Subjects: ``email:<index>`` and ``student:<index>`` for an e-mail address or a student number
(the index is the value's blind index), ``person:<id>`` for text about a person, and
``record:<aggregate id>`` for text that may mention several people (a message's body, a
reply's words, a stored HTTP answer): erasing a person also erases the records that mention
them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol
from uuid import UUID

import attrs
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
    Transcoding,
)

from carepassport.application.ports import OutboxEntry, ViewChanges
from carepassport.domain.errors import DomainError
from carepassport.domain.training.lms import QuizResult
from carepassport.domain.values import ERASED

KINDS = ("email", "student", "person")


class KeysRaced(Exception):
    """Keys made for one write were made first by another process: seal the write again."""


class SubjectKeyMissing(DomainError):
    """A sealed value's key is neither in the key store nor erased: the wrong key store."""

    code = "personal_key_missing"


@attrs.frozen
class Sealed:
    """One personal value as stored: the key it is sealed under and nonce + ciphertext;
    ``json`` if the plaintext is a JSON document (a structured value), not text."""

    key_id: str
    data: bytes
    json: bool = False


class SealedAsDict(Transcoding):
    type = Sealed
    name = "sealed"

    def encode(self, obj: Sealed) -> dict[str, Any]:
        encoded: dict[str, Any] = {"k": obj.key_id, "c": base64.b64encode(obj.data).decode()}
        if obj.json:
            encoded["j"] = True
        return encoded

    def decode(self, data: dict[str, Any]) -> Sealed:
        return Sealed(data["k"], base64.b64decode(data["c"]), bool(data.get("j")))


def normalised(kind: str, value: str) -> str:
    """The form of a value its blind index is taken of (addresses compare lower-cased)."""
    return value.strip().lower() if kind == "email" else value.strip()


class PersonalData(Protocol):
    """Seals and opens personal values with per-subject keys, and indexes values blindly."""

    sealing: bool
    """False only to measure what sealing costs (``make bench``): values are stored as they
    are, blind indexes are kept."""

    def index(self, kind: str, value: str) -> str:
        """The blind index of ``value`` (HMAC-SHA-256 of its normalised form, hex): how a
        store looks a value up without holding it."""
        ...

    def seal(self, subject: str, plaintext: str, *, new: bool = False) -> Sealed:
        """``plaintext`` under ``subject``'s current key (made on first use); ``new`` if the
        subject cannot have a key yet (a record created by this write), so none is looked up."""
        ...

    def keys_made_together(self) -> AbstractContextManager[None]:
        """While open, the keys new subjects need are made in memory; when it closes they are
        stored together (one transaction), before anything sealed under them is written.
        ``KeysRaced`` if another process stored a key of the same subject first: nothing
        sealed meanwhile is usable, so the caller seals again (outside this context)."""
        ...

    def open(self, sealed: Sealed) -> str | None:
        """The plaintext, or None once the key is erased (``SubjectKeyMissing`` if the key
        store never had it)."""
        ...

    def preload(self, key_ids: Iterable[str]) -> None:
        """Read the keys of these ids that are not remembered, together (one query), so
        opening the values sealed under them reads nothing more."""
        ...

    def erase(self, subjects: Iterable[str]) -> int:
        """Delete every key of these subjects; how many keys were deleted."""
        ...

    def close(self) -> None: ...


def subject_of(kind: str, value: str, personal: PersonalData) -> str:
    """The subject a value is sealed under: an address or number by its blind index, a
    person by id."""
    if kind == "person":
        return f"person:{value}"
    return f"{kind}:{personal.index(kind, value)}"


class SealingMapper(Mapper[Any]):
    """The library's mapper, sealing each event's personal attributes before transcoding and
    opening them after (the library's own cipher would seal whole events under one key)."""

    def __init__(self, *args: Any, personal: PersonalData, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.personal = personal

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        fields: dict[str, str] = getattr(type(domain_event), "personal", {})
        if not fields or not self.personal.sealing:
            return super().to_stored_event(domain_event)
        state = vars(domain_event)
        sealed = dict(state)
        for name, spec in fields.items():
            sealed[name] = self._seal(spec, state.get(name), state)
        clone = object.__new__(type(domain_event))
        object.__setattr__(clone, "__dict__", sealed)
        return super().to_stored_event(clone)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]:
        return self._opened(super().to_domain_event(stored_event))

    def to_domain_events(
        self, stored_events: Iterable[StoredEvent]
    ) -> list[DomainEventProtocol[Any]]:
        """The events as ``to_domain_event`` gives them, the keys they are sealed under read
        together first (one query, not one a key)."""
        events = [super(SealingMapper, self).to_domain_event(s) for s in stored_events]
        self.personal.preload({v.key_id for e in events for v in _sealed_values(e)})
        return [self._opened(e) for e in events]

    def _opened(self, event: DomainEventProtocol[Any]) -> DomainEventProtocol[Any]:
        fields: dict[str, str] = getattr(type(event), "personal", {})
        state = vars(event)
        for name in fields:
            value = state.get(name)
            if isinstance(value, Sealed):
                state[name] = self._open(value)
            elif isinstance(value, list) and any(isinstance(v, Sealed) for v in value):
                state[name] = [self._open(v) if isinstance(v, Sealed) else v for v in value]
        return event

    def to_stored_events(
        self, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> list[StoredEvent]:
        """The events as stored, the keys they need made together first (one commit to the
        key store, not one per new subject); sealed again, key by key, if another process
        made one of those keys meanwhile."""
        try:
            with self.personal.keys_made_together():
                return [self.to_stored_event(e) for e in domain_events]
        except KeysRaced:
            return [self.to_stored_event(e) for e in domain_events]

    def _seal(self, spec: str, value: Any, state: dict[str, Any]) -> Any:
        if spec.startswith("json:"):  # a structured value, sealed whole as JSON
            if value is None:
                return None
            text = json.dumps(value, sort_keys=True, separators=(",", ":"))
            sealed = self._seal(spec.removeprefix("json:"), text, state)
            return attrs.evolve(sealed, json=True)
        if isinstance(value, list):
            return [self._seal(spec, v, state) for v in value]
        if not isinstance(value, str) or not value or value == ERASED:
            return value  # nothing to hide (no value, or one already erased)
        if spec == "record":  # a record's first event is the first to need its key
            first = state.get("originator_version") == 1
            return self.personal.seal(f"record:{state['originator_id']}", value, new=first)
        kind, _, about = spec.partition(":")
        owner = state.get(about) if about else value
        if not isinstance(owner, str) or not owner or owner == ERASED:
            return value if not about else self._seal_unowned(kind, value)
        return self.personal.seal(subject_of(kind, owner, self.personal), value)

    def _seal_unowned(self, kind: str, value: str) -> Sealed:
        """Text about nobody known (e.g. an error before an address was given): sealed under
        a subject of its own, so it is never stored in the clear."""
        return self.personal.seal(f"{kind}:{self.personal.index(kind, value)}", value)

    def _open(self, sealed: Sealed) -> Any:
        plaintext = self.personal.open(sealed)
        if plaintext is None:
            return ERASED
        return json.loads(plaintext) if sealed.json else plaintext


def _sealed_values(event: Any) -> Iterator[Sealed]:
    state = vars(event)
    for name in getattr(type(event), "personal", {}):
        value = state.get(name)
        if isinstance(value, Sealed):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, Sealed))


class SealingEventStore(EventStore[UUID]):
    """The library's event store, mapping a write's events together (``to_stored_events``)."""

    def __init__(self, mapper: SealingMapper, recorder: AggregateRecorder) -> None:
        super().__init__(mapper, recorder)
        self.sealing = mapper

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        """The library's ``put``, the events mapped together."""
        stored_events = self.sealing.to_stored_events(domain_events)
        notification_ids = self.recorder.insert_events(stored_events, **kwargs)
        if not notification_ids:
            return []
        return [
            Recording(d, Notification(s.originator_id, s.originator_version, s.topic, s.state, n))
            for d, s, n in zip(domain_events, stored_events, notification_ids, strict=True)
        ]


SEALED_TEXT = "sealed:"
"""How a sealed value reads in a view's text column: ``sealed:<key id>:<base64>``."""


def seal_text(personal: PersonalData, subject: str, text: str) -> str:
    """``text`` sealed under ``subject``, as a view's text column holds it."""
    if not text or not personal.sealing:
        return text
    sealed = personal.seal(subject, text)
    return f"{SEALED_TEXT}{sealed.key_id}:{base64.b64encode(sealed.data).decode('ascii')}"


def open_text(personal: PersonalData, text: str) -> str:
    """A view's text column opened (``ERASED`` once its key is erased); a column written
    before sealing, as it is."""
    if not text.startswith(SEALED_TEXT):
        return text
    key_id, _, data = text.removeprefix(SEALED_TEXT).rpartition(":")
    plaintext = personal.open(Sealed(key_id, base64.b64decode(data)))
    return ERASED if plaintext is None else plaintext


def sealed_changes(changes: ViewChanges, personal: PersonalData) -> ViewChanges:
    """The view changes with their personal text sealed, and the blind indexes views find
    recipients and student numbers by."""
    if not changes.queued and not changes.held and not changes.deliveries:
        return changes
    queued = []
    texts: dict[tuple[UUID, str, str], tuple[str, str]] = {}
    """A notice's subject and body sealed once for all its recipients' rows."""
    for e in changes.queued:
        record = f"record:{e.notification_id}"
        text = (e.notification_id, e.subject, e.body)
        if text not in texts:
            texts[text] = (
                seal_text(personal, record, e.subject),
                seal_text(personal, record, e.body),
            )
        index = personal.index("email", e.recipient)
        queued.append(
            attrs.evolve(
                e,
                recipient=seal_text(personal, f"email:{index}", e.recipient),
                subject=texts[text][0],
                body=texts[text][1],
                recipient_index=index,
            )
        )
    held = []
    for h in changes.held:
        subject = subject_of("student", h.student_number, personal)
        held.append(
            attrs.evolve(
                h,
                student_number=seal_text(personal, subject, h.student_number),
                student_index=personal.index("student", h.student_number),
            )
        )
    deliveries = [
        attrs.evolve(d, last_error=seal_text(personal, f"record:{d.notification_id}", d.last_error))
        if d.last_error
        else d
        for d in changes.deliveries
    ]
    return attrs.evolve(changes, queued=queued, held=held, deliveries=deliveries)


def opened_entry(entry: OutboxEntry, personal: PersonalData) -> OutboxEntry:
    """An outbox entry as the mailer and callers read it."""
    return attrs.evolve(
        entry,
        recipient=open_text(personal, entry.recipient),
        subject=open_text(personal, entry.subject),
        body=open_text(personal, entry.body),
        last_error=open_text(personal, entry.last_error) if entry.last_error else None,
    )


def sealed_result(result: QuizResult, personal: PersonalData) -> QuizResult:
    """A result as the staging feed keeps it: its student number sealed (ADR 0023)."""
    number = result.student_number
    subject = subject_of("student", number, personal)
    return attrs.evolve(result, student_number=seal_text(personal, subject, number))


def opened_result(result: QuizResult, personal: PersonalData) -> QuizResult:
    """A staged result as the sync takes it in (an LMS's own feed holds plain numbers)."""
    return attrs.evolve(result, student_number=open_text(personal, result.student_number))
