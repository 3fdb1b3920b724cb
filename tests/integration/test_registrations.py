"""Registering (R5, R13) and the access window (R6, R7, R12), on the memory and SQLite stores."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.domain.errors import RegistrationRefused
from tests.conftest import APPROVER, EMPLOYEE_EMAIL, toronto
from tests.integration.helpers import enabled_sponsorship, footprint

THURSDAY_BEFORE_GOOD_FRIDAY = toronto(2026, 4, 2, 15, 0)


def fail_by_access_expiry(services: Services, clock: SettableClock, registration_id: str) -> None:
    shown = services.registrations.show(registration_id)
    clock.set(shown.access_until + timedelta(seconds=1))
    services.scheduler.tick()
    assert services.registrations.show(registration_id).status == "failed"


class TestRegisterWithSponsorship:
    def test_registration_before_enablement_is_refused_with_the_opening_time(
        self, college: Services, clock: SettableClock
    ) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])
        clock.set(THURSDAY_BEFORE_GOOD_FRIDAY)
        college.sponsorships.approve(view.sponsorship_id, by=APPROVER)
        clock.set(toronto(2026, 4, 3, 10, 0))
        before = footprint(college)

        with pytest.raises(RegistrationRefused, match="not enabled until 2026-04-06T09:00"):
            college.registrations.register("E1", "IPAC")

        assert footprint(college) == before

    def test_registration_awaiting_approval_is_refused(self, college: Services) -> None:
        college.sponsorships.request("E1", ["IPAC"])

        with pytest.raises(RegistrationRefused, match="awaits the employer's approval"):
            college.registrations.register("E1", "IPAC")

    def test_enabled_sponsorship_makes_registration_fee_free_for_the_employee(
        self, college: Services, clock: SettableClock
    ) -> None:
        enabled_sponsorship(college, clock, ["IPAC", "WHMIS"], THURSDAY_BEFORE_GOOD_FRIDAY)
        clock.set(toronto(2026, 4, 6, 13, 30))

        registration = college.registrations.register("E1", "IPAC")

        assert (registration.basis, registration.fee_payer) == ("sponsorship", "employer")
        assert registration.fee == Decimal("125.00")
        assert registration.access_from == toronto(2026, 4, 6, 15, 30)
        assert registration.access_until == toronto(2026, 4, 20, 23, 59, 59)
        assert registration.status == "registered"

    def test_sponsorship_pays_for_each_credential_once(
        self, college: Services, clock: SettableClock
    ) -> None:
        enabled_sponsorship(college, clock, ["IPAC"], THURSDAY_BEFORE_GOOD_FRIDAY)
        first = college.registrations.register("E1", "IPAC")
        assert first.sponsorship_id is not None
        fail_by_access_expiry(college, clock, str(first.registration_id))

        second = college.registrations.register("E1", "IPAC")

        assert college.sponsorships.show(first.sponsorship_id).used == {
            "IPAC": first.registration_id
        }
        assert (second.basis, second.sponsorship_id) == ("retake", None)

    def test_credential_not_in_any_sponsorship_is_refused_unless_self_paid(
        self, college: Services, clock: SettableClock
    ) -> None:
        enabled_sponsorship(college, clock, ["IPAC"], THURSDAY_BEFORE_GOOD_FRIDAY)
        before = footprint(college)

        with pytest.raises(RegistrationRefused, match="no approved sponsorship covers FIRE"):
            college.registrations.register("E1", "FIRE")
        assert footprint(college) == before

        paid = college.registrations.register("E1", "FIRE", self_pay=True)
        assert (paid.basis, paid.fee_payer) == ("self_pay", "employee")

    def test_second_registration_while_one_is_open_is_refused(
        self, college: Services, clock: SettableClock
    ) -> None:
        enabled_sponsorship(college, clock, ["IPAC"], THURSDAY_BEFORE_GOOD_FRIDAY)
        college.registrations.register("E1", "IPAC")

        with pytest.raises(RegistrationRefused, match="still open"):
            college.registrations.register("E1", "IPAC", self_pay=True)


class TestRetakes:
    def test_retake_after_failure_is_employer_paid_while_the_policy_covers_it(
        self, college: Services, clock: SettableClock
    ) -> None:
        enabled_sponsorship(college, clock, ["IPAC"], THURSDAY_BEFORE_GOOD_FRIDAY)
        first = college.registrations.register("E1", "IPAC")
        fail_by_access_expiry(college, clock, str(first.registration_id))

        retake = college.registrations.register("E1", "IPAC")

        assert (retake.basis, retake.fee_payer) == ("retake", "employer")

    def test_retake_beyond_the_policy_is_refused_unless_the_employee_pays(
        self, college: Services, clock: SettableClock
    ) -> None:
        enabled_sponsorship(college, clock, ["IPAC"], THURSDAY_BEFORE_GOOD_FRIDAY)
        first = college.registrations.register("E1", "IPAC")
        fail_by_access_expiry(college, clock, str(first.registration_id))
        retake = college.registrations.register("E1", "IPAC")
        fail_by_access_expiry(college, clock, str(retake.registration_id))

        with pytest.raises(RegistrationRefused, match="covers 1 retake"):
            college.registrations.register("E1", "IPAC")
        paid = college.registrations.register("E1", "IPAC", self_pay=True)

        assert (paid.basis, paid.fee_payer) == ("self_pay", "employee")


class TestAccessWindow:
    def test_access_is_granted_by_the_tick_at_two_hours_with_that_business_time(
        self, college: Services, clock: SettableClock
    ) -> None:
        enabled_sponsorship(college, clock, ["IPAC"], THURSDAY_BEFORE_GOOD_FRIDAY)
        clock.set(toronto(2026, 4, 6, 13, 30))
        registration = college.registrations.register("E1", "IPAC")
        clock.set(toronto(2026, 4, 6, 15, 29, 59))
        assert college.scheduler.tick().processed == []

        clock.set(toronto(2026, 4, 6, 16, 45))
        report = college.scheduler.tick()

        assert [(p.action, p.rule) for p in report.processed] == [("grant_access", "R6")]
        shown = college.registrations.show(registration.registration_id)
        assert (shown.status, shown.access_granted) == ("active", True)
        granted = college.histories.history(registration.registration_id).events[-1]
        assert granted.business_time == toronto(2026, 4, 6, 15, 30)
        assert granted.recorded_at == toronto(2026, 4, 6, 16, 45)

    def test_registration_without_a_pass_fails_at_the_midnight_after_access_ends(
        self, college: Services, clock: SettableClock
    ) -> None:
        enabled_sponsorship(college, clock, ["IPAC"], THURSDAY_BEFORE_GOOD_FRIDAY)
        clock.set(toronto(2026, 4, 6, 13, 30))
        registration = college.registrations.register("E1", "IPAC")
        clock.set(toronto(2026, 4, 20, 23, 59, 59))
        college.scheduler.tick()
        assert college.registrations.show(registration.registration_id).status == "active"

        clock.set(toronto(2026, 4, 21, 0, 0))
        college.scheduler.tick()

        shown = college.registrations.show(registration.registration_id)
        assert (shown.status, shown.failure_reason) == ("failed", "access_expired")
        assert shown.failed_at == toronto(2026, 4, 20, 23, 59, 59)

    def test_failure_is_flagged_at_once_to_the_employee_and_the_employers_approvers(
        self, college: Services, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        enabled_sponsorship(college, clock, ["IPAC"], THURSDAY_BEFORE_GOOD_FRIDAY)
        registration = college.registrations.register("E1", "IPAC")

        fail_by_access_expiry(college, clock, str(registration.registration_id))

        flagged = sorted(m.recipient for m in mailer.sent if m.kind == "registration_failed")
        assert flagged == sorted([EMPLOYEE_EMAIL, APPROVER, "backup@sunny.example"])
