"""The aggregates on their own: state changes, refusals, and replay from their events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from carepassport.adapters.calendar import OntarioCalendar
from carepassport.domain.errors import (
    AlreadyExists,
    InvalidTransition,
    InvalidValue,
    NotAnApprover,
)
from carepassport.domain.reference import Catalogue, Employer, MicroCredential
from carepassport.domain.settings import SettingsRecord
from carepassport.domain.time import TORONTO
from carepassport.domain.training.policies import FundingBasis
from carepassport.domain.training.registration import Registration, RegistrationStatus
from carepassport.domain.training.sponsorship import Sponsorship, SponsorshipStatus
from carepassport.domain.values import (
    CredentialCode,
    EmailAddress,
    EmployeeId,
    EmployerId,
    email_address,
    money,
)

MONDAY = datetime(2026, 4, 6, 10, 0, tzinfo=TORONTO)
IPAC = MicroCredential(CredentialCode("IPAC"), "IPAC", 365, 14, 2, Decimal("125.00"))
BOSS = EmailAddress("boss@sunny.example")


def employer() -> Employer:
    return Employer.add(EmployerId("SUNNY"), "Sunny", [BOSS], 1, MONDAY)


def replayed(aggregate: Aggregate) -> Aggregate:
    events = aggregate.collect_events()
    copy = None
    for event in events:
        copy = event.mutate(copy)
    assert copy is not None
    return copy


def sponsorship() -> Sponsorship:
    return Sponsorship.request(
        EmployeeId("E1"),
        EmployerId("SUNNY"),
        [CredentialCode("IPAC")],
        1,
        MONDAY,
        calendar=OntarioCalendar(),
        settings_version=0,
    )


class TestSponsorship:
    def test_approval_derives_the_r4_deadline_with_its_calendar(self) -> None:
        s = sponsorship()

        deadline = s.approve(employer(), BOSS, MONDAY, OntarioCalendar(), settings_version=3)

        assert deadline.due_at == datetime(2026, 4, 7, 9, 0, tzinfo=TORONTO)
        assert (deadline.rule, deadline.settings_version) == ("R4", 3)
        assert deadline.calendar_id == OntarioCalendar().calendar_id
        assert s.status is SponsorshipStatus.APPROVED

    def test_enabling_before_approval_does_nothing(self) -> None:
        s = sponsorship()

        assert s.enable_self_registration(MONDAY) is False
        assert s.status is SponsorshipStatus.REQUESTED

    def test_enabling_twice_records_one_event(self) -> None:
        s = sponsorship()
        s.approve(employer(), BOSS, MONDAY, OntarioCalendar(), 0)

        assert s.enable_self_registration(MONDAY) is True
        assert s.enable_self_registration(MONDAY) is False
        names = [type(e).__name__ for e in s.collect_events()]
        assert names.count("SelfRegistrationEnabled") == 1

    def test_non_approver_cannot_decide(self) -> None:
        with pytest.raises(NotAnApprover):
            sponsorship().decline(employer(), EmailAddress("x@y.example"), MONDAY)

    def test_a_seat_can_be_used_only_once(self) -> None:
        s = sponsorship()
        s.approve(employer(), BOSS, MONDAY, OntarioCalendar(), 0)
        s.enable_self_registration(MONDAY)
        s.use_for(CredentialCode("IPAC"), UUID(int=1), MONDAY)

        with pytest.raises(InvalidTransition):
            s.use_for(CredentialCode("IPAC"), UUID(int=2), MONDAY)

    def test_replaying_the_events_gives_the_same_state(self) -> None:
        s = sponsorship()
        s.approve(employer(), BOSS, MONDAY, OntarioCalendar(), 0)
        s.enable_self_registration(MONDAY)

        copy = replayed(s)

        assert isinstance(copy, Sponsorship)
        assert (copy.status, copy.self_registration) == (s.status, s.self_registration)


class TestRegistration:
    def test_registration_schedules_access_and_its_end(self) -> None:
        r = Registration.register(
            EmployeeId("E1"), EmployerId("SUNNY"), IPAC, 1, FundingBasis.RETAKE, None, MONDAY
        )

        assert [(d.action, d.rule) for d in r.collect_events()[0].deadlines()] == [
            ("grant_access", "R6"),
            ("expire_access", "R7"),
        ]

    def test_expiry_without_a_pass_fails_with_business_time_at_the_end_of_access(self) -> None:
        r = Registration.register(
            EmployeeId("E1"), EmployerId("SUNNY"), IPAC, 1, FundingBasis.SPONSORSHIP, None, MONDAY
        )
        r.grant_access(MONDAY)

        r.expire_access(datetime(2026, 4, 21, 3, 0, tzinfo=TORONTO))

        assert r.status is RegistrationStatus.FAILED
        assert r.failed_at == datetime(2026, 4, 20, 23, 59, 59, tzinfo=TORONTO)
        assert r.grant_access(MONDAY) is False


class TestReferenceData:
    def test_catalogue_refuses_a_duplicate_code(self) -> None:
        catalogue = Catalogue.open(MONDAY)
        catalogue.add(IPAC, MONDAY)

        with pytest.raises(AlreadyExists):
            catalogue.add(IPAC, MONDAY)

    def test_employer_needs_an_approver(self) -> None:
        with pytest.raises(NotAnApprover):
            Employer.add(EmployerId("X"), "X", [], 0, MONDAY)

    @pytest.mark.parametrize("bad", ["no-at-sign", "a@b", "a b@c.example", "<a@b.example>"])
    def test_malformed_email_is_refused(self, bad: str) -> None:
        with pytest.raises(InvalidValue):
            email_address(bad)

    @pytest.mark.parametrize("bad", ["-1", "1.234", "abc", "NaN"])
    def test_malformed_fee_is_refused(self, bad: str) -> None:
        with pytest.raises(InvalidValue):
            money(bad)


class TestSettings:
    def test_setting_the_same_value_records_nothing(self) -> None:
        record = SettingsRecord.open(MONDAY)
        record.change("optional_holidays", "on", MONDAY)
        record.collect_events()

        record.change("optional_holidays", "TRUE", MONDAY)

        assert record.collect_events() == []

    @pytest.mark.parametrize(
        ("key", "value"),
        [("optional_holidays", "maybe"), ("closure_days", "2026-02-30"), ("nope", "1")],
    )
    def test_invalid_setting_is_refused(self, key: str, value: str) -> None:
        with pytest.raises(InvalidValue):
            SettingsRecord.open(MONDAY).change(key, value, MONDAY)

    def test_closure_days_are_normalised_and_typed(self) -> None:
        record = SettingsRecord.open(MONDAY)
        record.change("closure_days", "2026-12-31, 2026-12-24", MONDAY)

        assert record.values["closure_days"] == "2026-12-24,2026-12-31"
        assert len(record.current.closure_days) == 2
