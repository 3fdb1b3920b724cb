"""Matching on every store: vacancies posted under Ontario's rules, matched against candidates
who opted in, kept up to date when a candidate's credentials change."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from carepassport.domain.errors import InvalidValue, NotFound
from carepassport.domain.matching.vacancy import DISCLOSURE, MatchBook
from tests.conftest import toronto
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
