"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C vc-di-eddsa).

Ed25519 over SHA-256 of the RDF Dataset Canonicalization (RDFC-1.0, which ``pyld`` implements
as URDNA2015) of the proof configuration, followed by SHA-256 of the canonical document. The
contexts come from the pinned loader only, so canonicalizing never reaches the network."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld

from carepassport.adapters.badges.documents import UnpinnedDocument, document_loader
from carepassport.adapters.badges.multikey import (
    decode_multibase,
    encode_multibase,
    load_public_multikey,
)
from carepassport.adapters.badges.shapes import PYLD_REFUSALS, ShapeCanonicalizer
from carepassport.application.badges.ports import CheckFailed, Sign
from carepassport.domain.badges.credential import xsd_datetime
from carepassport.domain.errors import InvalidValue

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
ASSERTION = "assertionMethod"


ProofError = CheckFailed


def canonicalize_with_pyld(document: dict[str, Any]) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document, by ``pyld`` alone (pinned
    contexts only)."""
    try:
        canonical: str = jsonld.normalize(
            document,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
            },
        )
    except jsonld.JsonLdError as error:
        raise _refusal(error) from error
    except PYLD_REFUSALS as error:  # pyld trips over some inputs instead of refusing them
        raise ProofError(
            "canonicalization", f"not valid JSON-LD: {type(error).__name__}: {error}"
        ) from error
    return canonical


def _refusal(error: jsonld.JsonLdError) -> ProofError:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, UnpinnedDocument):
            return ProofError("contexts", str(cause))
        cause = cause.__cause__ or getattr(cause, "cause", None)
    return ProofError("canonicalization", f"not valid JSON-LD: {error}")


def _to_rdf(document: Any) -> Any:
    return jsonld.to_rdf(document, {"documentLoader": document_loader})


_shapes = ShapeCanonicalizer(_to_rdf, canonicalize_with_pyld)


def canonicalize(document: dict[str, Any]) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document (pinned contexts only): the same
    text as :func:`canonicalize_with_pyld`, expanding each shape of document once
    (:mod:`carepassport.adapters.badges.shapes`)."""
    return _shapes(document)


def hash_data(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    """What is signed: SHA-256(canonical proof configuration) ‖ SHA-256(canonical document)."""
    config = json.dumps({"@context": document["@context"], **options}, sort_keys=True)
    return _config_digest(config) + hashlib.sha256(canonicalize(document).encode()).digest()


@lru_cache(maxsize=1024)
def _config_digest(config: str) -> bytes:
    """SHA-256 of a canonical proof configuration; a batch signed in one second at one key
    shares one."""
    return hashlib.sha256(canonicalize(json.loads(config)).encode()).digest()


timestamp = xsd_datetime


def sign(
    document: dict[str, Any],
    key: Sign,
    verification_method: str,
    created: datetime,
    purpose: str = ASSERTION,
) -> dict[str, Any]:
    """``document`` with an ``eddsa-rdfc-2022`` proof signed by ``key`` (a signing function,
    e.g. ``Ed25519PrivateKey.sign``)."""
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": timestamp(created),
        "verificationMethod": verification_method,
        "proofPurpose": purpose,
    }
    signature = key(hash_data(unsecured, options))
    return {**unsecured, "proof": {**options, "proofValue": encode_multibase(signature)}}


def proof_of(document: dict[str, Any]) -> dict[str, Any]:
    """The document's one proof, of the supported type and cryptosuite."""
    proof = document.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ProofError("proof", f"expected one proof, found {len(proof)}")
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("proof", "the credential has no proof")
    if proof.get("type") != PROOF_TYPE:
        raise ProofError("proof", f"unsupported proof type {proof.get('type')!r}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("proof", f"unsupported cryptosuite {proof.get('cryptosuite')!r}")
    for name in ("verificationMethod", "proofValue", "proofPurpose"):
        if not isinstance(proof.get(name), str):
            raise ProofError("proof", f"the proof has no {name}")
    return proof


def verify(document: dict[str, Any], key: Ed25519PublicKey) -> None:
    """Raise :class:`ProofError` unless ``document``'s proof is a valid signature by ``key``."""
    proof = proof_of(document)
    if proof["proofPurpose"] != ASSERTION:
        raise ProofError("proof", f"unexpected proof purpose {proof['proofPurpose']!r}")
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    if "@context" in options:
        expected = options.pop("@context")
        expected = expected if isinstance(expected, list) else [expected]
        actual = unsecured.get("@context")
        actual = actual if isinstance(actual, list) else [actual]
        if actual[: len(expected)] != expected:
            raise ProofError("proof", "the proof's @context does not begin the document's")
    try:
        signature = decode_multibase(proof["proofValue"])
    except InvalidValue as error:
        raise ProofError("proof", str(error)) from error
    if len(signature) != 64:
        raise ProofError("proof", "the proof value is not an Ed25519 signature")
    try:
        key.verify(signature, hash_data(unsecured, options))
    except InvalidSignature as error:
        raise ProofError(
            "proof", "the signature does not match the credential (changed, or another key)"
        ) from error


class EddsaRdfc2022:
    """The ``Proofs`` port: ``eddsa-rdfc-2022`` Data Integrity proofs."""

    def sign(
        self, document: dict[str, Any], signer: Sign, verification_method: str, created: datetime
    ) -> dict[str, Any]:
        return sign(document, signer, verification_method, created)

    def proof(self, document: dict[str, Any]) -> dict[str, Any]:
        return proof_of(document)

    def verify(self, document: dict[str, Any], public_key_multibase: str) -> None:
        try:
            key = load_public_multikey(public_key_multibase)
        except InvalidValue as error:
            raise ProofError("issuer-key", str(error)) from error
        verify(document, key)

    def expanded_contexts(self, document: dict[str, Any]) -> None:
        contexts = document.get("@context")
        for url in contexts if isinstance(contexts, list) else [contexts]:
            if isinstance(url, str):
                try:
                    document_loader(url)
                except UnpinnedDocument as error:
                    raise ProofError("contexts", str(error)) from error
