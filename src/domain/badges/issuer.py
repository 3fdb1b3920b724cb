"""The badge issuer: the college's profile and its signing keys' public halves.

The private keys live outside the event store (the key folder); what is recorded is each public
key (Multikey) and when it was valid, so a credential signed with a retired key still verifies
and one dated after its retirement does not."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition, InvalidValue, NotFound

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOURS = ("#00467f", "#ffffff")
"""Badge background and text colours when the college names none."""
KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
IMAGE_TYPES = ("image/png", "image/svg+xml")
IMAGE_LIMIT = 512 * 1024
"""Bytes of issuer image kept in the profile (it is recorded and copied into every badge)."""


@lru_cache(maxsize=64)
def issuer_origin(url: str) -> str:
    """``scheme://host[:port]`` of an https issuer URL (http only for localhost); kept for the
    few URLs a store has, since every badge asks."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidValue(f"the issuer URL {url!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1"):
        raise InvalidValue("the issuer URL must be https (http only for localhost)")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidValue("the issuer URL may not carry credentials, a query or a fragment")
    if parts.path not in ("", "/"):
        raise InvalidValue("the issuer URL is an origin (did:web serves /.well-known/did.json)")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def did_web(origin: str) -> str:
    """The ``did:web`` of an origin (a port's colon is percent-encoded)."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    return f"did:web:{host}%3A{parts.port}" if parts.port else f"did:web:{host}"


class SigningKey:
    """One public key of the issuer and when it signs."""

    def __init__(
        self,
        key_id: str,
        public_key_multibase: str,
        valid_from: datetime,
        retired_at: datetime | None,
    ) -> None:
        self.key_id = key_id
        self.public_key_multibase = public_key_multibase
        self.valid_from = valid_from
        self.retired_at = retired_at

    def valid_at(self, moment: datetime) -> bool:
        """Whether a credential dated ``moment`` may carry this key's proof. Credentials are
        dated to the second, so the key's start counts from its second, and its retirement
        second still belongs to it."""
        start = self.valid_from.replace(microsecond=0)
        return start <= moment and (self.retired_at is None or moment <= self.retired_at)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "key_id": self.key_id,
            "public_key_multibase": self.public_key_multibase,
            "valid_from": self.valid_from.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
        }


class BadgeIssuer(Aggregate):
    """The one issuer of this store's badges."""

    class IssuerOpened(CreatedEvent):
        opened_at: datetime
        business_time_field = "opened_at"

    class IssuerProfileSet(DomainEvent):
        name: str
        url: str
        email: str
        image_type: str
        image: str
        """The image as a data URL (``data:image/png;base64,…``), or empty."""
        colours: list[str]
        include_names: bool
        set_at: datetime
        business_time_field = "set_at"

        def apply(self, aggregate: BadgeIssuer) -> None:
            aggregate.name = self.name
            aggregate.url = self.url
            aggregate.email = self.email
            aggregate.image = self.image
            aggregate.colours = tuple(self.colours)
            aggregate.include_names = self.include_names

    class SigningKeyAdded(DomainEvent):
        key_id: str
        public_key_multibase: str
        valid_from: datetime
        business_time_field = "valid_from"

        def apply(self, aggregate: BadgeIssuer) -> None:
            aggregate.keys.append(
                SigningKey(self.key_id, self.public_key_multibase, self.valid_from, None)
            )

    class SigningKeyRetired(DomainEvent):
        key_id: str
        retired_at: datetime
        business_time_field = "retired_at"

        def apply(self, aggregate: BadgeIssuer) -> None:
            aggregate.key(self.key_id).retired_at = self.retired_at

    def __init__(self, opened_at: datetime) -> None:
        self.name = ""
        self.url = ""
        self.email = ""
        self.image = ""
        self.colours: tuple[str, ...] = DEFAULT_COLOURS
        self.include_names = False
        self.keys: list[SigningKey] = []

    @staticmethod
    def identity() -> UUID:
        """The store's one issuer."""
        return aggregate_id("badge-issuer")

    @classmethod
    def open(cls, at: datetime) -> BadgeIssuer:
        """An issuer with no profile and no keys yet."""
        return cls._create(cls.IssuerOpened, id=cls.identity(), timestamp=at, opened_at=at)

    @property
    def configured(self) -> bool:
        """Whether badges can be issued: a profile and a signing key."""
        return bool(self.name) and self.current_key is not None

    @property
    def origin(self) -> str:
        """The issuer's web origin, or empty without a URL."""
        return issuer_origin(self.url) if self.url else ""

    @property
    def current_key(self) -> SigningKey | None:
        """The key new credentials are signed with."""
        return next((k for k in reversed(self.keys) if k.retired_at is None), None)

    def key(self, key_id: str) -> SigningKey:
        """A key by its id (NotFound for an unknown one)."""
        for key in self.keys:
            if key.key_id == key_id:
                return key
        raise NotFound(f"the issuer has no key {key_id!r}")

    def key_by_multibase(self, public_key_multibase: str) -> SigningKey | None:
        """The key with this public half, if it is one of the issuer's."""
        return next((k for k in self.keys if k.public_key_multibase == public_key_multibase), None)

    def did(self, key: SigningKey | None = None) -> str:
        """``did:web`` of the URL; without one, ``did:key`` of ``key`` (default: current)."""
        if self.url:
            return did_web(self.origin)
        key = key or self.current_key
        if key is None:
            raise InvalidTransition("the issuer has neither a URL nor a signing key")
        return f"did:key:{key.public_key_multibase}"

    def verification_method(self, key: SigningKey) -> str:
        """The verification method id of ``key`` in the issuer's DID document."""
        return f"{self.did(key)}#{key.public_key_multibase}"

    def set_profile(
        self,
        name: str,
        url: str,
        email: str,
        image_type: str,
        image: str,
        colours: tuple[str, str] | None,
        include_names: bool,
        at: datetime,
    ) -> None:
        """The college's name, URL, contact, image and colours (a new profile replaces all)."""
        if not name.strip():
            raise InvalidValue("the issuer needs a name")
        if url:
            url = issuer_origin(url)
        if image_type and image_type not in IMAGE_TYPES:
            raise InvalidValue(f"the issuer image must be PNG or SVG, not {image_type}")
        if len(image) > IMAGE_LIMIT * 4 // 3 + 64:
            raise InvalidValue(f"the issuer image is over {IMAGE_LIMIT // 1024} KiB")
        chosen = colours or self.colours
        for colour in chosen:
            if not COLOUR.match(colour):
                raise InvalidValue(f"colour {colour!r} is not #rrggbb")
        if self.url and url != self.url and self.keys:
            raise InvalidTransition(
                "the issuer URL is its identity (did:web): credentials already issued name "
                f"{self.url}; it cannot change"
            )
        self.trigger_event(
            self.IssuerProfileSet,
            timestamp=at,
            name=name.strip(),
            url=url,
            email=email.strip(),
            image_type=image_type,
            image=image,
            colours=list(chosen),
            include_names=include_names,
            set_at=at,
        )

    def add_key(self, key_id: str, public_key_multibase: str, at: datetime) -> SigningKey:
        """A new signing key from ``at``; the current one (if any) is retired at ``at``."""
        if not KEY_ID.match(key_id):
            raise InvalidValue(f"key id {key_id!r} is not a simple name")
        if any(k.key_id == key_id for k in self.keys):
            raise InvalidValue(f"the issuer already has a key {key_id!r}")
        if not public_key_multibase.startswith("z6Mk"):
            raise InvalidValue("a signing key is an Ed25519 Multikey (z6Mk…)")
        current = self.current_key
        if current is not None:
            self.trigger_event(
                self.SigningKeyRetired, timestamp=at, key_id=current.key_id, retired_at=at
            )
        self.trigger_event(
            self.SigningKeyAdded,
            timestamp=at,
            key_id=key_id,
            public_key_multibase=public_key_multibase,
            valid_from=at,
        )
        return self.key(key_id)
