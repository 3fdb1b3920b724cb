"""Signing in to the portal by e-mail: which identities an address signs in as, and one-time
links (15 minutes, single use, bound to the address they were sent to; ADR 0024)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import DomainError

LINK_LIFETIME = timedelta(minutes=15)


class LinkRefused(DomainError):
    """A sign-in link that is unknown, used already, or expired."""

    code = "sign_in_link_refused"


class SignInAddress(Aggregate):
    """The portal identities (role and subject) one e-mail address signs in as; found by the
    address's blind index, never by the address itself."""

    class AddressOpened(CreatedEvent):
        personal: ClassVar[dict[str, str]] = {"email": "email"}
        email: str
        opened_at: datetime
        business_time_field = "opened_at"

    class IdentityAdded(DomainEvent):
        role: str
        subject: str
        added_at: datetime
        business_time_field = "added_at"

        def apply(self, aggregate: SignInAddress) -> None:
            aggregate.identities = (*aggregate.identities, (self.role, self.subject))

    def __init__(self, email: str, opened_at: datetime) -> None:
        self.email = email
        self.identities: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def identity(index: str) -> UUID:
        """The address whose blind index is ``index``."""
        return aggregate_id("sign-in-address", index)

    @classmethod
    def open(cls, index: str, email: str, at: datetime) -> SignInAddress:
        return cls._create(
            cls.AddressOpened, id=cls.identity(index), timestamp=at, email=email, opened_at=at
        )

    class AddressClosed(DomainEvent):
        """The address signs in as nobody any more (its owner's data was erased)."""

        closed_at: datetime
        business_time_field = "closed_at"

        def apply(self, aggregate: SignInAddress) -> None:
            aggregate.identities = ()

    def close(self, at: datetime) -> None:
        if self.identities:
            self.trigger_event(self.AddressClosed, timestamp=at, closed_at=at)

    def add(self, role: str, subject: str, at: datetime) -> None:
        """The address also signs in as ``role`` ``subject`` (once)."""
        if (role, subject) not in self.identities:
            self.trigger_event(
                self.IdentityAdded, timestamp=at, role=role, subject=subject, added_at=at
            )


class SignInLink(Aggregate):
    """One link sent to one address for one identity; the link's secret is never recorded,
    only its SHA-256."""

    class LinkIssued(CreatedEvent):
        personal: ClassVar[dict[str, str]] = {"email": "email"}
        email: str
        role: str
        subject: str
        issued_at: datetime
        expires_at: datetime
        business_time_field = "issued_at"

    class LinkUsed(DomainEvent):
        used_at: datetime
        business_time_field = "used_at"

        def apply(self, aggregate: SignInLink) -> None:
            aggregate.used_at = self.used_at

    def __init__(
        self, email: str, role: str, subject: str, issued_at: datetime, expires_at: datetime
    ) -> None:
        self.role = role
        self.subject = subject
        self.expires_at = expires_at
        self.used_at: datetime | None = None

    @staticmethod
    def identity(secret_hash: str) -> UUID:
        return aggregate_id("sign-in-link", secret_hash)

    @classmethod
    def issue(
        cls, secret_hash: str, email: str, role: str, subject: str, at: datetime
    ) -> SignInLink:
        return cls._create(
            cls.LinkIssued,
            id=cls.identity(secret_hash),
            timestamp=at,
            email=email,
            role=role,
            subject=subject,
            issued_at=at,
            expires_at=at + LINK_LIFETIME,
        )

    def use(self, at: datetime) -> None:
        """Sign in with this link, once, before it expires."""
        if self.used_at is not None:
            raise LinkRefused("this sign-in link was used already: ask for a new one")
        if at >= self.expires_at:
            raise LinkRefused("this sign-in link has expired: ask for a new one")
        self.trigger_event(self.LinkUsed, timestamp=at, used_at=at)
