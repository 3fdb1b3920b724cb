"""Approval tokens (R3): which sponsorship request a reply answers, signed with a secret.

A token is base32 (lower case, case-insensitive) of the sponsorship's 16-byte id followed by
the first 14 bytes (112 bits) of HMAC-SHA256 over that id under the configured secret: 30 bytes,
48 characters, no padding. It names its request by itself, so a reply needs no other lookup;
without the secret it cannot be made or altered (ADR 0012). The secret never enters the events.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable
from uuid import UUID

import attrs

from carepassport.domain.errors import InvalidValue

MAC_BYTES = 14
TOKEN_LENGTH = 48
MIN_SECRET_LENGTH = 16
LOCAL_PART = "approvals"
_CONTEXT = b"carepassport/approval-token/v1/"
_ADDRESS = re.compile(rf"^{LOCAL_PART}\+([^@\s]*)@", re.IGNORECASE)
_SUBJECT = re.compile(r"\[approval:\s*([^\]\s]*)\s*\]", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9-]{1,63})*$")


@attrs.frozen
class ApprovalTokens:
    """Issues and reads approval tokens, and the Reply-To addresses and subject tags that
    carry them."""

    secret: bytes = attrs.field(repr=False)
    domain: str

    @classmethod
    def create(cls, secret: str, domain: str) -> ApprovalTokens:
        """Tokens signed with ``secret`` (at least 16 characters), replies to ``domain``."""
        if len(secret.strip()) < MIN_SECRET_LENGTH:
            raise InvalidValue(
                f"the approval secret must be at least {MIN_SECRET_LENGTH} characters long"
            )
        host = domain.strip().lower()
        if not _DOMAIN.match(host):
            raise InvalidValue(f"{domain!r} is not a mail domain for approval replies")
        return cls(secret=secret.strip().encode("utf-8"), domain=host)

    def token(self, sponsorship_id: UUID) -> str:
        """The token of one sponsorship request."""
        raw = sponsorship_id.bytes + self._mac(sponsorship_id.bytes)
        return base64.b32encode(raw).decode("ascii").lower()

    def reply_to(self, sponsorship_id: UUID) -> str:
        """The Reply-To address of a request's messages: ``approvals+TOKEN@domain``."""
        return f"{LOCAL_PART}+{self.token(sponsorship_id)}@{self.domain}"

    def subject_tag(self, sponsorship_id: UUID) -> str:
        """The tag a request's subject carries, for replies that lose the Reply-To address."""
        return f"[approval:{self.token(sponsorship_id)}]"

    def read(self, token: str) -> UUID | None:
        """The sponsorship id a genuine token names; None for anything forged or altered."""
        text = token.strip().upper()
        if len(text) != TOKEN_LENGTH:
            return None
        try:
            raw = base64.b32decode(text)
        except (binascii.Error, ValueError):
            return None
        identity, mac = raw[:16], raw[16:]
        if not hmac.compare_digest(mac, self._mac(identity)):
            return None
        return UUID(bytes=identity)

    @staticmethod
    def in_addresses(addresses: Iterable[str]) -> list[str]:
        """Tokens in ``approvals+TOKEN@…`` addresses (any domain: the signature is what counts)."""
        return [m.group(1) for a in addresses if (m := _ADDRESS.match(a.strip()))]

    @staticmethod
    def in_subject(subject: str) -> list[str]:
        """Tokens in ``[approval:TOKEN]`` tags of a subject."""
        return _SUBJECT.findall(subject)

    def _mac(self, identity: bytes) -> bytes:
        return hmac.new(self.secret, _CONTEXT + identity, hashlib.sha256).digest()[:MAC_BYTES]
