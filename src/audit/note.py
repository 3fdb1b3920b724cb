"""Signed tree heads as C2SP signed notes (c2sp.org/signed-note) in the checkpoint format of
c2sp.org/tlog-checkpoint: an origin line, the tree size in decimal, the root hash in base64,
a blank line, then signature lines ``— <key name> base64(key ID || Ed25519 signature)`` over
the text, the key ID being ``SHA-256(key name || 0x0A || 0x01 || public key)[:4]``."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DASH = "\u2014 "
ED25519 = b"\x01"
MAX_SIGNATURES = 16
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_MULTICODEC = b"\xed\x01"


class NoteError(ValueError):
    """A note that is malformed, or whose signature by a known key does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log, how many leaves, the root; and the note text that says so."""

    origin: str
    size: int
    root: bytes
    text: str


@dataclass(frozen=True)
class VerifierKey:
    """A public key a note may be signed with, under its name."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def encode(self) -> str:
        """The Go ``note`` verifier-key form: ``<name>+<hex key ID>+<base64(0x01 || key)>``."""
        raw = base64.b64encode(ED25519 + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{raw}"

    @classmethod
    def decode(cls, text: str) -> VerifierKey:
        name, _, rest = text.strip().partition("+")
        hex_id, _, raw = rest.partition("+")
        try:
            data = base64.b64decode(raw, validate=True)
        except ValueError:
            raise NoteError(f"verifier key {text!r}: the key is not base64") from None
        if not name or len(data) != 33 or data[:1] != ED25519:
            raise NoteError(f"verifier key {text!r}: expected name+id+base64(0x01 || key)")
        found = cls(name, data[1:])
        if found.key_id.hex() != hex_id.lower():
            raise NoteError(f"verifier key {text!r}: its key ID does not match the key")
        return found


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519 + public_key).digest()[:4]


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    if not origin or "\n" in origin:
        raise NoteError("a checkpoint's origin is one non-empty line")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign(text: str, name: str, public_key: bytes, signer: Callable[[bytes], bytes]) -> str:
    """``text`` as a signed note with one Ed25519 signature by ``name``."""
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
    signature = signer(text.encode("utf-8"))
    line = base64.b64encode(key_id(name, public_key) + signature).decode()
    return f"{text}\n{DASH}{name} {line}\n"


def open_note(note: str, keys: Sequence[VerifierKey]) -> tuple[str, list[VerifierKey]]:
    """The text of ``note`` and the known keys whose signatures on it verify. A signature by
    a known key that fails rejects the note, as does a note no known key signed."""
    text, sep, signatures = note.partition("\n\n")
    if not sep or not text or any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("not a signed note: text, a blank line, then signature lines")
    text += "\n"
    lines = signatures.split("\n")
    if lines[-1] != "" or len(lines) - 1 > MAX_SIGNATURES or len(lines) < 2:
        raise NoteError("a signed note ends in newline and has 1-16 signature lines")
    known = {(k.name, k.key_id): k for k in keys}
    verified: list[VerifierKey] = []
    for line in lines[:-1]:
        if not line.startswith(DASH):
            raise NoteError(f"not a signature line: {line[:40]!r}")
        name, _, encoded = line[len(DASH) :].rpartition(" ")
        try:
            data = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise NoteError(f"signature by {name!r} is not base64") from None
        key = known.get((name, data[:4]))
        if key is None:
            continue  # an unknown key's signature is ignored
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(data[4:], text.encode())
        except InvalidSignature:
            raise NoteError(
                f"the signature by {name} does not verify: the note was altered"
            ) from None
        verified.append(key)
    if not verified:
        raise NoteError("no known key signed this note")
    return text, verified


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint's body: origin, size and root (extension lines are allowed and kept)."""
    lines = text.split("\n")
    if len(lines) < 4 or not lines[0] or not lines[1].isdigit():
        raise NoteError("a checkpoint is: origin, tree size, base64 root hash")
    if len(lines[1]) > 1 and lines[1].startswith("0"):
        raise NoteError("a checkpoint's tree size has no leading zeros")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        raise NoteError("a checkpoint's root hash is not base64") from None
    if len(root) != 32:
        raise NoteError("a checkpoint's root hash is 32 bytes")
    return Checkpoint(lines[0], int(lines[1]), root, text)


def verify_checkpoint(note: str, keys: Sequence[VerifierKey]) -> Checkpoint:
    """The checkpoint of a signed note, once a known key's signature verifies."""
    text, _ = open_note(note, keys)
    return parse_checkpoint(text)


def public_key_of_multikey(multikey: str) -> bytes:
    """The raw Ed25519 public key of a ``z6Mk...`` Multikey (base58btc, multicodec 0xed)."""
    if not multikey.startswith("z"):
        raise NoteError(f"{multikey!r} is not a base58btc multibase value")
    number = 0
    for char in multikey[1:]:
        digit = _BASE58.find(char)
        if digit < 0:
            raise NoteError(f"{multikey!r} is not base58btc")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    zeros = len(multikey[1:]) - len(multikey[1:].lstrip("1"))
    data = b"\x00" * zeros + body
    if data[:2] != _ED25519_MULTICODEC or len(data) != 34:
        raise NoteError(f"{multikey!r} is not an Ed25519 Multikey")
    return data[2:]
