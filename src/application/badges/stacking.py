"""Pathways (stacked micro-credentials) and other issuers' credentials recognised here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from carepassport.application.badges.issuing import Issuing, digest
from carepassport.application.badges.ports import RecognitionFollower
from carepassport.application.badges.verification import Verifier, issuer_id
from carepassport.application.store import CarePassportApplication
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.badges.credential import parse_xsd_datetime
from carepassport.domain.badges.issuer import BadgeIssuer
from carepassport.domain.badges.pathway import BadgeRules, BadgeWallet, Recognised
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.errors import InvalidValue, NotFound
from carepassport.domain.reference import Employee
from carepassport.domain.values import credential_code, employee_id


@attrs.frozen
class PathwayView:
    """A pathway and the badges issued for it on adding."""

    name: str
    title: str
    codes: tuple[str, ...]
    issued: tuple[str, ...] = ()


@attrs.frozen
class RecognisedView:
    """A foreign credential recorded for an employee."""

    employee_id: str
    credential_id: str
    issuer: str
    issuer_name: str
    achievement: str
    valid_until: str | None
    counts_as: str | None
    status: str = "recognised"


class NotVerified(InvalidValue):
    """A credential offered for recognition did not verify: the failed checks are listed."""

    def __init__(self, failed: list[dict[str, Any]]) -> None:
        names = ", ".join(f"{f['check']} ({f['detail']})" for f in failed)
        super().__init__(f"the credential does not verify: {names}")
        self.problems = failed


class Stacking:
    """Pathways, equivalents, and recognition of other issuers' credentials."""

    def __init__(
        self,
        app: CarePassportApplication,
        issuing: Issuing,
        verifier: Verifier,
        followers: Sequence[RecognitionFollower] = (),
    ) -> None:
        self._followers = tuple(followers)
        self._app = app
        self._issuing = issuing
        self._verifier = verifier

    def add_pathway(self, name: str, codes: Sequence[str], title: str = "") -> PathwayView:
        """A pathway of catalogue micro-credentials; employees who already hold every one
        receive its credential now."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        catalogue = uow.catalogue()
        wanted = [credential_code(code) for code in codes]
        for code in wanted:
            catalogue.entry(code)
        rules = uow.find(BadgeRules, BadgeRules.identity()) or uow.add(BadgeRules.open(now))
        pathway = rules.add_pathway(name, title.strip(), list(wanted), now)
        uow.commit()
        issued = []
        for holder in self._holders(pathway.codes[0]):
            uow = UnitOfWork(self._app)
            components = self._issuing.current_badges(holder, pathway.codes, now, uow)
            if components is None:
                continue
            badge = self._issuing.issue_pathway(holder, pathway, components, now, uow)
            if badge is not None:
                uow.commit()
                issued.append(str(badge.id))
        return PathwayView(pathway.name, pathway.title, pathway.codes, tuple(issued))

    def _holders(self, code: str) -> list[str]:
        holders = []
        for credential_id in self._issuing.credential_ids():
            credential = self._app.find(Credential, credential_id)
            if credential is not None and credential.credential_code == code:
                holders.append(credential.employee_id)
        return list(dict.fromkeys(holders))

    def pathways(self) -> list[PathwayView]:
        rules = self._app.find(BadgeRules, BadgeRules.identity())
        found = rules.pathways.values() if rules else []
        return [PathwayView(p.name, p.title, p.codes) for p in found]

    def accept(self, code: str, achievement_id: str, issuer: str = "") -> dict[str, str]:
        """The catalogue entry ``code`` accepts a foreign achievement as equivalent."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        entry = uow.catalogue().entry(credential_code(code))
        rules = uow.find(BadgeRules, BadgeRules.identity()) or uow.add(BadgeRules.open(now))
        rules.accept(entry.code, achievement_id, issuer, now)
        uow.commit()
        return {"code": entry.code, "achievement_id": achievement_id.strip(), "issuer": issuer}

    def recognise(
        self,
        data: bytes,
        employee: str,
        issuer_documents: Sequence[dict[str, Any]] = (),
        status_lists: Sequence[dict[str, Any]] = (),
    ) -> RecognisedView:
        """Record another issuer's credential for an employee (or a job seeker), once it
        verifies."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        holder = self._holder(uow, employee)
        report = self._verifier.verify(data, issuer_documents, status_lists)
        if not report.verified:
            raise NotVerified([attrs.asdict(c) for c in report.checks if not c.passed])
        document = self._verifier.document(data)
        ours = uow.find(BadgeIssuer, BadgeIssuer.identity())
        if (
            ours is not None
            and ours.keys
            and issuer_id(document) in {ours.did(key) for key in ours.keys}
        ):
            raise InvalidValue("this is one of our own badges: it needs no recognition")
        subject = document.get("credentialSubject", {})
        achievement = subject.get("achievement", {}) if isinstance(subject, dict) else {}
        issuer = document.get("issuer", {})
        rules = uow.find(BadgeRules, BadgeRules.identity())
        found = Recognised(
            credential_id=str(document.get("id", "")),
            digest=digest(document),
            issuer_id=issuer_id(document),
            issuer_name=str(issuer.get("name", "")) if isinstance(issuer, dict) else "",
            achievement_id=str(achievement.get("id", "")),
            achievement_name=str(achievement.get("name", "")),
            valid_from=parse_xsd_datetime(document.get("validFrom")) or now,
            valid_until=parse_xsd_datetime(document.get("validUntil")),
            counts_as=rules.equivalent_of(str(achievement.get("id", "")), issuer_id(document))
            if rules
            else None,
            recognised_at=now,
        )
        wallet = uow.find(BadgeWallet, BadgeWallet.identity(holder))
        wallet = wallet or uow.add(BadgeWallet.open(holder, now))
        wallet.recognise(found, document)
        for follower in self._followers:
            follower.recognised(holder, now, uow)
        uow.commit()
        return self._view(holder, found)

    def _holder(self, uow: UnitOfWork, holder: str) -> str:
        """The id of an employee, or of a holder a follower knows (a job seeker)."""
        wanted = employee_id(holder)
        if uow.find(Employee, Employee.identity(wanted)) is not None:
            return wanted
        if any(f.knows_holder(wanted, uow) for f in self._followers):
            return wanted
        raise NotFound(f"employee {wanted} not found (nor a job seeker of that id)")

    def recognised_of(self, employee: str) -> list[RecognisedView]:
        """The foreign credentials recorded for an employee."""
        wallet = self._app.find(BadgeWallet, BadgeWallet.identity(employee_id(employee)))
        return [self._view(wallet.employee_id, r) for r in wallet.recognised] if wallet else []

    @staticmethod
    def _view(employee: str, found: Recognised) -> RecognisedView:
        return RecognisedView(
            employee_id=employee,
            credential_id=found.credential_id,
            issuer=found.issuer_id,
            issuer_name=found.issuer_name,
            achievement=found.achievement_name,
            valid_until=found.valid_until.isoformat() if found.valid_until else None,
            counts_as=found.counts_as,
        )
