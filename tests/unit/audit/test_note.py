"""Signed notes and checkpoints, against the Go sumdb/note reference vector (golang.org/x/mod,
PeterNeumann): the same key ID, the same signature byte for byte, and the refusals."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carepassport.audit.note import (
    NoteError,
    VerifierKey,
    checkpoint_text,
    open_note,
    sign,
    verify_checkpoint,
)

VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SIGNER_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
NOTE = TEXT + (
    "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)
KEY = VerifierKey.decode(VERIFIER)
PRIVATE = Ed25519PrivateKey.from_private_bytes(SIGNER_SEED)


def test_the_reference_signature_is_reproduced_byte_for_byte() -> None:
    assert sign(TEXT, "PeterNeumann", KEY.public_key, PRIVATE.sign) == NOTE


def test_the_reference_note_opens_with_its_verifier_key_and_the_key_round_trips() -> None:
    text, verified = open_note(NOTE, [KEY])

    assert (text, verified) == (TEXT, [KEY])
    assert KEY.encode() == VERIFIER and KEY.key_id.hex() == "c74f20a3"


def test_an_altered_text_is_rejected() -> None:
    with pytest.raises(NoteError, match="does not verify"):
        open_note(NOTE.replace("answer", "Answer"), [KEY])


def test_a_note_signed_by_no_known_key_is_rejected() -> None:
    other = VerifierKey("Other", Ed25519PrivateKey.generate().public_key().public_bytes_raw())

    with pytest.raises(NoteError, match="no known key"):
        open_note(NOTE, [other])


def test_a_checkpoint_round_trips_and_a_forged_one_signed_by_another_key_is_rejected() -> None:
    root = bytes(range(32))
    note = sign(checkpoint_text("care.example/log", 42, root), "care.example/audit-1",
                KEY.public_key, PRIVATE.sign)  # fmt: skip
    ours = VerifierKey("care.example/audit-1", KEY.public_key)
    forger = Ed25519PrivateKey.generate()
    forged = sign(checkpoint_text("care.example/log", 43, root), "care.example/audit-1",
                  KEY.public_key, forger.sign)  # fmt: skip

    found = verify_checkpoint(note, [ours])

    assert (found.origin, found.size, found.root) == ("care.example/log", 42, root)
    with pytest.raises(NoteError, match="does not verify"):
        verify_checkpoint(forged, [ours])


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
    ids=["wrong-id", "short-key", "no-name"],
)
def test_a_mangled_verifier_key_is_refused(bad: str) -> None:
    with pytest.raises(NoteError):
        VerifierKey.decode(bad)
