"""Measurement 7 (badges): signing and verifying Open Badges 3.0 credentials beside the floor
of ``pyld`` and ``cryptography`` alone, and the morning's publications with badges beside the
same publications without.

* proofs: ``n`` credentials built as issuing builds them, signed with the product's
  ``eddsa-rdfc-2022`` signer and verified by the product's verifier (every check: contexts,
  schema, proof, key, validity, status), beside the floor: the same documents canonicalized with
  ``pyld`` alone (pinned contexts, two normalizations) and signed or verified with
  ``cryptography`` alone. Ratio = floor time / product time (goal >= 0.8).
* publications: ``n`` recorded completions due for publication at 10:00, published by one tick
  on a SQLite file, with an issuer and key configured and without (goal: with <= 2x without).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld import jsonld

from bench import seed
from bench.common import now, sized
from carepassport.adapters.badges.documents import document_loader
from carepassport.adapters.badges.keys import MemoryKeys
from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import badge_tools, bootstrap
from carepassport.domain.badges.credential import (
    Achievement,
    Addresses,
    IssuerProfile,
    open_badge,
    recipient_identifier,
    status_entries,
)
from carepassport.domain.badges.status_list import LIST_SIZE, STRIDE
from carepassport.domain.training.completion import Completion

PROOF_SIZES = (1_000, 10_000)
PUBLICATION_SIZE = 10_000
ORIGIN = "https://college.example"
NORMALIZE = {"algorithm": "URDNA2015", "format": "application/n-quads"}


def sizes() -> list[int]:
    return [sized(n, minimum=20) for n in PROOF_SIZES]


def _documents(n: int, did: str) -> list[dict[str, Any]]:
    addresses = Addresses(ORIGIN)
    at = seed.START
    return [
        open_badge(
            credential_id=addresses.badge(uuid4()),
            issuer=IssuerProfile(did=did, name="Care College", url=ORIGIN),
            achievement=Achievement(
                id=addresses.achievement("IPAC"),
                name="Infection Prevention and Control",
                description="IPAC, a mandatory micro-credential renewed every 365 days.",
                criteria="Completed the course and passed its final quiz.",
            ),
            identifier=recipient_identifier(f"e{i}@example.org", secrets.token_hex(16)),
            valid_from=at,
            valid_until=at + timedelta(days=365),
            awarded=at,
            status=status_entries(addresses, 1, i * STRIDE % LIST_SIZE),
        )
        for i in range(n)
    ]


def _floor_hash(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    loader = {**NORMALIZE, "documentLoader": document_loader}
    config = {"@context": document["@context"], **options}
    return (
        hashlib.sha256(jsonld.normalize(config, loader).encode()).digest()
        + hashlib.sha256(jsonld.normalize(document, loader).encode()).digest()
    )


def measure_proofs(n: int) -> dict[str, Any]:
    """Sign and verify ``n`` credentials with the product and with the floor."""
    clock = SettableClock(seed.START - timedelta(days=1))
    keys = MemoryKeys()
    cp = bootstrap("memory://", clock=clock, mailer=InMemoryMailer(), keys=keys)
    try:
        seed.reference_data(cp)
        cp.issuer.set_profile("Care College", url=ORIGIN)
        key = cp.issuer.init_key()
        issuer = cp.issuer.find()
        assert issuer is not None
        signing = issuer.keys[0]
        method = issuer.verification_method(signing)
        signer = keys.signer(key.key_id)
        proofs = badge_tools(keys).proofs
        documents = _documents(n, issuer.did())
        _warm(proofs, documents[0], signer, method)

        started = now()
        signed = [proofs.sign(d, signer, method, seed.START) for d in documents]
        product_sign = now() - started

        private = Ed25519PrivateKey.generate()
        started = now()
        for document in documents:
            options = {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": "2026-04-06T13:00:00Z",
                "verificationMethod": method,
                "proofPurpose": "assertionMethod",
            }
            private.sign(_floor_hash(document, options))
        floor_sign = now() - started

        _own_status_list(cp, n)
        clock.set(seed.START + timedelta(days=1))
        started = now()
        reports = [cp.verifier.verify_document(d) for d in signed]
        product_verify = now() - started
        assert all(r.verified for r in reports), reports[0]

        public = private.public_key()
        started = now()
        for document in signed:
            unsecured = {k: v for k, v in document.items() if k != "proof"}
            options = {k: v for k, v in document["proof"].items() if k != "proofValue"}
            data = _floor_hash(unsecured, options)
            with contextlib.suppress(InvalidSignature):  # the check's cost, not its outcome
                public.verify(bytes(64), data)
        floor_verify = now() - started
    finally:
        cp.close()
    return {
        "store": "memory",
        "credentials": n,
        "sign_ms": round(product_sign / n * 1000, 3),
        "floor_sign_ms": round(floor_sign / n * 1000, 3),
        "sign_ratio": round(floor_sign / product_sign, 3),
        "verify_ms": round(product_verify / n * 1000, 3),
        "floor_verify_ms": round(floor_verify / n * 1000, 3),
        "verify_ratio": round(floor_verify / product_verify, 3),
    }


def _warm(proofs: Any, document: dict[str, Any], signer: Any, method: str) -> None:
    """Resolve the pinned contexts once, as a running service would have."""
    proofs.sign(document, signer, method, seed.START)


def _own_status_list(cp: Any, n: int) -> None:
    """A status list with the ``n`` entries the documents name handed out."""
    from carepassport.application.unit_of_work import UnitOfWork
    from carepassport.domain.badges.status_list import StatusList

    uow = UnitOfWork(cp.app)
    status_list = uow.add(StatusList.open(1, seed.START))
    for _ in range(n):
        status_list.allocate(uuid4(), seed.START)
    uow.commit()


def measure_publications(n: int, with_badges: bool) -> dict[str, Any]:
    """One tick publishing ``n`` completions on a fresh SQLite file."""
    with tempfile.TemporaryDirectory(prefix="cpbench-badges-") as tmp:
        clock = SettableClock(seed.START - timedelta(days=1))
        cp = bootstrap(
            f"sqlite:///{Path(tmp) / 'core.db'}", clock=clock, mailer=InMemoryMailer(),
            keys=MemoryKeys(),
        )  # fmt: skip
        try:
            seed.reference_data(cp)
            if with_badges:
                cp.issuer.set_profile("Care College", url=ORIGIN)
                cp.issuer.init_key()
            calendar = cp.app.business_calendar()
            passed = seed.START + timedelta(days=2)

            def aggregates() -> Any:
                for i in range(n):
                    yield from seed.employee(cp, i, seed.START)
                    registration = seed.registration(cp, i, seed.code_of(i), seed.START)
                    registration.succeed(passed, passed, passed)
                    yield registration
                    yield Completion.record(
                        registration, f"R{i}", passed, passed, 365, calendar, 0, passed
                    )

            seed.save_all(cp, aggregates())
            seed.catch_up(cp)
            clock.set(passed + timedelta(days=4))
            started = now()
            report = cp.scheduler.tick()
            seconds = now() - started
            published = sum(1 for p in report.processed if p.action == "publish_completion")
            badges = len(cp.badges.of_employee(seed.employee_id(0))) if with_badges else 0
        finally:
            cp.close()
    assert published == n, f"{published} of {n} published"
    assert badges == (1 if with_badges else 0)
    return {
        "store": "sqlite",
        "publications": n,
        "badges": with_badges,
        "seconds": round(seconds, 3),
        "per_publication_ms": round(seconds / n * 1000, 3),
    }


def measure() -> list[dict[str, Any]]:
    """Every badge measurement at this scale."""
    rows: list[dict[str, Any]] = [measure_proofs(n) for n in sizes()]
    n = sized(PUBLICATION_SIZE, minimum=20)
    without = measure_publications(n, with_badges=False)
    with_ = measure_publications(n, with_badges=True)
    rows.append(
        {
            **with_,
            "without_seconds": without["seconds"],
            "ratio_with_without": round(with_["seconds"] / without["seconds"], 3),
        }
    )
    return rows
