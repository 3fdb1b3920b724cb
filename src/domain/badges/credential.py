"""The Open Badges 3.0 documents: an ``OpenBadgeCredential`` and a status-list credential.

Pure builders: every value comes in as an argument (the time, the identifiers, the salt), so the
same inputs give the same document. The proof is added by the application's signer."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from carepassport.domain.badges.status_list import StatusPurpose
from carepassport.domain.base import aggregate_id

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS = (VC_CONTEXT, OB_CONTEXT)
SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/"
    "ob_v3p0_achievementcredential_schema.json"
)
SCHEMA_TYPE = "JsonSchema"
"""VC JSON Schema's type, defined by the VC 2.0 context (1EdTechJsonSchemaValidator2019 is
not defined by the OB 3.0.3 context, so JSON-LD safe mode refuses it)."""
CREDENTIAL_TYPES = ("VerifiableCredential", "OpenBadgeCredential")
STATUS_LIST_TYPES = ("VerifiableCredential", "BitstringStatusListCredential")
MICRO_CREDENTIAL = "MicroCredential"


def xsd_datetime(moment: datetime) -> str:
    """An XML Schema dateTime in UTC, to the second (``2026-12-05T15:00:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_xsd_datetime(value: object) -> datetime | None:
    """A dateTime from a credential (None when it is missing or not one, or has no zone)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def identity_hash(email: str, salt: str) -> str:
    """OB 3.0 ``IdentityHash``: ``sha256$`` and the hex SHA-256 of the address and the salt
    (the address lowercased and stripped, so one mailbox gives one hash)."""
    normalized = email.strip().lower()
    return "sha256$" + hashlib.sha256((normalized + salt).encode()).hexdigest()


def recipient_identifier(email: str, salt: str) -> dict[str, Any]:
    """The recipient's e-mail address as a salted hash (the address itself is not shown)."""
    return {
        "type": "IdentityObject",
        "identityHash": identity_hash(email, salt),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def holds(document: dict[str, Any], email: str) -> bool:
    """Whether the credential's recipient is the holder of ``email``."""
    subject = document.get("credentialSubject")
    identifiers = subject.get("identifier", []) if isinstance(subject, dict) else []
    for identifier in identifiers if isinstance(identifiers, list) else [identifiers]:
        if not isinstance(identifier, dict) or identifier.get("identityType") != "emailAddress":
            continue
        salt = str(identifier.get("salt", ""))
        if identifier.get("hashed") and identifier.get("identityHash") == identity_hash(
            email, salt
        ):
            return True
        if not identifier.get("hashed") and identifier.get("identityHash") == email.strip():
            return True
    return False


@dataclass(frozen=True)
class Addresses:
    """Where an issuer's documents live: under its web origin, or ``urn:uuid`` without one."""

    origin: str

    def badge(self, badge_id: UUID) -> str:
        return f"{self.origin}/badges/{badge_id}" if self.origin else f"urn:uuid:{badge_id}"

    def image(self, badge_id: UUID) -> str:
        return f"{self.origin}/badges/{badge_id}.png" if self.origin else ""

    def achievement(self, code: str) -> str:
        if self.origin:
            return f"{self.origin}/achievements/{code}"
        return f"urn:uuid:{aggregate_id('achievement', code)}"

    def status_list(self, number: int, purpose: StatusPurpose) -> str:
        if self.origin:
            return f"{self.origin}/badges/status/{number}/{purpose.value}"
        return f"urn:uuid:{aggregate_id('status-list-credential', number, purpose.value)}"

    def status_list_of(self, url: str) -> tuple[int, StatusPurpose] | None:
        """The list number and purpose of one of this issuer's status-list URLs (else None)."""
        for purpose in StatusPurpose:
            for number in range(1, 1 + _LISTS_RECOGNISED):
                if self.status_list(number, purpose) == url:
                    return number, purpose
        return None


_LISTS_RECOGNISED = 64
"""Status lists looked up by URL (64 x 131,072 badges)."""


@dataclass(frozen=True)
class IssuerProfile:
    """The issuer as a credential names it."""

    did: str
    name: str
    url: str = ""
    email: str = ""
    image: str = ""

    def document(self) -> dict[str, Any]:
        profile: dict[str, Any] = {"id": self.did, "type": ["Profile"], "name": self.name}
        if self.url:
            profile["url"] = self.url
        if self.email:
            profile["email"] = self.email
        if self.image:
            profile["image"] = {"id": self.image, "type": "Image"}
        return profile


@dataclass(frozen=True)
class Alignment:
    """A skill the achievement teaches, in a framework that names it by URL (OB 3.0
    ``Alignment``: ``targetUrl`` is required, so only skills with a URI are aligned)."""

    target_name: str
    target_url: str
    target_code: str

    def document(self) -> dict[str, Any]:
        return {
            "type": ["Alignment"],
            "targetName": self.target_name,
            "targetUrl": self.target_url,
            "targetCode": self.target_code,
        }


@dataclass(frozen=True)
class Achievement:
    """What was achieved: a micro-credential (or a pathway) of the catalogue."""

    id: str
    name: str
    description: str
    criteria: str
    achievement_type: str = MICRO_CREDENTIAL
    image: str = ""
    alignments: tuple[Alignment, ...] = ()

    def document(self) -> dict[str, Any]:
        achievement: dict[str, Any] = {
            "id": self.id,
            "type": ["Achievement"],
            "achievementType": self.achievement_type,
            "name": self.name,
            "description": self.description,
            "criteria": {"narrative": self.criteria},
        }
        if self.image:
            achievement["image"] = {"id": self.image, "type": "Image"}
        if self.alignments:
            achievement["alignment"] = [a.document() for a in self.alignments]
        return achievement


def status_entries(addresses: Addresses, number: int, index: int) -> list[dict[str, Any]]:
    """The badge's two ``BitstringStatusListEntry`` entries, one per purpose, same index."""
    entries = []
    for purpose in StatusPurpose:
        url = addresses.status_list(number, purpose)
        entries.append(
            {
                "id": f"{url}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose.value,
                "statusListIndex": str(index),
                "statusListCredential": url,
            }
        )
    return entries


def open_badge(
    *,
    credential_id: str,
    issuer: IssuerProfile,
    achievement: Achievement,
    identifier: dict[str, Any],
    valid_from: datetime,
    valid_until: datetime | None,
    awarded: datetime,
    status: Sequence[dict[str, Any]],
    evidence: Sequence[dict[str, Any]] = (),
    recipient_name: str = "",
    image: str = "",
) -> dict[str, Any]:
    """An unsigned ``OpenBadgeCredential`` (OB 3.0 on VC 2.0)."""
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [identifier],
        "achievement": achievement.document(),
    }
    if recipient_name:
        subject["name"] = recipient_name
    document: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": list(CREDENTIAL_TYPES),
        "name": achievement.name,
        "issuer": issuer.document(),
        "validFrom": xsd_datetime(valid_from),
        "awardedDate": xsd_datetime(awarded),
        "credentialSubject": subject,
        "credentialStatus": list(status),
        "credentialSchema": [{"id": SCHEMA_URL, "type": SCHEMA_TYPE}],
    }
    if valid_until is not None:
        document["validUntil"] = xsd_datetime(valid_until)
    if image:
        document["image"] = {"id": image, "type": "Image"}
    if evidence:
        document["evidence"] = list(evidence)
    return document


def status_list_credential(
    *, url: str, issuer: str, purpose: StatusPurpose, encoded: str, valid_from: datetime
) -> dict[str, Any]:
    """An unsigned ``BitstringStatusListCredential`` publishing one list."""
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": list(STATUS_LIST_TYPES),
        "issuer": issuer,
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose.value,
            "encodedList": encoded,
        },
    }
