"""Badges on every store: issued at publication, verified, followed onto the status lists."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carepassport.adapters.badges import data_integrity
from carepassport.adapters.badges.baking import ImageBaking, bake_png
from carepassport.adapters.badges.images import BadgeImages
from carepassport.adapters.badges.multikey import did_key, public_multikey
from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from carepassport.domain.badges.credential import identity_hash, parse_xsd_datetime, xsd_datetime
from carepassport.domain.badges.status_list import bit, decode_bits
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFound
from carepassport.domain.values import CredentialCode, EmployeeId
from tests.conftest import EMPLOYEE_EMAIL, toronto
from tests.integration.helpers import complete, footprint

PASSED = toronto(2026, 4, 7, 14)


@pytest.fixture
def issuing(college: Services) -> Services:
    """The college configured as a did:web issuer with one key."""
    college.issuer.set_profile("Care College", url="https://college.example", email=COLLEGE_MAIL)
    college.issuer.init_key()
    return college


COLLEGE_MAIL = "badges@college.example"


@pytest.fixture
def badged(issuing: Services, clock: SettableClock, lms: InMemoryLms) -> Services:
    """E1 passed IPAC and it was published: one badge."""
    complete(issuing, clock, lms, "IPAC", PASSED)
    return issuing


def the_badge(services: Services) -> dict[str, Any]:
    (view,) = services.badges.of_employee("E1")
    document: dict[str, Any] = services.badges.badge(view.badge_id).document
    return document


def failed(report: Any) -> dict[str, str]:
    return {c.check: c.detail for c in report.checks if not c.passed}


def resigned(document: dict[str, Any], key: Ed25519PrivateKey, method: str) -> dict[str, Any]:
    moment = parse_xsd_datetime(data_integrity.proof_of(document)["created"])
    assert moment is not None
    return data_integrity.sign(document, key.sign, method, moment)


class TestIssuing:
    def test_publication_issues_an_active_badge_for_the_micro_credential(
        self, badged: Services
    ) -> None:
        (view,) = badged.badges.of_employee("E1")

        assert view.code == "IPAC"
        assert view.status == "active"
        assert view.kind == "micro-credential"
        assert view.url == f"https://college.example/badges/{view.badge_id}"

    def test_the_badge_is_valid_until_the_credential_expires(self, badged: Services) -> None:
        credential = badged.app.find(
            Credential, Credential.identity(EmployeeId("E1"), CredentialCode("IPAC"))
        )
        assert credential is not None

        document = the_badge(badged)

        assert credential.valid_until == date(2027, 4, 7)
        assert document["validUntil"] == "2027-04-08T04:00:00Z"
        assert document["awardedDate"] == xsd_datetime(credential.published_at)

    def test_the_badge_names_the_recipient_only_by_a_salted_hash(self, badged: Services) -> None:
        document = the_badge(badged)
        (identifier,) = document["credentialSubject"]["identifier"]

        assert EMPLOYEE_EMAIL not in json.dumps(document)
        assert identifier["identityHash"] == identity_hash(EMPLOYEE_EMAIL, identifier["salt"])
        assert identifier["hashed"] is True

    def test_the_badge_is_an_open_badge_3_micro_credential_signed_by_the_did_web_issuer(
        self, badged: Services
    ) -> None:
        document = the_badge(badged)

        assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
        assert document["issuer"]["id"] == "did:web:college.example"
        achievement = document["credentialSubject"]["achievement"]
        assert achievement["achievementType"] == "MicroCredential"
        assert achievement["name"] == "Infection Prevention and Control"
        assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
        assert document["proof"]["verificationMethod"].startswith("did:web:college.example#z6Mk")
        purposes = {entry["statusPurpose"] for entry in document["credentialStatus"]}
        assert purposes == {"revocation", "suspension"}

    def test_the_issued_badge_verifies_on_every_check(self, badged: Services) -> None:
        report = badged.verifier.verify_document(the_badge(badged))

        assert failed(report) == {}
        assert report.verified
        assert [c.check for c in report.checks] == [
            "format",
            "contexts",
            "structure",
            "schema",
            "proof",
            "issuer-key",
            "validity",
            "status",
        ]

    def test_issuing_for_missing_badges_again_issues_nothing(self, badged: Services) -> None:
        before = footprint(badged)

        assert badged.issuing.issue_missing() == []
        assert footprint(badged) == before
        assert len(badged.badges.of_employee("E1")) == 1

    def test_without_an_issuer_publication_goes_ahead_without_a_badge(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(college, clock, lms, "IPAC", PASSED)

        assert college.badges.of_employee("E1") == []
        assert college.statuses.of_employee("E1") is not None

    def test_issue_missing_badges_the_completions_published_before_the_issuer_was_set_up(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(college, clock, lms, "IPAC", PASSED)
        college.issuer.set_profile("Care College", url="https://college.example")
        college.issuer.init_key()

        issued = college.issuing.issue_missing()

        (view,) = college.badges.of_employee("E1")
        assert issued and str(issued[0]) == view.badge_id
        assert college.verifier.verify_document(the_badge(college)).verified

    def test_a_renewal_issues_a_new_badge_and_the_old_one_keeps_its_valid_until(
        self, badged: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        first = the_badge(badged)

        complete(badged, clock, lms, "IPAC", toronto(2027, 2, 1, 14))

        newest, previous = badged.badges.of_employee("E1")
        assert previous.url == first["id"]
        assert badged.badges.badge(previous.badge_id).document["validUntil"] == first["validUntil"]
        assert newest.valid_until is not None and newest.valid_until > str(previous.valid_until)


class TestStatus:
    def test_a_suspended_credential_suspends_its_badge_and_sets_its_suspension_bit(
        self, badged: Services
    ) -> None:
        document = the_badge(badged)

        badged.credentials.suspend("E1", "IPAC", "under investigation")

        assert badged.badges.of_employee("E1")[0].status == "suspended"
        assert failed(badged.verifier.verify_document(document)) == {
            "status": "the credential is suspended"
        }

    def test_a_reinstated_credential_clears_the_suspension_bit(self, badged: Services) -> None:
        badged.credentials.suspend("E1", "IPAC", "under investigation")

        badged.credentials.reinstate("E1", "IPAC", "cleared")

        assert badged.verifier.verify_document(the_badge(badged)).verified

    def test_a_revoked_credential_revokes_its_badge(self, badged: Services) -> None:
        badged.credentials.revoke("E1", "IPAC", "academic misconduct")

        assert badged.badges.of_employee("E1")[0].status == "revoked"
        assert failed(badged.verifier.verify_document(the_badge(badged))) == {
            "status": "the credential is revoked"
        }

    def test_an_expired_badge_fails_on_valid_until(
        self, badged: Services, clock: SettableClock
    ) -> None:
        clock.set(toronto(2027, 4, 8, 0, 1))

        assert badged.badges.of_employee("E1")[0].status == "expired"
        assert set(failed(badged.verifier.verify_document(the_badge(badged)))) == {"validity"}

    def test_the_status_list_credential_is_signed_and_carries_the_suspension_bit(
        self, badged: Services
    ) -> None:
        document = the_badge(badged)
        badged.credentials.suspend("E1", "IPAC", "under investigation")
        suspension = next(
            e for e in document["credentialStatus"] if e["statusPurpose"] == "suspension"
        )

        published = badged.badges.status_list(1, "suspension")

        assert published["id"] == suspension["statusListCredential"]
        assert badged.verifier.verify_document(published).verified
        bits = decode_bits(published["credentialSubject"]["encodedList"])
        assert bit(bits, int(suspension["statusListIndex"]))


class TestRefusals:
    def test_a_changed_claim_fails_the_proof_and_records_nothing(self, badged: Services) -> None:
        document = the_badge(badged)
        document["credentialSubject"]["achievement"]["name"] = "Advanced Nursing"
        before = footprint(badged)

        report = badged.verifier.verify_document(document)

        assert set(failed(report)) == {"proof"}
        assert footprint(badged) == before

    def test_a_changed_valid_from_fails_the_proof(self, badged: Services) -> None:
        document = the_badge(badged)
        document["validFrom"] = "2026-01-01T00:00:00Z"

        assert "proof" in failed(badged.verifier.verify_document(document))

    def test_a_proof_by_another_key_under_the_issuers_key_id_fails(self, badged: Services) -> None:
        document = the_badge(badged)
        forged = resigned(
            document, Ed25519PrivateKey.generate(), document["proof"]["verificationMethod"]
        )

        assert "proof" in failed(badged.verifier.verify_document(forged))

    def test_a_proof_naming_a_key_the_issuer_never_had_fails_the_issuer_key_check(
        self, badged: Services
    ) -> None:
        document = the_badge(badged)
        key = Ed25519PrivateKey.generate()
        method = f"did:web:college.example#{public_multikey(key.public_key())}"

        report = badged.verifier.verify_document(resigned(document, key, method))

        assert "not one of this issuer's keys" in failed(report)["issuer-key"]

    def test_an_unsupported_cryptosuite_is_refused(self, badged: Services) -> None:
        document = the_badge(badged)
        document["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"

        assert (
            "unsupported cryptosuite" in failed(badged.verifier.verify_document(document))["proof"]
        )

    def test_a_context_that_is_not_pinned_is_refused_and_not_fetched(
        self, badged: Services
    ) -> None:
        document = the_badge(badged)
        document["@context"].append("https://evil.example/context.json")

        report = badged.verifier.verify_document(document)

        assert "not pinned" in failed(report)["contexts"]


class TestKeys:
    def test_a_badge_signed_with_a_retired_key_still_verifies(self, badged: Services) -> None:
        document = the_badge(badged)

        badged.issuer.rotate_key()

        assert failed(badged.verifier.verify_document(document)) == {}

    def test_new_badges_are_signed_with_the_new_key(
        self, badged: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        new = badged.issuer.rotate_key()
        complete(badged, clock, lms, "WHMIS", PASSED + timedelta(days=10))

        newest = badged.badges.of_employee("E1")[0]
        assert newest.key_id == new.key_id == "key-2"

    def test_a_credential_dated_after_its_keys_retirement_fails_the_issuer_key_check(
        self, badged: Services, clock: SettableClock
    ) -> None:
        document = the_badge(badged)
        badged.issuer.rotate_key()
        (old,) = [k for k in badged.issuer.view().keys if k.key_id == "key-1"]
        assert old.retired_at is not None
        later = dict(document, validFrom="2030-01-01T00:00:00Z")
        signer = badged.issuing._tools.keys.signer("key-1")  # the retired key, still on disk
        forged = data_integrity.sign(
            later, signer, document["proof"]["verificationMethod"], clock.now()
        )
        clock.set(toronto(2030, 1, 2, 12))

        report = badged.verifier.verify_document(forged)

        assert "was not valid at validFrom" in failed(report)["issuer-key"]

    def test_keys_init_twice_is_refused(self, issuing: Services) -> None:
        with pytest.raises(InvalidTransition, match="rotate"):
            issuing.issuer.init_key()

    def test_the_did_document_lists_every_key(self, badged: Services) -> None:
        badged.issuer.rotate_key()

        document = badged.issuer.did_document()

        assert document["id"] == "did:web:college.example"
        assert len(document["verificationMethod"]) == 2
        assert document["assertionMethod"] == [m["id"] for m in document["verificationMethod"]]


class TestForeign:
    @staticmethod
    def foreign(services: Services, key: Ed25519PrivateKey, did: str) -> dict[str, Any]:
        document = dict(the_badge(services))
        document.pop("proof")
        document.pop("credentialStatus")
        document["issuer"] = {"id": did, "type": ["Profile"], "name": "Other College"}
        created = toronto(2026, 4, 8, 9)
        document["validFrom"] = "2026-04-08T13:00:00Z"
        multibase = public_multikey(key.public_key())
        return data_integrity.sign(document, key.sign, f"{did}#{multibase}", created)

    def test_a_did_key_credential_from_another_issuer_verifies(self, badged: Services) -> None:
        key = Ed25519PrivateKey.generate()
        document = self.foreign(badged, key, did_key(public_multikey(key.public_key())))

        assert badged.verifier.verify_document(document).verified

    def test_a_did_web_credential_verifies_with_its_supplied_did_document(
        self, badged: Services
    ) -> None:
        key = Ed25519PrivateKey.generate()
        multibase = public_multikey(key.public_key())
        document = self.foreign(badged, key, "did:web:other.example")
        did_document = {
            "id": "did:web:other.example",
            "verificationMethod": [
                {"id": f"did:web:other.example#{multibase}", "publicKeyMultibase": multibase}
            ],
            "assertionMethod": [f"did:web:other.example#{multibase}"],
        }

        assert not badged.verifier.verify_document(document).verified
        assert badged.verifier.verify_document(document, [did_document]).verified

    def test_a_foreign_did_web_credential_without_its_document_fails_the_issuer_key_check(
        self, badged: Services
    ) -> None:
        key = Ed25519PrivateKey.generate()
        document = self.foreign(badged, key, "did:web:other.example")

        assert (
            "nothing is fetched" in failed(badged.verifier.verify_document(document))["issuer-key"]
        )


class TestDidKeyIssuer:
    def test_an_issuer_without_a_url_signs_as_did_key(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        college.issuer.set_profile("Care College")
        key = college.issuer.init_key()
        complete(college, clock, lms, "IPAC", PASSED)

        document = the_badge(college)

        assert document["issuer"]["id"] == f"did:key:{key.public_key_multibase}"
        assert document["id"].startswith("urn:uuid:")
        assert college.verifier.verify_document(document).verified

    def test_a_badge_of_an_unknown_id_is_not_found(self, issuing: Services) -> None:
        with pytest.raises(NotFound):
            issuing.badges.badge("8b0f6a0e-5f43-4c1d-9a43-2f0f7e1d3b9a")


class TestPathways:
    @pytest.fixture
    def stacked(self, issuing: Services, clock: SettableClock, lms: InMemoryLms) -> Services:
        """A pathway of IPAC and WHMIS; E1 passed both."""
        issuing.stacking.add_pathway("PSW-SAFETY", ["IPAC", "WHMIS"], "PSW safety pathway")
        complete(issuing, clock, lms, "IPAC", PASSED)
        complete(issuing, clock, lms, "WHMIS", PASSED + timedelta(days=10))
        return issuing

    @staticmethod
    def pathway_badge(services: Services) -> Any:
        (view,) = [b for b in services.badges.of_employee("E1") if b.kind == "pathway"]
        return view

    def test_holding_every_component_issues_the_pathway_credential(self, stacked: Services) -> None:
        view = self.pathway_badge(stacked)
        document = stacked.badges.badge(view.badge_id).document

        assert view.code == "PSW-SAFETY"
        assert document["name"] == "PSW safety pathway"
        assert document["credentialSubject"]["achievement"]["achievementType"] == "ext:Pathway"
        components = {b.url for b in stacked.badges.of_employee("E1") if b.kind != "pathway"}
        assert {e["id"] for e in document["evidence"]} == components
        assert stacked.verifier.verify_document(document).verified

    def test_the_pathway_is_valid_until_its_first_component_expires(
        self, stacked: Services
    ) -> None:
        views = stacked.badges.of_employee("E1")
        first_expiry = min(v.valid_until for v in views if v.kind != "pathway" and v.valid_until)

        assert self.pathway_badge(stacked).valid_until == first_expiry

    def test_one_component_is_not_enough(
        self, issuing: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        issuing.stacking.add_pathway("PSW-SAFETY", ["IPAC", "WHMIS"])
        complete(issuing, clock, lms, "IPAC", PASSED)

        assert [b.kind for b in issuing.badges.of_employee("E1")] == ["micro-credential"]

    def test_a_suspended_component_suspends_the_pathway_until_it_is_reinstated(
        self, stacked: Services
    ) -> None:
        stacked.credentials.suspend("E1", "IPAC", "under investigation")
        assert self.pathway_badge(stacked).status == "suspended"

        stacked.credentials.reinstate("E1", "IPAC", "cleared")
        assert self.pathway_badge(stacked).status == "active"

    def test_a_revoked_component_suspends_the_pathway(self, stacked: Services) -> None:
        stacked.credentials.revoke("E1", "IPAC", "misconduct")

        view = self.pathway_badge(stacked)
        assert view.status == "suspended"
        document = stacked.badges.badge(view.badge_id).document
        assert failed(stacked.verifier.verify_document(document)) == {
            "status": "the credential is suspended"
        }

    def test_adding_a_pathway_issues_it_to_those_who_already_hold_every_component(
        self, issuing: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(issuing, clock, lms, "IPAC", PASSED)
        complete(issuing, clock, lms, "WHMIS", PASSED + timedelta(days=10))

        added = issuing.stacking.add_pathway("PSW-SAFETY", ["IPAC", "WHMIS"])

        assert added.issued == (self.pathway_badge(issuing).badge_id,)

    def test_a_pathway_of_one_micro_credential_is_refused(self, issuing: Services) -> None:
        with pytest.raises(InvalidValue, match="at least two"):
            issuing.stacking.add_pathway("SOLO", ["IPAC", "IPAC"])

    def test_status_shows_the_badges(self, stacked: Services) -> None:
        kinds = [b.kind for b in stacked.statuses.of_employee("E1").badges]

        assert sorted(kinds) == ["micro-credential", "micro-credential", "pathway"]


class TestRecognition:
    @staticmethod
    def foreign_png(services: Services) -> tuple[bytes, dict[str, Any]]:
        key = Ed25519PrivateKey.generate()
        did = did_key(public_multikey(key.public_key()))
        document = TestForeign.foreign(services, key, did)
        image = BadgeImages().png("Other College IPAC", "IPAC", ("#333333", "#ffffff"))
        return bake_png(image, json.dumps(document)), document

    def test_a_verified_foreign_credential_is_recorded_and_shown_as_recognised(
        self, badged: Services
    ) -> None:
        png, document = self.foreign_png(badged)

        recognised = badged.stacking.recognise(png, "E1")

        assert recognised.issuer == document["issuer"]["id"]
        (held,) = [b for b in badged.statuses.of_employee("E1").badges if b.kind == "recognised"]
        assert held.status == "recognised"
        assert "Other College" in held.issuer

    def test_a_foreign_credential_counts_as_the_catalogue_entry_that_accepts_it(
        self, badged: Services
    ) -> None:
        png, document = self.foreign_png(badged)
        achievement = document["credentialSubject"]["achievement"]["id"]
        badged.stacking.accept("IPAC", achievement)

        assert badged.stacking.recognise(png, "E1").counts_as == "IPAC"

    def test_the_same_foreign_credential_twice_is_refused(self, badged: Services) -> None:
        png, _ = self.foreign_png(badged)
        badged.stacking.recognise(png, "E1")
        before = footprint(badged)

        with pytest.raises(AlreadyExists):
            badged.stacking.recognise(png, "E1")
        assert footprint(badged) == before

    def test_a_tampered_foreign_credential_is_refused_and_records_nothing(
        self, badged: Services
    ) -> None:
        _, document = self.foreign_png(badged)
        document["name"] = "Something else"
        before = footprint(badged)

        with pytest.raises(InvalidValue, match="proof"):
            badged.stacking.recognise(json.dumps(document).encode(), "E1")
        assert footprint(badged) == before

    def test_our_own_badge_is_not_recognised(self, badged: Services) -> None:
        with pytest.raises(InvalidValue, match="own"):
            badged.stacking.recognise(json.dumps(the_badge(badged)).encode(), "E1")


class TestEntryImages:
    def test_a_badge_is_baked_into_its_entrys_own_png(self, badged: Services) -> None:
        own = BadgeImages().png("Our own IPAC art", "IPAC", ("#112233", "#ffeedd"))
        badged.issuer.set_entry_image("IPAC", own)
        (view,) = badged.badges.of_employee("E1")

        baked = badged.badges.render(view.badge_id, "png").content

        assert ImageBaking().unbake(baked) == the_badge(badged)
        assert baked.startswith(own[: own.index(b"IEND") - 4])  # its chunks, byte for byte

    def test_a_badge_is_baked_into_its_entrys_own_svg_and_drawn_again_after(
        self, badged: Services
    ) -> None:
        own = (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<title>ours</title></svg>"
        )
        badged.issuer.set_entry_image("IPAC", own)
        (view,) = badged.badges.of_employee("E1")

        svg = badged.badges.render(view.badge_id, "svg").content
        assert b"<title>ours</title>" in svg
        assert ImageBaking().unbake(svg) == the_badge(badged)

        badged.issuer.set_entry_image("IPAC", None)
        assert b"<title>ours</title>" not in badged.badges.render(view.badge_id, "svg").content

    @pytest.mark.parametrize(
        "image",
        [
            b"\x89PNG\r\n\x1a\nnot really a png",
            b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
            b"GIF89a",
        ],
        ids=["corrupt-png", "svg-with-entity", "gif"],
    )
    def test_an_image_that_cannot_carry_a_badge_is_refused_and_nothing_recorded(
        self, badged: Services, image: bytes
    ) -> None:
        before = footprint(badged)

        with pytest.raises(InvalidValue):
            badged.issuer.set_entry_image("IPAC", image)

        assert footprint(badged) == before

    def test_an_image_for_an_unknown_entry_is_refused(self, badged: Services) -> None:
        with pytest.raises(NotFound):
            badged.issuer.set_entry_image(
                "NOPE", BadgeImages().png("x", "NOPE", ("#000000", "#ffffff"))
            )
