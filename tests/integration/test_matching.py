"""Matching on every store: vacancies posted under Ontario's rules, matched against candidates
who opted in, kept up to date when a candidate's credentials change."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carepassport.adapters.badges import data_integrity
from carepassport.adapters.badges.multikey import did_key, public_multikey
from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from carepassport.domain.errors import InvalidTransition, InvalidValue, NotFound
from carepassport.domain.matching.vacancy import DISCLOSURE, MatchBook
from tests.conftest import APPROVER, EMPLOYEE_EMAIL, toronto
from tests.integration.helpers import complete, footprint

PASSED = toronto(2026, 4, 7, 14)
STARTS = date(2026, 9, 1)


@pytest.fixture
def market(college: Services) -> Services:
    """Skills, what IPAC and FIRE teach, and the home college's IPAC intake in June."""
    college.matching.add_curated_skills()
    college.matching.teach("IPAC", ["INFECTION-CONTROL", "HAND-HYGIENE", "PPE"])
    college.matching.teach("FIRE", ["FIRST-AID"])
    college.matching.add_intake("FIRE", date(2026, 6, 1))
    return college


def post(services: Services, **changes: object) -> str:
    fields: dict[str, object] = {
        "title": "Personal support worker, nights",
        "noc": "33102",
        "region": "Toronto",
        "starts": STARTS,
        "requires": ["IPAC"],
        "skills": {"INFECTION-CONTROL": 5, "DEMENTIA-CARE": 3},
        "pay_min": "45000",
        "pay_max": "52000",
        "existing": True,
        **changes,
    }
    return services.matching.post("SUNNY", **fields).vacancy_id  # type: ignore[arg-type]


class TestPosting:
    def test_a_posting_carries_the_automated_matching_disclosure(self, market: Services) -> None:
        vacancy = market.matching.vacancy(post(market))

        assert vacancy.disclosure == DISCLOSURE
        assert (vacancy.state, vacancy.existing, vacancy.requires) == ("open", True, ["IPAC"])

    @pytest.mark.parametrize(
        ("changes", "named"),
        [
            ({"pay_min": "40000", "pay_max": "95000"}, "spreads over"),
            ({"pay_min": "60000", "pay_max": "50000"}, "runs backwards"),
            ({"title": "PSW, Canadian experience required"}, "Canadian experience"),
            ({"starts": date(2026, 3, 1)}, "in the past"),
            ({"skills": {"PPE": 6}}, "from 1 to 5"),
            ({"noc": "3310"}, "five digits"),
        ],
        ids=["spread", "backwards", "canadian-experience", "past-start", "weight", "noc"],
    )
    def test_a_posting_against_the_rules_is_refused_and_nothing_recorded(
        self, market: Services, changes: dict[str, object], named: str
    ) -> None:
        before = footprint(market)

        with pytest.raises(InvalidValue, match=named):
            post(market, **changes)

        assert footprint(market) == before

    def test_a_spread_over_50000_is_allowed_when_the_top_is_over_200000(
        self, market: Services
    ) -> None:
        vacancy = market.matching.vacancy(post(market, pay_min="150000", pay_max="260000"))
        assert vacancy.pay_max == 260000

    @pytest.mark.parametrize(
        "changes",
        [{"requires": ["NOPE"]}, {"skills": {"UNKNOWN-SKILL": 2}}],
        ids=["code", "skill"],
    )
    def test_unknown_codes_are_refused(self, market: Services, changes: dict[str, object]) -> None:
        with pytest.raises(NotFound):
            post(market, **changes)


class TestMatching:
    def test_an_opted_in_employee_holding_the_requirement_is_eligible_and_explained(
        self, market: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(market, clock, lms, "IPAC", PASSED)
        market.matching.opt_in("E1", region="Toronto")
        vacancy_id = post(market)

        (found,) = market.matching.matches(vacancy_id)

        assert (found.candidate_id, found.outcome) == ("E1", "eligible")
        assert found.requirements[0]["state"] == "held"
        assert found.requirements[0]["source"] == "published"
        # held 1/1; skills: INFECTION-CONTROL (5) taught by IPAC, DEMENTIA-CARE (3) missing
        assert (found.score, found.stars) == (81, 4)
        assert found.algorithm == "carepassport-match/1"

    def test_a_candidate_who_did_not_opt_in_is_not_matched(
        self, market: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(market, clock, lms, "IPAC", PASSED)

        assert market.matching.matches(post(market)) == []

    def test_a_publication_matches_the_candidate_again(
        self, market: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        clock.set(PASSED - timedelta(hours=4))
        market.matching.opt_in("E1", region="Toronto")
        vacancy_id = post(market, requires=["IPAC"])
        assert market.matching.matches(vacancy_id) == []

        complete(market, clock, lms, "IPAC", PASSED)  # published six days later

        assert [m.candidate_id for m in market.matching.matches(vacancy_id)] == ["E1"]

    def test_a_revocation_withdraws_the_match_and_records_why(
        self, market: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(market, clock, lms, "IPAC", PASSED)
        market.matching.opt_in("E1", region="Toronto")
        vacancy_id = post(market)

        market.credentials.revoke("E1", "IPAC", reason="misconduct")

        assert market.matching.matches(vacancy_id) == []
        book = market.app.find(MatchBook, MatchBook.identity(UUID(vacancy_id)))
        assert book is not None and "E1" not in book.results

    def test_an_expiry_matches_the_candidate_again_and_labels_the_requirement_expired(
        self, market: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(market, clock, lms, "IPAC", PASSED)  # valid until 2027-04-07
        market.matching.add_intake("IPAC", date(2027, 5, 3))
        market.matching.opt_in("E1", region="Toronto")
        vacancy_id = post(market, starts=date(2027, 6, 1))
        (before,) = market.matching.matches(vacancy_id, include_trainable=True)

        clock.set(toronto(2027, 4, 8, 1, 0))
        market.scheduler.tick()

        (after,) = market.matching.matches(vacancy_id, include_trainable=True)
        assert (before.outcome, before.requirements[0]["state"]) == (
            "trainable",
            "expires_before_start",
        )
        assert (after.outcome, after.requirements[0]["state"]) == ("trainable", "expired")

    def test_a_missing_requirement_an_approved_college_trains_in_time_is_trainable(
        self, market: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(market, clock, lms, "IPAC", PASSED)
        market.matching.opt_in("E1", region="Toronto")
        vacancy_id = post(market, requires=["IPAC", "FIRE"])

        assert market.matching.matches(vacancy_id) == []
        (found,) = market.matching.matches(vacancy_id, include_trainable=True)
        assert found.outcome == "trainable"
        assert found.plan == [
            {
                "code": "FIRE",
                "college_id": "HOME",
                "starts": "2026-06-01",
                "finishes": "2026-06-15",
                "fee": "60.00",
            }
        ]

    def test_opting_out_withdraws_every_match(
        self, market: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(market, clock, lms, "IPAC", PASSED)
        market.matching.opt_in("E1", region="Toronto")
        vacancy_id = post(market)

        market.matching.opt_out("E1")

        assert market.matching.matches(vacancy_id) == []
        assert market.matching.matches_for("E1") == []

    def test_a_candidate_elsewhere_who_will_not_relocate_is_not_matched(
        self, market: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(market, clock, lms, "IPAC", PASSED)
        market.matching.opt_in("E1", region="Ottawa")

        assert market.matching.matches(post(market)) == []

    def test_a_job_seeker_with_declared_skills_is_matched_but_never_meets_a_requirement(
        self, market: Services
    ) -> None:
        market.matching.add_seeker("S1", "sam@example.org", "Sam Lee", "Toronto")
        market.matching.opt_in("S1")
        market.matching.declare("S1", ["INFECTION-CONTROL", "DEMENTIA-CARE"])
        vacancy_id = post(market, requires=["FIRE"])

        (found,) = market.matching.matches(vacancy_id, include_trainable=True)

        assert found.outcome == "trainable"
        assert found.requirements[0]["state"] == "missing"
        assert {s["source"] for s in found.skills} == {"declared"}
        assert found.score == 25  # 0 of 1 held; skills at half credit: (0 + 0.5) / 2

    def test_the_same_result_again_records_no_event(
        self, market: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(market, clock, lms, "IPAC", PASSED)
        market.matching.opt_in("E1", region="Toronto")
        post(market)
        before = footprint(market)

        market.matching.opt_in("E1", region="Toronto")
        market.matching.teach("IPAC", ["INFECTION-CONTROL", "HAND-HYGIENE", "PPE"])

        assert footprint(market) == before


class TestBadgeAlignment:
    def test_a_badge_aligns_to_the_skills_with_a_uri_its_micro_credential_teaches(
        self, market: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        market.issuer.set_profile("Care College", url="https://college.example")
        market.issuer.init_key()
        uri = "https://skills.example/infection-control"
        market.matching.add_skill("INFECTION-CONTROL", "apply infection control measures", uri)
        complete(market, clock, lms, "IPAC", PASSED)
        (view,) = market.badges.of_employee("E1")
        document = market.badges.badge(view.badge_id).document

        alignment = document["credentialSubject"]["achievement"]["alignment"]

        assert alignment == [
            {
                "type": ["Alignment"],
                "targetName": "apply infection control measures",
                "targetUrl": uri,
                "targetCode": "INFECTION-CONTROL",
            }
        ]  # HAND-HYGIENE and PPE have no URI, so no alignment
        assert market.verifier.verify_document(document).verified


def foreign_badge(market: Services, clock: SettableClock) -> tuple[dict[str, Any], str]:
    """Another college's credential (built from E1's own badge, re-signed with its key), and
    that college's DID."""
    (view,) = market.badges.of_employee("E1")
    document = dict(market.badges.badge(view.badge_id).document)
    for name in ("proof", "credentialStatus"):
        document.pop(name)
    key = Ed25519PrivateKey.generate()
    multibase = public_multikey(key.public_key())
    did = did_key(multibase)
    document["issuer"] = {"id": did, "type": ["Profile"], "name": "Other College"}
    return data_integrity.sign(document, key.sign, f"{did}#{multibase}", clock.now()), did


class TestRecognisedBadges:
    @pytest.fixture
    def issuing(self, market: Services, clock: SettableClock, lms: InMemoryLms) -> Services:
        """Badges are issued; E1 holds IPAC (its badge is the foreign one's template)."""
        market.issuer.set_profile("Care College", url="https://college.example")
        market.issuer.init_key()
        complete(market, clock, lms, "IPAC", PASSED)
        return market

    def test_a_recognised_foreign_badge_meets_a_requirement_and_says_so(
        self, issuing: Services, clock: SettableClock
    ) -> None:
        issuing.matching.opt_in("E1", region="Toronto")
        vacancy_id = post(issuing, requires=["IPAC", "FIRE"])
        assert issuing.matching.matches(vacancy_id) == []
        foreign, did = foreign_badge(issuing, clock)
        achievement = foreign["credentialSubject"]["achievement"]["id"]
        issuing.stacking.accept("FIRE", achievement, did)  # this college accepts it as FIRE

        issuing.stacking.recognise(json.dumps(foreign).encode(), "E1")

        (found,) = issuing.matching.matches(vacancy_id)
        fire = next(r for r in found.requirements if r["code"] == "FIRE")
        assert (found.outcome, fire["state"], fire["source"]) == ("eligible", "held", "recognised")
        assert fire["reference"] == foreign["id"]

    def test_a_job_seekers_recognised_badge_meets_a_requirement(
        self, issuing: Services, clock: SettableClock
    ) -> None:
        issuing.matching.add_seeker("S1", "sam@seeker.example", "Sam", "Toronto")
        issuing.matching.opt_in("S1")
        vacancy_id = post(issuing, requires=["IPAC"])
        foreign, did = foreign_badge(issuing, clock)
        issuing.stacking.accept("IPAC", foreign["credentialSubject"]["achievement"]["id"], did)

        issuing.stacking.recognise(json.dumps(foreign).encode(), "S1")

        (found,) = issuing.matching.matches(vacancy_id)
        (ipac,) = found.requirements
        assert (found.candidate_id, found.outcome) == ("S1", "eligible")
        assert (ipac["state"], ipac["source"]) == ("held", "recognised")

    def test_a_badge_for_someone_neither_employee_nor_seeker_is_refused(
        self, issuing: Services, clock: SettableClock
    ) -> None:
        foreign, _ = foreign_badge(issuing, clock)
        before = footprint(issuing)

        with pytest.raises(NotFound, match="nor a job seeker"):
            issuing.stacking.recognise(json.dumps(foreign).encode(), "NOBODY")

        assert footprint(issuing) == before


@pytest.fixture
def matched(market: Services, clock: SettableClock, lms: InMemoryLms) -> tuple[Services, str]:
    """E1 holds IPAC, opted in, and is eligible for an open vacancy."""
    complete(market, clock, lms, "IPAC", PASSED)
    market.matching.opt_in("E1", region="Toronto")
    return market, post(market)


def mail_to(services: Services, recipient: str) -> list[str]:
    return [m.subject for m in services.outbox.messages(recipient)]


class TestEngagements:
    def test_an_invitation_is_mailed_to_the_candidate_without_revealing_their_address(
        self, matched: tuple[Services, str]
    ) -> None:
        services, vacancy_id = matched

        shown = services.engagements.invite(vacancy_id, "E1")

        assert (shown.stage, shown.candidate_email) == ("invited", None)
        assert "Personal support worker, nights: invited" in mail_to(services, EMPLOYEE_EMAIL)

    def test_accepting_tells_the_employer_and_reveals_the_address(
        self, matched: tuple[Services, str]
    ) -> None:
        services, vacancy_id = matched
        services.engagements.invite(vacancy_id, "E1")

        shown = services.engagements.accept(vacancy_id, "E1")

        assert (shown.stage, shown.candidate_email) == ("accepted", EMPLOYEE_EMAIL)
        (body,) = [m.body for m in services.outbox.messages(APPROVER) if "accepted" in m.subject]
        assert EMPLOYEE_EMAIL in body

    def test_the_employer_is_reminded_on_day_30_and_the_outcome_is_overdue_on_day_45(
        self, matched: tuple[Services, str], clock: SettableClock
    ) -> None:
        services, vacancy_id = matched
        services.engagements.invite(vacancy_id, "E1")
        services.engagements.accept(vacancy_id, "E1")
        interviewed = clock.now()
        shown = services.engagements.interview(vacancy_id, "E1", interviewed)
        assert shown.outcome_due == (interviewed + timedelta(days=45)).isoformat()

        clock.set(interviewed + timedelta(days=30))
        services.scheduler.tick()
        assert any("Interview outcome due" in s for s in mail_to(services, APPROVER))
        assert not services.engagements.show(vacancy_id, "E1").overdue

        clock.set(interviewed + timedelta(days=45))
        services.scheduler.tick()
        assert services.engagements.show(vacancy_id, "E1").overdue
        assert any("Interview outcome overdue" in s for s in mail_to(services, APPROVER))

    def test_an_outcome_given_in_time_settles_the_reminder(
        self, matched: tuple[Services, str], clock: SettableClock
    ) -> None:
        services, vacancy_id = matched
        services.engagements.invite(vacancy_id, "E1")
        services.engagements.accept(vacancy_id, "E1")
        interviewed = clock.now()
        services.engagements.interview(vacancy_id, "E1", interviewed)
        services.engagements.give_outcome(vacancy_id, "E1", hired=True)

        clock.set(interviewed + timedelta(days=46))
        services.scheduler.tick()

        assert services.engagements.show(vacancy_id, "E1").stage == "hired"
        assert not any("Interview outcome" in s for s in mail_to(services, APPROVER))

    def test_an_invitation_to_a_closed_vacancy_is_refused_and_nothing_recorded(
        self, matched: tuple[Services, str]
    ) -> None:
        services, vacancy_id = matched
        services.matching.close(vacancy_id)
        before = footprint(services)

        with pytest.raises(InvalidTransition, match="closed"):
            services.engagements.invite(vacancy_id, "E1")

        assert footprint(services) == before

    def test_an_unmatched_candidate_cannot_be_invited(self, matched: tuple[Services, str]) -> None:
        services, _ = matched
        other = post(services, requires=["WHMIS"])

        with pytest.raises(NotFound, match="not matched"):
            services.engagements.invite(other, "E1")

    def test_an_interview_cannot_be_recorded_before_the_invitation_is_accepted(
        self, matched: tuple[Services, str], clock: SettableClock
    ) -> None:
        services, vacancy_id = matched
        services.engagements.invite(vacancy_id, "E1")

        with pytest.raises(InvalidTransition):
            services.engagements.interview(vacancy_id, "E1", clock.now())
