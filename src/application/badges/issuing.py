"""Issuing badges: at publication (R10), in the publication's unit of work; for completions
published before badges were configured (``issue-missing``); and following the college's
decisions on the status lists."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from carepassport.application.badges.ports import (
    Alignments,
    BadgeTools,
    KeysUnavailable,
    NoAlignments,
)
from carepassport.application.store import CarePassportApplication
from carepassport.application.topics import stored_topics
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.badges.badge import Badge, BadgeKind, BadgeStatus
from carepassport.domain.badges.credential import (
    Achievement,
    Addresses,
    IssuerProfile,
    open_badge,
    recipient_identifier,
    status_entries,
)
from carepassport.domain.badges.issuer import BadgeIssuer, SigningKey
from carepassport.domain.badges.pathway import PATHWAY_TYPE, BadgeRules, BadgeWallet, Pathway
from carepassport.domain.badges.status_list import StatusList, StatusPurpose
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.compliance.standing import Standing, expiry_time
from carepassport.domain.reference import Employee
from carepassport.domain.values import CredentialCode, EmployeeId

log = logging.getLogger(__name__)
SALT_BYTES = 16
PAGE = 500


def digest(document: dict[str, Any]) -> str:
    """SHA-256 of the credential's JSON as served (keys sorted, no spaces)."""
    return hashlib.sha256(serialize(document).encode()).hexdigest()


def serialize(document: dict[str, Any]) -> str:
    """The credential's JSON as it is served, baked and hashed."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def profile(issuer: BadgeIssuer, key: SigningKey | None = None) -> IssuerProfile:
    """The issuer ``Profile`` that credentials signed with ``key`` name."""
    return IssuerProfile(
        did=issuer.did(key),
        name=issuer.name,
        url=issuer.origin,
        email=issuer.email,
        image=issuer.image,
    )


class Issuing:
    """Signs and records badges; follows the credentials' standing onto the status lists."""

    def __init__(
        self,
        app: CarePassportApplication,
        tools: BadgeTools,
        alignments: Alignments | None = None,
    ) -> None:
        self._app = app
        self._tools = tools
        self._alignments: Alignments = alignments or NoAlignments()

    # The compliance capability's observer.

    def published(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        """R10: the publication's badge, signed now, saved with the publication."""
        self.issue_for(credential, credential.completion_id, at, uow)

    def reads_at_publication(self, completion_id: UUID) -> list[UUID]:
        """The issuer, the pathway rules and the (absent) badge of the completion."""
        return [BadgeIssuer.identity(), BadgeRules.identity(), Badge.for_completion(completion_id)]

    def expired(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        """Nothing to record: the badge's ``validUntil`` says it has expired."""
        return None

    def standing_changed(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        """The college's decision, on the badge of the credential's latest completion and on
        the pathway badges that stack it (suspended while it is not active)."""
        badge = uow.find(Badge, Badge.for_completion(credential.completion_id))
        if badge is None:
            return
        reason = f"{credential.credential_code} credential {credential.standing.value}"
        if credential.standing is Standing.SUSPENDED:
            self._suspend(badge, reason, at, uow)
        elif credential.standing is Standing.ACTIVE:
            self._reinstate(badge, reason, at, uow)
        elif badge.revoke(reason, at):
            self._bit(badge, StatusPurpose.REVOCATION, True, at, uow)
        wallet = uow.find(BadgeWallet, BadgeWallet.identity(credential.employee_id))
        for pathway_id in wallet.pathway_badges if wallet else []:
            pathway = uow.find(Badge, pathway_id)
            if pathway is None or badge.id not in pathway.components:
                continue
            if credential.standing is Standing.ACTIVE:
                parts = [uow.find(Badge, part) for part in pathway.components]
                if all(p is not None and not p.suspended and not p.revoked for p in parts):
                    self._reinstate(pathway, reason, at, uow)
            else:
                self._suspend(pathway, reason, at, uow)

    def _suspend(self, badge: Badge, reason: str, at: datetime, uow: UnitOfWork) -> None:
        if badge.suspend(reason, at):
            self._bit(badge, StatusPurpose.SUSPENSION, True, at, uow)

    def _reinstate(self, badge: Badge, reason: str, at: datetime, uow: UnitOfWork) -> None:
        if badge.reinstate(reason, at):
            self._bit(badge, StatusPurpose.SUSPENSION, False, at, uow)

    @staticmethod
    def _bit(
        badge: Badge, purpose: StatusPurpose, value: bool, at: datetime, uow: UnitOfWork
    ) -> None:
        status_list = uow.load(StatusList, StatusList.identity(badge.status_list), "status list")
        status_list.set(badge.status_index, purpose, value, at)

    # Issuing.

    def issue_for(
        self, credential: Credential, completion_id: UUID, at: datetime, uow: UnitOfWork
    ) -> Badge | None:
        """The badge of one published completion (None when badges are not configured, or it
        exists already: a completion is badged once); then any pathway it completes."""
        entry = uow.catalogue().entry(credential.credential_code)
        issuer = uow.find(BadgeIssuer, BadgeIssuer.identity())
        addresses = Addresses(issuer.origin if issuer else "")
        badge = self._issue(
            uow,
            Badge.for_completion(completion_id),
            BadgeKind.MICRO_CREDENTIAL,
            credential.employee_id,
            credential.credential_code,
            completion_id,
            Achievement(
                id=addresses.achievement(entry.code),
                name=entry.title,
                description=f"{entry.title} ({entry.code}), a mandatory micro-credential "
                f"renewed every {entry.validity_days} days.",
                criteria=f"Completed the {entry.title} course and passed its final quiz "
                f"within {entry.max_attempts} attempts.",
                alignments=tuple(self._alignments.alignments(entry.code, uow)),
            ),
            expiry_time(credential.valid_until),
            credential.published_at,
            at,
        )
        if badge is not None:
            self._stack(credential.employee_id, credential.credential_code, at, uow)
        return badge

    def _issue(
        self,
        uow: UnitOfWork,
        badge_id: UUID,
        kind: BadgeKind,
        employee_id: str,
        code: str,
        completion_id: UUID | None,
        achievement: Achievement,
        valid_until: datetime | None,
        awarded: datetime,
        at: datetime,
        evidence: tuple[dict[str, Any], ...] = (),
        components: tuple[UUID, ...] = (),
    ) -> Badge | None:
        """Sign and record one badge, with a status-list entry of its own."""
        issuer = uow.find(BadgeIssuer, BadgeIssuer.identity())
        if issuer is None or not issuer.configured:
            return None
        if uow.find(Badge, badge_id) is not None:
            return None
        key = issuer.current_key
        assert key is not None
        try:
            signer = self._tools.keys.signer(key.key_id)
        except KeysUnavailable as error:
            log.warning("badge %s not issued: %s", badge_id, error)
            return None
        employee = uow.employee(EmployeeId(employee_id))
        status_list = self._status_list(uow, at)
        index = status_list.allocate(badge_id, at)
        addresses = Addresses(issuer.origin)
        image = addresses.image(badge_id)
        document = open_badge(
            credential_id=addresses.badge(badge_id),
            issuer=profile(issuer, key),
            achievement=replace(achievement, image=image),
            identifier=recipient_identifier(employee.email, secrets.token_hex(SALT_BYTES)),
            valid_from=at,
            valid_until=valid_until,
            awarded=awarded,
            status=status_entries(addresses, status_list.number, index),
            evidence=evidence,
            image=image,
        )
        signed = self._tools.proofs.sign(document, signer, issuer.verification_method(key), at)
        return uow.add(
            Badge.issue(
                badge_id,
                kind,
                employee_id,
                code,
                completion_id,
                (status_list.number, index),
                key.key_id,
                at,
                valid_until,
                signed,
                digest(signed),
                at,
                components,
            )
        )

    # Pathways.

    def current_badges(
        self, employee_id: str, codes: tuple[str, ...], at: datetime, uow: UnitOfWork
    ) -> list[Badge] | None:
        """The active, unexpired badge of each code's current completion (None if one lacks)."""
        found = []
        for code in codes:
            credential = uow.find(
                Credential, Credential.identity(EmployeeId(employee_id), CredentialCode(code))
            )
            if credential is None or credential.standing is not Standing.ACTIVE:
                return None
            badge = uow.find(Badge, Badge.for_completion(credential.completion_id))
            if badge is None or badge.status(at) is not BadgeStatus.ACTIVE:
                return None
            found.append(badge)
        return found

    def _stack(self, employee_id: str, code: str, at: datetime, uow: UnitOfWork) -> None:
        """Issue the pathway credentials that ``code``'s new badge completes."""
        rules = uow.find(BadgeRules, BadgeRules.identity())
        if rules is None:
            return
        for pathway in rules.pathways_with(code):
            components = self.current_badges(employee_id, pathway.codes, at, uow)
            if components is not None:
                self.issue_pathway(employee_id, pathway, components, at, uow)

    def issue_pathway(
        self,
        employee_id: str,
        pathway: Pathway,
        components: list[Badge],
        at: datetime,
        uow: UnitOfWork,
    ) -> Badge | None:
        """The pathway credential for these component badges (once per set of components),
        valid until the first of them expires; its evidence lists them."""
        ids = tuple(badge.id for badge in components)
        badge_id = Badge.for_pathway(employee_id, pathway.name, ids)
        issuer = uow.find(BadgeIssuer, BadgeIssuer.identity())
        addresses = Addresses(issuer.origin if issuer else "")
        names = ", ".join(str(b.document["name"]) for b in components)
        until = [b.valid_until for b in components if b.valid_until is not None]
        badge = self._issue(
            uow,
            badge_id,
            BadgeKind.PATHWAY,
            employee_id,
            pathway.name,
            None,
            Achievement(
                id=addresses.achievement(f"pathway/{pathway.name}"),
                name=pathway.title,
                description=f"{pathway.title}: the pathway of {names}.",
                criteria=f"Holds every micro-credential of the pathway, each valid: {names}.",
                achievement_type=PATHWAY_TYPE,
            ),
            min(until) if until else None,
            at,
            at,
            evidence=tuple(
                {"id": str(b.document["id"]), "type": ["Evidence"], "name": str(b.document["name"])}
                for b in components
            ),
            components=ids,
        )
        if badge is not None:
            wallet = uow.find(BadgeWallet, BadgeWallet.identity(employee_id))
            wallet = wallet or uow.add(BadgeWallet.open(employee_id, at))
            wallet.add_pathway_badge(badge.id, pathway.name, at)
        return badge

    def _status_list(self, uow: UnitOfWork, at: datetime) -> StatusList:
        """The first status list with a free entry (a new one when all are full)."""
        number = 1
        while (found := uow.find(StatusList, StatusList.identity(number))) is not None:
            if not found.full:
                return found
            number += 1
        return uow.add(StatusList.open(number, at))

    def issue_missing(self) -> list[UUID]:
        """Badges for the published completions that have none (published before badges were
        configured, or while the key was unavailable); the current completion of each
        credential that is still active and valid. Returns the badges issued."""
        now = self._app.now_for_write()
        issued: list[UUID] = []
        for credential_id in self.credential_ids():
            uow = UnitOfWork(self._app)
            credential = uow.find(Credential, credential_id)
            if credential is None or credential.standing is not Standing.ACTIVE:
                continue
            if credential.expired or expiry_time(credential.valid_until) <= now:
                continue
            employee = uow.find(Employee, Employee.identity(credential.employee_id))
            if employee is None or employee.left_at is not None:
                continue
            badge = self.issue_for(credential, credential.completion_id, now, uow)
            if badge is not None:
                uow.commit()
                issued.append(badge.id)
        return issued

    def credential_ids(self) -> Iterator[UUID]:
        """Every credential ever issued, oldest first (read from the log by topic)."""
        yield from self._originators(stored_topics(Credential.CredentialIssued))

    def badge_ids(self) -> Iterator[UUID]:
        """Every badge ever issued, oldest first."""
        yield from self._originators(stored_topics(Badge.BadgeIssued))

    def _originators(self, topics: list[str]) -> Iterator[UUID]:
        start = 1
        while True:
            page = self._app.recorder.select_notifications(start=start, limit=PAGE, topics=topics)
            for notification in page:
                yield UUID(str(notification.originator_id))
            if len(page) < PAGE:
                return
            start = page[-1].id + 1
