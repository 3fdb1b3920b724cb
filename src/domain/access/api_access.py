"""Who may call the HTTP API: bearer tokens bound to a role and a subject, and idempotent requests.

A token's secret is never recorded: only its SHA-256 digest is, so the event log can be read by
auditors without handing them anyone's access. See ADR 0015.
"""

from __future__ import annotations

import enum
import hmac
import json
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import DomainError, InvalidTransition, InvalidValue


class Unauthenticated(DomainError):
    """No token, an unknown or revoked one: the caller is not known."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The caller is known, but their role may not make this call."""

    code = "forbidden"


class IdempotencyConflict(DomainError):
    """An Idempotency-Key was reused for another request, or its first use is still running."""

    code = "idempotency_conflict"


class Role(enum.StrEnum):
    """What a token's holder may do (ADR 0015)."""

    EMPLOYEE = "employee"
    """Their own records only; subject: an employee id."""
    APPROVER = "approver"
    """Their employer's sponsorships and employees; subject: an employer id."""
    COLLEGE = "college"
    """Everything operational; subject: who at the college (free text)."""
    AUDITOR = "auditor"
    """Read-only, every record and history; subject: who audits (free text)."""
    LMS = "lms"
    """Result delivery only; subject: which LMS (free text)."""

    @classmethod
    def parse(cls, value: str) -> Role:
        """A role by name, or a clear refusal listing the roles there are."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(role.value for role in cls)
            raise InvalidValue(f"unknown role {value!r}; the roles are {names}") from None


class ApiToken(Aggregate):
    """One bearer token: its role, its subject, the digest of its secret, and whether it is live."""

    class TokenIssued(CreatedEvent):
        token_id: str
        role: str
        subject: str
        digest: str
        issued_at: datetime
        business_time_field = "issued_at"

    class TokenRevoked(DomainEvent):
        revoked_at: datetime
        business_time_field = "revoked_at"

        def apply(self, aggregate: ApiToken) -> None:
            aggregate.revoked_at = self.revoked_at

    def __init__(
        self, token_id: str, role: str, subject: str, digest: str, issued_at: datetime
    ) -> None:
        self.token_id = token_id
        self.role = Role(role)
        self.subject = subject
        self.digest = digest
        self.issued_at = issued_at
        self.revoked_at: datetime | None = None

    @staticmethod
    def identity(token_id: str) -> UUID:
        """The token whose public part is ``token_id``."""
        return aggregate_id("api-token", token_id)

    @classmethod
    def issue(cls, token_id: str, role: Role, subject: str, digest: str, at: datetime) -> ApiToken:
        """A new live token; ``digest`` is the SHA-256 of the whole token, never the token."""
        subject = subject.strip()
        if not subject:
            raise InvalidValue("a token needs a subject")
        return cls._create(
            cls.TokenIssued,
            id=cls.identity(token_id),
            timestamp=at,
            token_id=token_id,
            role=role.value,
            subject=subject,
            digest=digest,
            issued_at=at,
        )

    def accepts(self, digest: str) -> bool:
        """Whether a presented token's digest is this live token's (compared in constant time)."""
        return self.revoked_at is None and hmac.compare_digest(self.digest, digest)

    def revoke(self, at: datetime) -> None:
        """The token stops working; revoking twice is refused."""
        if self.revoked_at is not None:
            raise InvalidTransition(f"token {self.token_id} was already revoked")
        self.trigger_event(self.TokenRevoked, timestamp=at, revoked_at=at)


IN_FLIGHT_LEASE = timedelta(minutes=5)
"""How long a claimed key with no answer blocks a retry (the first call may still be running)."""


class IdempotentRequest(Aggregate):
    """The first use of an Idempotency-Key by one caller, and the answer it got."""

    class RequestClaimed(CreatedEvent):
        caller: str
        key: str
        fingerprint: str
        claimed_at: datetime
        business_time_field = "claimed_at"

    class RequestReclaimed(DomainEvent):
        claimed_at: datetime
        business_time_field = "claimed_at"

        def apply(self, aggregate: IdempotentRequest) -> None:
            aggregate.claimed_at = self.claimed_at
            aggregate.released = False

    class AnswerRecorded(DomainEvent):
        personal: ClassVar[dict[str, str]] = {"body": "json:record"}
        status: int
        body: Any
        answered_at: datetime
        business_time_field = "answered_at"

        def apply(self, aggregate: IdempotentRequest) -> None:
            aggregate.answer = (self.status, self.body)

    class ClaimReleased(DomainEvent):
        released_at: datetime
        business_time_field = "released_at"

        def apply(self, aggregate: IdempotentRequest) -> None:
            aggregate.released = True

    def __init__(self, caller: str, key: str, fingerprint: str, claimed_at: datetime) -> None:
        self.caller = caller
        self.key = key
        self.fingerprint = fingerprint
        self.claimed_at = claimed_at
        self.answer: tuple[int, Any] | None = None
        self.released = False

    @staticmethod
    def identity(caller: str, key: str) -> UUID:
        """The record of ``key`` as used by ``caller`` (as a JSON pair, so no caller and key can
        spell another's: subjects and keys are free text)."""
        return aggregate_id("idempotency-key", json.dumps([caller, key]))

    @classmethod
    def claim(cls, caller: str, key: str, fingerprint: str, at: datetime) -> IdempotentRequest:
        """The first use of a key: the request with this fingerprint is now running."""
        if not key.strip() or len(key) > 255:
            raise InvalidValue("an Idempotency-Key must have 1 to 255 characters")
        return cls._create(
            cls.RequestClaimed,
            id=cls.identity(caller, key),
            timestamp=at,
            caller=caller,
            key=key,
            fingerprint=fingerprint,
            claimed_at=at,
        )

    def replay(self, fingerprint: str, at: datetime) -> tuple[int, Any] | None:
        """The first answer for the same request; None when the caller may run it (again).

        Refused when the key was first used for another request, or when its first use has
        no answer yet and is still within its lease.
        """
        if fingerprint != self.fingerprint:
            raise IdempotencyConflict(
                f"the Idempotency-Key {self.key!r} was already used for a different request"
            )
        if self.answer is not None:
            return self.answer
        if not self.released and at < self.claimed_at + IN_FLIGHT_LEASE:
            raise IdempotencyConflict(
                f"a request with the Idempotency-Key {self.key!r} is still being processed"
            )
        self.trigger_event(self.RequestReclaimed, timestamp=at, claimed_at=at)
        return None

    def record_answer(self, status: int, body: Any, at: datetime) -> None:
        """The answer the first request got; later uses of the key replay it."""
        self.trigger_event(
            self.AnswerRecorded, timestamp=at, status=status, body=body, answered_at=at
        )

    def release(self, at: datetime) -> None:
        """The first request failed without an answer worth keeping; a retry may run it."""
        self.trigger_event(self.ClaimReleased, timestamp=at, released_at=at)
