"""Ed25519 keys as Multikey (multibase base58btc with the multicodec prefix) and as did:key."""

from __future__ import annotations

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from carepassport.domain.errors import InvalidValue

ED25519_PUBLIC = b"\xed\x01"
"""The multicodec prefix of an Ed25519 public key (``ed25519-pub``)."""
ED25519_SECRET = b"\x80\x26"
"""The multicodec prefix of an Ed25519 private key (``ed25519-priv``)."""
BASE58BTC = "z"


def encode_multibase(data: bytes) -> str:
    """Multibase base58btc: ``z`` and the Bitcoin base58 alphabet."""
    return BASE58BTC + base58.b58encode(data).decode("ascii")


def decode_multibase(value: str) -> bytes:
    """The bytes of a base58btc multibase value; anything else is refused."""
    if not value.startswith(BASE58BTC) or len(value) < 2:
        raise InvalidValue(f"not a base58btc multibase value: {value[:16]!r}")
    try:
        return base58.b58decode(value[1:])
    except ValueError as error:
        raise InvalidValue(f"not a base58btc multibase value: {value[:16]!r}") from error


def public_multikey(key: Ed25519PublicKey) -> str:
    """``z6Mk…``: the public key as a Multikey ``publicKeyMultibase``."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return encode_multibase(ED25519_PUBLIC + raw)


def secret_multikey(key: Ed25519PrivateKey) -> str:
    """``z3u2…``: the private key as a Multikey ``secretKeyMultibase``."""
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return encode_multibase(ED25519_SECRET + raw)


def load_public_multikey(value: str) -> Ed25519PublicKey:
    """The Ed25519 key of a ``publicKeyMultibase``; other key types are refused."""
    data = decode_multibase(value)
    if not data.startswith(ED25519_PUBLIC) or len(data) != 34:
        raise InvalidValue(f"not an Ed25519 Multikey: {value[:16]!r}")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def load_secret_multikey(value: str) -> Ed25519PrivateKey:
    """The Ed25519 key of a ``secretKeyMultibase``."""
    data = decode_multibase(value)
    if not data.startswith(ED25519_SECRET) or len(data) != 34:
        raise InvalidValue("not an Ed25519 secret Multikey")
    return Ed25519PrivateKey.from_private_bytes(data[2:])


def did_key(public_key_multibase: str) -> str:
    """``did:key:z6Mk…``: a DID that is its own key."""
    return f"did:key:{public_key_multibase}"


def did_key_document(did: str) -> dict[str, object]:
    """The DID document a ``did:key`` resolves to (one Multikey verification method)."""
    multibase = did.removeprefix("did:key:").split("#", 1)[0]
    load_public_multikey(multibase)
    method = f"did:key:{multibase}#{multibase}"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": f"did:key:{multibase}",
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": f"did:key:{multibase}",
                "publicKeyMultibase": multibase,
            }
        ],
        "assertionMethod": [method],
        "authentication": [method],
    }
