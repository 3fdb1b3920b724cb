"""Use cases behind the HTTP API's security: issue, revoke and check bearer tokens; decide what a
caller may see; remember the answers of idempotent requests. See ADR 0015."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any
from uuid import UUID

import attrs

from carepassport.application.store import CarePassportApplication
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.access.api_access import (
    ApiToken,
    Forbidden,
    IdempotentRequest,
    Role,
    Unauthenticated,
)
from carepassport.domain.errors import NotFound
from carepassport.domain.matching.vacancy import Vacancy
from carepassport.domain.reference import Employee
from carepassport.domain.training.registration import Registration
from carepassport.domain.training.sponsorship import Sponsorship
from carepassport.domain.values import employee_id, employer_id, parse_id

TOKEN_PREFIX = "cpt"


def digest_of(token: str) -> str:
    """The SHA-256 of a whole token: what the store keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


@attrs.frozen
class Principal:
    """Who is calling: the role and subject of the token they presented."""

    role: Role
    subject: str
    token_id: str

    @property
    def caller(self) -> str:
        """The identity idempotency keys are scoped to (a role and a subject, not one token)."""
        return f"{self.role.value}:{self.subject}"


@attrs.frozen
class IssuedToken:
    """A newly issued token. ``token`` is shown once and never stored."""

    token: str
    token_id: str
    role: str
    subject: str


@attrs.frozen
class RevokedToken:
    """A token that no longer works."""

    token_id: str
    role: str
    subject: str
    revoked_at: str


class ApiTokens:
    """Issues and revokes bearer tokens, and says whose a presented token is."""

    def __init__(
        self,
        app: CarePassportApplication,
        random_part: Callable[[int], str] = secrets.token_urlsafe,
    ) -> None:
        self._app = app
        self._random = random_part

    def issue(self, role: str, subject: str) -> IssuedToken:
        """A new token for ``role`` and ``subject``. An employee's or approver's subject must be
        an employee or employer the store holds."""
        parsed = Role.parse(role)
        uow = UnitOfWork(self._app)
        subject = subject.strip()
        if parsed is Role.EMPLOYEE:
            subject = uow.employee(employee_id(subject)).employee_id
        elif parsed is Role.APPROVER:
            subject = uow.employer(employer_id(subject)).employer_id
        token_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}_{token_id}_{self._random(32)}"
        record = uow.add(
            ApiToken.issue(token_id, parsed, subject, digest_of(token), self._app.now_for_write())
        )
        uow.commit()
        return IssuedToken(token, token_id, record.role.value, record.subject)

    def revoke(self, token_id: str) -> RevokedToken:
        """Stop a token working, by the id printed when it was issued."""
        uow = UnitOfWork(self._app)
        record = uow.load(ApiToken, ApiToken.identity(token_id.strip()), f"token {token_id}")
        record.revoke(self._app.now_for_write())
        uow.commit()
        assert record.revoked_at is not None
        return RevokedToken(
            record.token_id, record.role.value, record.subject, record.revoked_at.isoformat()
        )

    def authenticate(self, token: str | None) -> Principal:
        """The principal of a presented token; refused alike for absent, malformed, unknown and
        revoked tokens (the answer does not say which)."""
        refused = Unauthenticated("a valid bearer token is required")
        if not token:
            raise refused
        parts = token.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
            raise refused
        record = self._app.find(ApiToken, ApiToken.identity(parts[1]))
        if record is None or not record.accepts(digest_of(token.strip())):
            raise refused
        return Principal(record.role, record.subject, record.token_id)

    def still_valid(self, principal: Principal) -> bool:
        """Whether the token a principal signed in with still works (not revoked): how a
        session opened with a token is checked on every request without keeping the token."""
        record = self._app.find(ApiToken, ApiToken.identity(principal.token_id))
        return (
            record is not None
            and record.revoked_at is None
            and (record.role, record.subject) == (principal.role, principal.subject)
        )


class Access:
    """What a principal may see. Records outside a caller's scope are reported as not found, so
    their existence does not leak; a call outside a role is forbidden."""

    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app

    @staticmethod
    def require(principal: Principal, *roles: Role) -> None:
        """Refuse a caller whose role is not one of ``roles``."""
        if principal.role not in roles:
            allowed = ", ".join(role.value for role in roles)
            raise Forbidden(f"the {principal.role.value} role may not do this (allowed: {allowed})")

    def employee(self, principal: Principal, employee: str) -> None:
        """Refuse unless the caller may see this employee's records."""
        if principal.role in (Role.COLLEGE, Role.AUDITOR):
            return
        record = self._app.find(Employee, Employee.identity(employee_id(employee)))
        if record is not None and self._owns(principal, record.employee_id, record.employer_id):
            return
        raise NotFound(f"employee {employee} not found")

    def employer(self, principal: Principal, employer: str) -> None:
        """Refuse unless the caller may see this employer's records."""
        if principal.role in (Role.COLLEGE, Role.AUDITOR):
            return
        if principal.role is Role.APPROVER and principal.subject == employer_id(employer):
            return
        raise NotFound(f"employer {employer} not found")

    def vacancy(self, principal: Principal, vacancy_id: str | UUID) -> None:
        """Refuse unless the caller may see this vacancy and its matches (its employer's
        approvers, the college, auditors)."""
        if principal.role in (Role.COLLEGE, Role.AUDITOR):
            return
        identity = parse_id(vacancy_id, "vacancy")
        record = self._app.find(Vacancy, identity)
        if (
            record is None
            or principal.role is not Role.APPROVER
            or principal.subject != record.employer_id
        ):
            raise NotFound(f"vacancy {identity} not found")

    def own_candidate(self, principal: Principal, candidate: str) -> None:
        """Refuse unless the caller is the candidate (an employee) or the college; an
        employer never sees a candidate's matches to other employers' vacancies."""
        if principal.role in (Role.COLLEGE, Role.AUDITOR):
            return
        if principal.role is Role.EMPLOYEE and principal.subject == employee_id(candidate):
            return
        raise NotFound(f"candidate {candidate} not found")

    def engagement(self, principal: Principal, vacancy_id: str | UUID, candidate: str) -> None:
        """Refuse unless the caller is on one side of this vacancy and candidate: the
        vacancy's employer (its approvers) or the candidate (an employee), or the college."""
        if principal.role is Role.EMPLOYEE:
            self.own_candidate(principal, candidate)
        else:
            self.vacancy(principal, vacancy_id)

    def sponsorship(self, principal: Principal, sponsorship_id: str | UUID) -> None:
        """Refuse unless the caller may see this sponsorship."""
        self._record(principal, Sponsorship, sponsorship_id, "sponsorship")

    def registration(self, principal: Principal, registration_id: str | UUID) -> None:
        """Refuse unless the caller may see this registration."""
        self._record(principal, Registration, registration_id, "registration")

    def _record(
        self, principal: Principal, kind: type[Sponsorship | Registration], value: Any, what: str
    ) -> None:
        if principal.role in (Role.COLLEGE, Role.AUDITOR):
            return
        identity = parse_id(value, what)
        record = self._app.find(kind, identity)
        if record is None or not self._owns(principal, record.employee_id, record.employer_id):
            raise NotFound(f"{what} {identity} not found")

    @staticmethod
    def _owns(principal: Principal, employee: str, employer: str) -> bool:
        if principal.role is Role.EMPLOYEE:
            return principal.subject == employee
        return principal.role is Role.APPROVER and principal.subject == employer


@attrs.frozen
class Replay:
    """The answer a key's first request got."""

    status: int
    body: Any


class IdempotencyKeys:
    """Remembers the first answer to each (caller, Idempotency-Key). The claim, the command and
    the answer are three transactions; a key claimed but never answered blocks retries for a
    lease (the first call may still be running), then lets one run again (ADR 0015)."""

    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app

    def begin(self, principal: Principal, key: str, fingerprint: str) -> Replay | None:
        """The first answer to replay, or None when the caller should run the request now."""
        uow = UnitOfWork(self._app)
        identity = IdempotentRequest.identity(principal.caller, key)
        now = self._app.now_for_write()
        record = uow.find(IdempotentRequest, identity)
        if record is None:
            uow.add(IdempotentRequest.claim(principal.caller, key, fingerprint, now))
            uow.commit()
            return None
        answer = record.replay(fingerprint, now)
        uow.commit()
        return None if answer is None else Replay(*answer)

    def finish(self, principal: Principal, key: str, status: int, body: Any) -> None:
        """Keep the answer the request got."""
        self._update(principal, key, lambda r, now: r.record_answer(status, body, now))

    def abandon(self, principal: Principal, key: str) -> None:
        """The request failed without an answer worth keeping; a retry may run it at once."""
        self._update(principal, key, lambda r, now: r.release(now))

    def _update(
        self, principal: Principal, key: str, change: Callable[[IdempotentRequest, Any], None]
    ) -> None:
        uow = UnitOfWork(self._app)
        identity = IdempotentRequest.identity(principal.caller, key)
        record = uow.load(IdempotentRequest, identity, f"idempotency key {key}")
        change(record, self._app.now_for_write())
        uow.commit()


__all__ = [
    "Access",
    "ApiTokens",
    "IdempotencyKeys",
    "IssuedToken",
    "Principal",
    "Replay",
    "RevokedToken",
    "digest_of",
]
