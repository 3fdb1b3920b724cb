"""Verifying an Open Badges 3.0 credential, ours or another issuer's, without the network.

The steps of the OB 3.0 verification procedure, each reported by name: ``format`` (JSON, a
baked PNG or SVG), ``contexts`` (every JSON-LD context pinned), ``structure``, ``schema`` (the
1EdTech JSON Schema), ``proof`` (``eddsa-rdfc-2022``), ``issuer-key`` (the key is the issuer's
and was valid at ``validFrom``), ``validity`` (``validFrom`` ≤ now ≤ ``validUntil``) and
``status`` (the revocation and suspension bits). Keys and status lists of other issuers come
only from the documents supplied; nothing is fetched."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs

from carepassport.application.badges.ports import BadgeTools, CheckFailed
from carepassport.application.store import CarePassportApplication
from carepassport.domain.badges.credential import (
    OB_CONTEXT,
    SCHEMA_URL,
    VC_CONTEXT,
    Addresses,
    parse_xsd_datetime,
)
from carepassport.domain.badges.issuer import BadgeIssuer, SigningKey
from carepassport.domain.badges.status_list import StatusList, StatusPurpose, bit, decode_bits
from carepassport.domain.errors import InvalidValue

OB_TYPES = ("OpenBadgeCredential", "AchievementCredential")
STATUS_ENTRY = "BitstringStatusListEntry"


@attrs.frozen
class Check:
    """One step of verification and its outcome."""

    check: str
    passed: bool
    detail: str


@attrs.frozen
class VerificationReport:
    """Whether a credential verified, step by step."""

    verified: bool
    checks: tuple[Check, ...]
    credential_id: str = ""
    issuer: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "credential_id": self.credential_id,
            "issuer": self.issuer,
            "checks": [attrs.asdict(check) for check in self.checks],
        }


@attrs.frozen
class ResolvedKey:
    """The public key a proof names, and whose it is."""

    multibase: str
    own: SigningKey | None
    source: str


def issuer_id(document: dict[str, Any]) -> str:
    """The issuer's id (a string, or a Profile's ``id``)."""
    issuer = document.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    return value if isinstance(value, str) else ""


def _types(value: object) -> list[str]:
    return (
        [value]
        if isinstance(value, str)
        else [t for t in value if isinstance(t, str)]
        if isinstance(value, list)
        else []
    )


def schema_views(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document as the pinned schema (1EdTech's JSON-LD variant) describes it: a single
    ``proof`` as a one-item array, and each ``credentialStatus`` entry in turn (the schema
    holds one; VC 2.0 allows several, and each must be a valid entry)."""
    view = dict(document)
    if isinstance(view.get("proof"), dict):
        view["proof"] = [view["proof"]]
    status = view.get("credentialStatus")
    if isinstance(status, list) and status:
        return [dict(view, credentialStatus=entry) for entry in status]
    return [view]


class Verifier:
    """Runs every check and reports each; verified only when all pass."""

    def __init__(self, app: CarePassportApplication, tools: BadgeTools) -> None:
        self._app = app
        self._tools = tools

    def verify(
        self,
        data: bytes,
        issuer_documents: Sequence[dict[str, Any]] = (),
        status_lists: Sequence[dict[str, Any]] = (),
    ) -> VerificationReport:
        """Verify a credential given as JSON, a baked PNG or a baked SVG."""
        try:
            document = self._tools.baking.unbake(data)
        except CheckFailed as failed:
            return VerificationReport(False, (Check(failed.check, False, failed.detail),))
        return self.verify_document(document, issuer_documents, status_lists)

    def document(self, data: bytes) -> dict[str, Any]:
        """The credential in JSON, a baked PNG or SVG (``CheckFailed`` if none is found)."""
        return self._tools.baking.unbake(data)

    def verify_document(
        self,
        document: dict[str, Any],
        issuer_documents: Sequence[dict[str, Any]] = (),
        status_lists: Sequence[dict[str, Any]] = (),
    ) -> VerificationReport:
        """Verify a parsed credential."""
        now = self._app.now()
        issuer = self._app.find(BadgeIssuer, BadgeIssuer.identity())
        checks: list[Check] = [Check("format", True, "a JSON credential")]
        resolved: list[ResolvedKey] = []

        def run(name: str, step: Callable[[], str]) -> bool:
            try:
                checks.append(Check(name, True, step()))
                return True
            except CheckFailed as failed:
                checks.append(Check(failed.check, False, failed.detail))
            except InvalidValue as error:
                checks.append(Check(name, False, str(error)))
            return False

        if run("contexts", lambda: self._contexts(document)) and run(
            "structure", lambda: self._structure(document)
        ):
            run("schema", lambda: self._schema(document))
            if run(
                "proof",
                lambda: self._proof(document, issuer, issuer_documents, resolved.append),
            ):
                run("issuer-key", lambda: self._key_valid(document, resolved[0]))
            run("validity", lambda: self._validity(document, now))
            run("status", lambda: self._status(document, issuer, issuer_documents, status_lists))
        return VerificationReport(
            verified=all(check.passed for check in checks),
            checks=tuple(checks),
            credential_id=str(document.get("id", "")),
            issuer=issuer_id(document),
        )

    def _contexts(self, document: dict[str, Any]) -> str:
        contexts = document.get("@context")
        if not isinstance(contexts, list) or not contexts or contexts[0] != VC_CONTEXT:
            raise CheckFailed("contexts", f"@context must begin with {VC_CONTEXT}")
        self._tools.proofs.expanded_contexts(document)
        return "every @context is a pinned copy"

    @staticmethod
    def _structure(document: dict[str, Any]) -> str:
        types = _types(document.get("type"))
        if "VerifiableCredential" not in types:
            raise CheckFailed("structure", "type does not include VerifiableCredential")
        if not issuer_id(document):
            raise CheckFailed("structure", "the credential names no issuer id")
        if not isinstance(document.get("credentialSubject"), dict | list):
            raise CheckFailed("structure", "the credential has no credentialSubject")
        if parse_xsd_datetime(document.get("validFrom")) is None:
            raise CheckFailed("structure", "validFrom is missing or not a dateTime with a zone")
        if "validUntil" in document and parse_xsd_datetime(document["validUntil"]) is None:
            raise CheckFailed("structure", "validUntil is not a dateTime with a zone")
        return "a Verifiable Credential 2.0 " + (
            "Open Badge" if any(t in types for t in OB_TYPES) else "credential"
        )

    def _schema(self, document: dict[str, Any]) -> str:
        if not any(t in _types(document.get("type")) for t in OB_TYPES):
            return "not an Open Badge: no schema applies"
        if OB_CONTEXT not in document.get("@context", []):
            raise CheckFailed("schema", f"an Open Badge 3.0 credential names {OB_CONTEXT}")
        problems: list[str] = []
        for view in schema_views(document):
            problems += [
                p for p in self._tools.schemas.problems(view, SCHEMA_URL) if p not in problems
            ]
        if problems:
            raise CheckFailed("schema", "; ".join(problems))
        return "valid against the 1EdTech AchievementCredential schema"

    def _proof(
        self,
        document: dict[str, Any],
        issuer: BadgeIssuer | None,
        issuer_documents: Sequence[dict[str, Any]],
        found: Callable[[ResolvedKey], None],
    ) -> str:
        proof = self._tools.proofs.proof(document)
        key = self._resolve(
            proof["verificationMethod"], issuer_id(document), issuer, issuer_documents
        )
        self._tools.proofs.verify(document, key.multibase)
        found(key)
        return f"eddsa-rdfc-2022 signature by {proof['verificationMethod']} holds"

    @staticmethod
    def _resolve(
        method: str,
        expected_issuer: str,
        issuer: BadgeIssuer | None,
        documents: Sequence[dict[str, Any]],
    ) -> ResolvedKey:
        """The public key of a verification method: one of ours, a did:key, or one listed in
        a supplied DID document. The method must belong to the credential's issuer."""
        did, _, fragment = method.partition("#")
        if did != expected_issuer:
            raise CheckFailed(
                "issuer-key", f"the proof's key {method} is not the issuer's ({expected_issuer})"
            )
        if issuer is not None:
            for key in issuer.keys:
                if issuer.verification_method(key) == method:
                    return ResolvedKey(key.public_key_multibase, key, "this issuer's key")
        for candidate in documents:
            if candidate.get("id") != did:
                continue
            assertion = candidate.get("assertionMethod", [])
            for entry in candidate.get("verificationMethod", []):
                if not isinstance(entry, dict) or entry.get("id") not in (method, f"#{fragment}"):
                    continue
                if entry["id"] not in assertion and method not in assertion:
                    raise CheckFailed("issuer-key", f"{method} is not an assertion method of {did}")
                multibase = entry.get("publicKeyMultibase")
                if isinstance(multibase, str):
                    return ResolvedKey(multibase, None, "the supplied DID document")
        if did.startswith("did:key:") and fragment == did.removeprefix("did:key:"):
            return ResolvedKey(fragment, None, "did:key (the DID is the key)")
        if issuer is not None and issuer.url and did == issuer.did():
            raise CheckFailed("issuer-key", f"{method} is not one of this issuer's keys")
        raise CheckFailed(
            "issuer-key",
            f"unknown key {method}: supply the issuer's DID document (nothing is fetched)",
        )

    @staticmethod
    def _key_valid(document: dict[str, Any], key: ResolvedKey) -> str:
        if key.own is None:
            return f"the key is listed by {key.source}"
        valid_from = parse_xsd_datetime(document.get("validFrom"))
        assert valid_from is not None
        if not key.own.valid_at(valid_from):
            retired = key.own.retired_at.isoformat() if key.own.retired_at else "never"
            raise CheckFailed(
                "issuer-key",
                f"key {key.own.key_id} was not valid at validFrom "
                f"(valid from {key.own.valid_from.isoformat()}, retired {retired})",
            )
        return f"key {key.own.key_id} was valid at validFrom"

    @staticmethod
    def _validity(document: dict[str, Any], now: datetime) -> str:
        valid_from = parse_xsd_datetime(document.get("validFrom"))
        valid_until = parse_xsd_datetime(document.get("validUntil"))
        assert valid_from is not None
        if now < valid_from:
            raise CheckFailed("validity", f"not valid before {document['validFrom']}")
        if valid_until is not None and now > valid_until:
            raise CheckFailed("validity", f"expired at {document['validUntil']}")
        return "valid now" + (f", until {document['validUntil']}" if valid_until else "")

    def _status(
        self,
        document: dict[str, Any],
        issuer: BadgeIssuer | None,
        issuer_documents: Sequence[dict[str, Any]],
        status_lists: Sequence[dict[str, Any]],
    ) -> str:
        entries = document.get("credentialStatus", [])
        entries = entries if isinstance(entries, list) else [entries]
        if not entries:
            return "the credential has no status entries"
        seen: list[StatusPurpose] = []
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("type") != STATUS_ENTRY:
                raise CheckFailed("status", "unsupported credentialStatus (not a Bitstring entry)")
            url, purpose_name = entry.get("statusListCredential"), entry.get("statusPurpose")
            try:
                purpose = StatusPurpose(str(purpose_name))
                index = int(str(entry.get("statusListIndex")))
            except ValueError:
                raise CheckFailed("status", f"a malformed status entry for {url}") from None
            if not isinstance(url, str):
                raise CheckFailed("status", "a status entry names no statusListCredential")
            if self._bit(url, purpose, index, issuer, issuer_documents, status_lists):
                raise CheckFailed("status", f"the credential is {_STATES[purpose]}")
            seen.append(purpose)
        return f"not {' nor '.join(_STATES[p] for p in seen)}"

    def _bit(
        self,
        url: str,
        purpose: StatusPurpose,
        index: int,
        issuer: BadgeIssuer | None,
        issuer_documents: Sequence[dict[str, Any]],
        status_lists: Sequence[dict[str, Any]],
    ) -> bool:
        if issuer is not None:
            own = Addresses(issuer.origin).status_list_of(url)
            if own is not None and own[1] is purpose:
                found = self._app.find(StatusList, StatusList.identity(own[0]))
                if found is None or not found.handed_out(index):
                    raise CheckFailed("status", f"entry {index} of {url} was never issued")
                return found.is_set(index, purpose)
        for credential in status_lists:
            if credential.get("id") != url:
                continue
            report = self.verify_document(credential, issuer_documents)
            failed = [c for c in report.checks if not c.passed and c.check != "status"]
            if failed:
                raise CheckFailed("status", f"the status list {url} fails {failed[0].check}")
            subject = credential.get("credentialSubject", {})
            if subject.get("statusPurpose") != purpose.value:
                raise CheckFailed("status", f"the status list {url} is not for {purpose.value}")
            try:
                return bit(decode_bits(str(subject.get("encodedList", ""))), index)
            except InvalidValue as error:
                raise CheckFailed("status", f"the status list {url}: {error}") from None
        raise CheckFailed("status", f"the status list {url} was not supplied (nothing is fetched)")


_STATES = {StatusPurpose.REVOCATION: "revoked", StatusPurpose.SUSPENSION: "suspended"}
