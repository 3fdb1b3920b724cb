"""Canonicalizing by shape gives, for every document, the text ``pyld`` gives it alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carepassport.adapters.badges import data_integrity
from carepassport.adapters.badges.data_integrity import canonicalize_with_pyld
from carepassport.adapters.badges.documents import pinned_contexts
from carepassport.adapters.badges.shapes import SAFE_IRI, SLOT, ShapeCanonicalizer
from carepassport.domain.badges.credential import (
    Achievement,
    Addresses,
    IssuerProfile,
    open_badge,
    recipient_identifier,
    status_entries,
)

ORIGIN = "https://college.example"
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]

# Strings that are hard for a serializer or an expander: quotes, escapes, newlines, non-Latin
# text, IRIs of every kind (absolute, relative, compact, blank, keyword-like, a slot itself).
awkward = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            'a "quoted" word',
            "back\\slash",
            "line\nbreak\r\ttab",
            "Prévention et contrôle des infections",
            "https://college.example/x",
            "http://example.org/a#b",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "urn:uuid:5b0c2c7e-7a4f-4e0a-9d1b-1c2d3e4f5a6b",
            "relative/path",
            "xsd:dateTime",
            "schema:name",
            "_:b0",
            "@none",
            f"{SLOT}0",
            "https://has space.example",
            "MicroCredential",
        ]
    ),
)
# IRIs expansion leaves alone (the shapes serve those), and sometimes anything at all.
safe_iris = st.one_of(
    st.sampled_from(
        [
            "https://college.example/x",
            "did:web:college.example",
            "urn:uuid:5b0c2c7e-7a4f-4e0a-9d1b-1c2d3e4f5a6b",
            "data:image/png;base64,iVBORw0KGgo=",
        ]
    ),
    st.builds(
        lambda tail: f"https://college.example/{tail}",
        st.from_regex(r"[a-z0-9/#%.-]{0,12}", fullmatch=True),
    ),
)
iris = st.one_of(safe_iris, awkward)


def pyld_canonical(document: dict[str, Any]) -> str | None:
    try:
        return canonicalize_with_pyld(document)
    except data_integrity.ProofError:
        return None


def shapes_canonical(canonicalizer: ShapeCanonicalizer, document: dict[str, Any]) -> str | None:
    try:
        return canonicalizer(document)
    except data_integrity.ProofError:
        return None


def fresh() -> ShapeCanonicalizer:
    return ShapeCanonicalizer(data_integrity._to_rdf, canonicalize_with_pyld)


def recording() -> tuple[ShapeCanonicalizer, list[dict[str, Any]]]:
    """A canonicalizer, and the documents it hands to ``pyld`` alone."""
    fallbacks: list[dict[str, Any]] = []

    def fallback(document: dict[str, Any]) -> str:
        fallbacks.append(document)
        return canonicalize_with_pyld(document)

    return ShapeCanonicalizer(data_integrity._to_rdf, fallback), fallbacks


@st.composite
def credentials(draw: st.DrawFn, iris: st.SearchStrategy[str] = iris) -> dict[str, Any]:
    """Credentials as issuing builds them, with every optional part and awkward strings."""
    addresses = Addresses(draw(st.sampled_from([ORIGIN, "https://other.example/base"])))
    at = datetime(2026, 4, 6, 13, 0, tzinfo=UTC)
    evidence = [
        {"id": draw(iris), "type": ["Evidence"], "name": draw(awkward)}
        for _ in range(draw(st.integers(0, 2)))
    ]
    return open_badge(
        credential_id=draw(st.sampled_from([addresses.badge(draw(st.uuids())), draw(iris)])),
        issuer=IssuerProfile(
            did=draw(st.sampled_from(["did:web:college.example", draw(iris)])),
            name=draw(awkward),
            url=draw(st.sampled_from([ORIGIN, "", draw(awkward)])),
            email=draw(st.sampled_from(["", "registrar@college.example", draw(awkward)])),
            image=draw(st.sampled_from(["", "data:image/png;base64,iVBORw0KGgo=", draw(iris)])),
        ),
        achievement=Achievement(
            id=draw(st.sampled_from([addresses.achievement("IPAC"), draw(iris)])),
            name=draw(awkward),
            description=draw(awkward),
            criteria=draw(awkward),
            achievement_type=draw(st.sampled_from(["MicroCredential", draw(awkward)])),
            image=draw(st.sampled_from(["", f"{ORIGIN}/images/ipac.png", draw(iris)])),
        ),
        identifier=recipient_identifier(draw(awkward), draw(st.text(max_size=8))),
        valid_from=at,
        valid_until=draw(st.sampled_from([None, at + timedelta(days=365)])),
        awarded=at,
        status=status_entries(addresses, draw(st.integers(1, 3)), draw(st.integers(0, 131071))),
        evidence=evidence,
        recipient_name=draw(st.sampled_from(["", draw(awkward)])),
        image=draw(st.sampled_from(["", draw(iris)])),
    )


def mutations(document: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    """The document edited as a forger or a careless issuer might."""
    edited = json.loads(json.dumps(document))
    choice = draw(st.integers(0, 6))
    if choice == 1:
        edited["credentialSubject"]["achievement"]["id"] = edited["id"]  # one id, two nodes
    elif choice == 2:
        edited["name"] = [edited["name"], edited["name"], draw(awkward)]  # repeated values
    elif choice == 3:
        edited[draw(st.sampled_from(["unknownTerm", "awardedDate", "description"]))] = draw(
            st.one_of(awkward, st.integers(), st.floats(allow_nan=False), st.booleans())
        )
    elif choice == 4:
        edited["credentialSubject"]["type"] = draw(
            st.sampled_from([["AchievementSubject"], ["Profile"], "AchievementSubject", []])
        )
    elif choice == 5:
        edited["@context"] = draw(st.sampled_from([CONTEXTS[:1], CONTEXTS, [*CONTEXTS, {}]]))
    elif choice == 6:
        edited["evidence"] = [{"type": ["Evidence"], "id": draw(iris), "name": draw(awkward)}]
    return edited


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_credential_canonicalizes_as_pyld_canonicalizes_it(data: st.DataObject) -> None:
    canonicalizer = fresh()
    template = data.draw(credentials())
    document = mutations(data.draw(credentials()), data.draw)
    # The first document sets up its shape; the second is canonicalized from the shapes.
    assert shapes_canonical(canonicalizer, template) == pyld_canonical(template)
    assert shapes_canonical(canonicalizer, document) == pyld_canonical(document)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=credentials(iris=safe_iris))
def test_a_credential_with_plain_iris_is_canonicalized_from_its_shape(
    document: dict[str, Any],
) -> None:
    canonicalizer, fallbacks = recording()
    assert canonicalizer(document) == canonicalize_with_pyld(document)
    assert fallbacks == []


@settings(max_examples=60, deadline=None)
@given(created=st.datetimes(timezones=st.just(UTC)), method=awkward, purpose=awkward)
def test_a_proof_configuration_canonicalizes_as_pyld_canonicalizes_it(
    created: datetime, method: str, purpose: str
) -> None:
    canonicalizer = fresh()
    config = {
        "@context": CONTEXTS,
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": data_integrity.timestamp(created),
        "verificationMethod": method,
        "proofPurpose": purpose,
    }
    first = {**config, "verificationMethod": "did:web:college.example#z6Mk", "created": "x"}
    assert canonicalizer(first) == canonicalize_with_pyld(first)
    assert shapes_canonical(canonicalizer, config) == pyld_canonical(config)


def test_documents_of_one_shape_are_expanded_once() -> None:
    canonicalizer = fresh()
    documents = [
        open_badge(
            credential_id=Addresses(ORIGIN).badge(f"{i:032x}"),
            issuer=IssuerProfile(did="did:web:college.example", name="Care College", url=ORIGIN),
            achievement=Achievement(
                id=Addresses(ORIGIN).achievement("IPAC"),
                name=f"IPAC {i}",
                description="d",
                criteria="c",
            ),
            identifier=recipient_identifier(f"e{i}@example.org", "salt"),
            valid_from=datetime(2026, 4, 6, tzinfo=UTC),
            valid_until=datetime(2027, 4, 6, tzinfo=UTC),
            awarded=datetime(2026, 4, 6, tzinfo=UTC),
            status=status_entries(Addresses(ORIGIN), 1, i),
        )
        for i in range(5)
    ]
    canonical = [canonicalizer(document) for document in documents]
    assert canonicalizer.shapes_expanded == 1
    assert canonical == [canonicalize_with_pyld(document) for document in documents]


def test_a_json_literal_shape_goes_to_pyld_every_time() -> None:
    canonicalizer, calls = recording()
    document = {
        "@context": [{"data": {"@id": "https://example.org/data", "@type": "@json"}}],
        "@id": "https://example.org/thing",
        "data": {"text": "some value"},
    }
    assert canonicalizer(document) == canonicalize_with_pyld(document)
    assert canonicalizer(document) == canonicalize_with_pyld(document)
    assert len(calls) == 2


def test_an_unpinned_context_is_refused_by_name() -> None:
    document = {"@context": ["https://example.org/unpinned.jsonld"], "name": "x"}
    with pytest.raises(data_integrity.ProofError) as refused:
        fresh()(document)
    assert refused.value.check == "contexts"


def test_no_pinned_context_defines_a_scheme_the_shapes_pass_through_as_a_term() -> None:
    """Expansion leaves ``https:…``, ``did:…``, ``urn:…`` alone only while no context defines
    ``https``, ``did`` or ``urn`` as a term (it would then be a compact IRI)."""
    from carepassport.adapters.badges.documents import context

    defined: set[str] = set()

    def terms(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context" and isinstance(value, dict):
                    defined.update(value)
                terms(value)
        elif isinstance(node, list):
            for item in node:
                terms(item)

    for url in pinned_contexts():
        terms(context(url))
    assert defined, "no term definitions read"
    for scheme in ("http", "https", "did", "urn", "data"):
        assert scheme not in defined
        assert SAFE_IRI.match(f"{scheme}:x")


def test_a_proof_purpose_term_is_kept_in_a_shape_of_its_own_not_sent_to_pyld() -> None:
    canonicalizer, fallbacks = recording()
    configs = [
        {
            "@context": CONTEXTS,
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": f"2026-04-0{day}T13:00:00Z",
            "verificationMethod": "did:web:college.example#z6MkhaXgBZDvotDkL5257faiztiGiC2Qt",
            "proofPurpose": "assertionMethod",
        }
        for day in range(1, 4)
    ]
    assert [canonicalizer(c) for c in configs] == [canonicalize_with_pyld(c) for c in configs]
    assert fallbacks == []
    assert canonicalizer.shapes_expanded == 2  # the shape with slots, then the one it keeps


def test_an_id_pyld_trips_over_is_refused_as_invalid_json_ld() -> None:
    document = {
        "@context": CONTEXTS,
        "id": "https://college.example/b",
        "type": ["VerifiableCredential"],
        "issuer": {"id": "@A", "name": "x"},  # pyld raises TypeError on this one
    }
    with pytest.raises(data_integrity.ProofError) as refused:
        fresh()(document)
    assert refused.value.check == "canonicalization"
