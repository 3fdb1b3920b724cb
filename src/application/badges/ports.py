"""What the badges need from outside: keys, proofs, schemas, images and baking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import attrs

from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.badges.credential import Alignment
from carepassport.domain.errors import DomainError, InvalidValue

Sign = Callable[[bytes], bytes]
"""Signs bytes with a private key the caller never sees."""


class CheckFailed(InvalidValue):
    """A verification step that did not pass: ``check`` names it, ``detail`` says why."""

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"{check}: {detail}")
        self.check = check
        self.detail = detail


class KeysUnavailable(DomainError):
    """The key folder cannot be used (not configured, unreadable, or the key is not in it)."""

    code = "keys_unavailable"


class SigningKeys(Protocol):
    """Private keys, kept outside the event store."""

    def create(self, key_id: str) -> str:
        """A new Ed25519 key under ``key_id``; its public half as a Multikey (``z6Mk…``)."""
        ...

    def signer(self, key_id: str) -> Sign:
        """Signs with key ``key_id`` (``KeysUnavailable`` if it is not here)."""
        ...

    @property
    def location(self) -> str:
        """Where the keys are kept, for people (a folder, or "memory")."""
        ...


class Proofs(Protocol):
    """Data Integrity proofs (``eddsa-rdfc-2022``)."""

    def sign(
        self, document: dict[str, Any], signer: Sign, verification_method: str, created: datetime
    ) -> dict[str, Any]:
        """``document`` with a proof."""
        ...

    def proof(self, document: dict[str, Any]) -> dict[str, Any]:
        """The document's one supported proof (``CheckFailed("proof")`` otherwise)."""
        ...

    def verify(self, document: dict[str, Any], public_key_multibase: str) -> None:
        """Raise ``CheckFailed`` unless the proof is a valid signature by that key."""
        ...

    def expanded_contexts(self, document: dict[str, Any]) -> None:
        """Raise ``CheckFailed("contexts")`` if the document names a context not pinned."""
        ...


class Schemas(Protocol):
    """The pinned JSON Schemas."""

    def problems(self, document: dict[str, Any], schema_url: str) -> list[str]:
        """What the document breaks of the schema at ``schema_url`` (empty: valid)."""
        ...


class Baking(Protocol):
    """Credentials carried inside images (OB 3.0 baking)."""

    def bake_png(self, image: bytes, credential: str) -> bytes:
        """The PNG with the credential's JSON in an ``openbadgecredential`` iTXt chunk."""
        ...

    def bake_svg(self, image: str, credential: str) -> str:
        """The SVG with an ``openbadges:credential`` element holding the JSON."""
        ...

    def unbake(self, data: bytes) -> dict[str, Any]:
        """The credential in JSON, a baked PNG or a baked SVG (``CheckFailed("format")``)."""
        ...


class Images(Protocol):
    """Badge images drawn from the micro-credential's name and the college's colours."""

    def png(self, title: str, subtitle: str, colours: tuple[str, ...]) -> bytes: ...

    def svg(self, title: str, subtitle: str, colours: tuple[str, ...]) -> str: ...

    def qr_png(self, text: str) -> bytes: ...

    def qr_svg(self, text: str) -> str: ...


@attrs.frozen
class BadgeTools:
    """The adapters the badges use, handed in by the composition root."""

    keys: SigningKeys
    proofs: Proofs
    schemas: Schemas
    baking: Baking
    images: Images


class Alignments(Protocol):
    """The skills a micro-credential teaches, where a framework names them by URL (matching
    knows them; badges carry them as ``alignment``)."""

    def alignments(self, code: str, uow: UnitOfWork) -> list[Alignment]:
        """``code``'s aligned skills, in ``uow``."""
        ...


class NoAlignments:
    """No skills known: badges carry no alignment."""

    def alignments(self, code: str, uow: UnitOfWork) -> list[Alignment]:
        return []


class RecognitionFollower(Protocol):
    """Told, in its unit of work, that a holder's recognised credentials changed (matching
    matches them again); and asked whether a holder who is not an employee is one it knows
    (a job seeker)."""

    def recognised(self, employee_id: str, at: datetime, uow: UnitOfWork) -> None:
        """``employee_id`` was just credited with a foreign credential."""
        ...

    def knows_holder(self, holder_id: str, uow: UnitOfWork) -> bool:
        """Whether ``holder_id``, not an employee, may hold recognised credentials."""
        ...
