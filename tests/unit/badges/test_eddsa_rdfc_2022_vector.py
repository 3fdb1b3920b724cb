"""The W3C vc-di-eddsa specification's eddsa-rdfc-2022 test vector, reproduced byte for byte
(tests/fixtures/vc_di_eddsa/README.md says where each file comes from)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from carepassport.adapters.badges import data_integrity
from carepassport.adapters.badges.multikey import (
    load_public_multikey,
    load_secret_multikey,
    public_multikey,
)

VECTOR = Path(__file__).parents[2] / "fixtures" / "vc_di_eddsa"


def text(name: str) -> str:
    return (VECTOR / name).read_text("utf-8")


def document(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(text(name))
    return loaded


@pytest.fixture
def options() -> dict[str, Any]:
    config = document("proofConfigDataInt.json")
    config.pop("@context")
    return config


def test_the_unsigned_document_canonicalizes_to_the_published_n_quads() -> None:
    assert data_integrity.canonicalize(document("unsigned.json")) == text("canonDocDataInt.txt")


def test_the_proof_configuration_canonicalizes_to_the_published_n_quads() -> None:
    assert data_integrity.canonicalize(document("proofConfigDataInt.json")) == text(
        "proofCanonDataInt.txt"
    )


def test_the_hash_data_is_the_published_proof_hash_then_document_hash(
    options: dict[str, Any],
) -> None:
    combined = data_integrity.hash_data(document("unsigned.json"), options)

    assert combined.hex() == text("combinedHashDataInt.txt").strip()
    assert combined[:32].hex() == text("proofHashDataInt.txt").strip()
    assert combined[32:] == hashlib.sha256(text("canonDocDataInt.txt").encode()).digest()


def test_the_key_pair_round_trips_as_multikey() -> None:
    pair = document("keyPair.json")
    secret = load_secret_multikey(pair["privateKeyMultibase"])

    assert public_multikey(secret.public_key()) == pair["publicKeyMultibase"]


def test_signing_gives_the_published_signed_credential() -> None:
    pair = document("keyPair.json")
    signed_vector = document("signedDataInt.json")
    key = load_secret_multikey(pair["privateKeyMultibase"])
    created = datetime.fromisoformat(signed_vector["proof"]["created"].replace("Z", "+00:00"))

    signed = data_integrity.sign(
        document("unsigned.json"),
        key.sign,
        signed_vector["proof"]["verificationMethod"],
        created,
    )

    assert signed == signed_vector
    assert signed["proof"]["proofValue"] == text("sigBTC58DataInt.txt").strip()


def test_the_published_signed_credential_verifies() -> None:
    key = load_public_multikey(document("keyPair.json")["publicKeyMultibase"])

    data_integrity.verify(document("signedDataInt.json"), key)


def test_the_published_credential_with_one_changed_claim_fails_the_proof_check() -> None:
    key = load_public_multikey(document("keyPair.json")["publicKeyMultibase"])
    tampered = document("signedDataInt.json")
    tampered["credentialSubject"]["alumniOf"] = "Another University"

    with pytest.raises(data_integrity.ProofError) as refused:
        data_integrity.verify(tampered, key)

    assert refused.value.check == "proof"
