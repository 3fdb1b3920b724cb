"""Requirements by job function (R1), renewal and expiry (R14), revocation, and reports."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.compliance import reports
from carepassport.application.services import Services
from carepassport.domain.errors import InvalidTransition, InvalidValue, RegistrationRefused
from tests.conftest import APPROVER, EMPLOYEE_EMAIL, toronto
from tests.integration.helpers import complete, footprint


def states(services: Services, employee: str = "E1") -> dict[str, str]:
    return {i.code: i.state for i in services.requirements.of_employee(employee).requirements}


@pytest.fixture
def psw(college: Services) -> Services:
    """Job function PSW requires IPAC and WHMIS; E1 becomes a PSW."""
    college.job_functions.add("PSW", ["IPAC", "WHMIS"])
    college.job_functions.assign("E1", "PSW")
    return college


class TestRequirements:
    def test_a_job_function_gives_its_employees_their_requirements(self, psw: Services) -> None:
        assert states(psw) == {"IPAC": "never_completed", "WHMIS": "never_completed"}

    def test_changing_a_job_functions_requirements_updates_its_employees(
        self, psw: Services
    ) -> None:
        psw.job_functions.set_requirements("PSW", ["IPAC", "FIRE"])

        assert set(states(psw)) == {"IPAC", "FIRE"}
        events = [e.type for e in psw.histories.history(psw.reference.employee("E1").id).events]
        assert events.count("RequirementAssigned") == 3
        assert events.count("RequirementWithdrawn") == 1

    def test_an_individual_requirement_survives_a_change_of_job_function(
        self, psw: Services
    ) -> None:
        psw.job_functions.add("COOK", ["FIRE"])
        psw.job_functions.require("E1", "WHMIS")

        psw.job_functions.assign("E1", "COOK")

        assert set(states(psw)) == {"FIRE", "WHMIS"}

    def test_employees_named_a_job_function_before_it_was_defined_receive_its_requirements(
        self, college: Services
    ) -> None:
        college.reference.add_employee(
            "E2", employer="SUNNY", email="e2@example.org", job_function="Cook"
        )

        college.job_functions.add("cook", ["FIRE"])

        assert states(college, "E2") == {"FIRE": "never_completed"}

    def test_a_valid_credential_becomes_expiring_in_the_first_reminders_window_then_expired(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        assert states(psw)["IPAC"] == "valid"

        clock.set(toronto(2027, 2, 6, 9, 0))  # 2027-04-07 minus 60 days, 09:00
        assert states(psw)["IPAC"] == "expiring"
        clock.set(toronto(2027, 4, 8, 0, 0))
        assert states(psw)["IPAC"] == "expired"

    def test_the_csv_escapes_cells_a_spreadsheet_would_run(self, college: Services) -> None:
        college.reference.add_micro_credential("EVIL", '=HYPERLINK("http://x","y")')
        college.job_functions.add("PSW", ["EVIL"])
        college.job_functions.assign("E1", "PSW")

        lines = college.requirements.as_csv("E1").splitlines()

        assert lines[0] == "employee_id,code,title,state,valid_until"
        assert lines[1].startswith("E1,EVIL,\"'=HYPERLINK(")


class TestRenewals:
    def test_request_renewals_asks_for_every_expired_and_expiring_requirement_at_once(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms, mailer: InMemoryMailer
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        complete(psw, clock, lms, "WHMIS", toronto(2026, 6, 2, 14, 0))
        clock.set(toronto(2027, 4, 20, 12, 0))  # IPAC expired, WHMIS expiring

        view = psw.requirements.request_renewals("E1")

        assert view.credentials == ["IPAC", "WHMIS"]
        assert view.status == "requested"

    def test_request_renewals_with_nothing_due_is_refused_and_records_nothing(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        psw.job_functions.set_requirements("PSW", ["IPAC"])
        before = footprint(psw)

        with pytest.raises(InvalidValue, match="nothing expired or expiring"):
            psw.requirements.request_renewals("E1")

        assert footprint(psw) == before

    def test_renewing_inside_the_window_extends_from_the_previous_expiry(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        college.reference.add_micro_credential(
            "ANNUAL", "Annual", renewal_basis="from_previous_expiry"
        )
        college.job_functions.add("PSW", ["ANNUAL"])
        college.job_functions.assign("E1", "PSW")
        complete(college, clock, lms, "ANNUAL", toronto(2026, 4, 7, 14, 0))

        complete(college, clock, lms, "ANNUAL", toronto(2027, 3, 1, 14, 0))

        listing = college.requirements.of_employee("E1").requirements
        assert listing[0].valid_until == date(2028, 4, 6)

    def test_a_renewal_cancels_the_old_reminders(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms, mailer: InMemoryMailer
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        complete(psw, clock, lms, "IPAC", toronto(2027, 2, 20, 14, 0))  # after the 60-day one
        clock.set(toronto(2027, 4, 30, 12, 0))
        psw.scheduler.tick()

        reminders = {m.subject for m in mailer.sent if m.kind == "expiry_reminder"}
        assert reminders == {"IPAC for E1 expires in 60 days (valid until 2027-04-07)"}
        assert not [m for m in mailer.sent if m.kind == "credential_expired"]

    def test_prerequisites_must_be_valid_before_registration(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        college.reference.add_micro_credential("ADV", "Advanced IPAC", prerequisites=["IPAC"])
        before = footprint(college)

        with pytest.raises(RegistrationRefused, match=r"requires valid prerequisite\(s\): IPAC"):
            college.registrations.register("E1", "ADV", self_pay=True)
        assert footprint(college) == before

        complete(college, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        assert college.registrations.register("E1", "ADV", self_pay=True).basis == "self_pay"


class TestRevocation:
    def test_each_decision_is_recorded_and_emailed_to_employee_and_employer(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms, mailer: InMemoryMailer
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))

        psw.credentials.suspend("E1", "IPAC", "audit", "pending review")
        assert states(psw)["IPAC"] == "suspended"
        psw.credentials.reinstate("E1", "IPAC", "audit cleared")
        assert states(psw)["IPAC"] == "valid"
        psw.credentials.revoke("E1", "IPAC", "falsified")
        assert states(psw)["IPAC"] == "revoked"

        told = [
            (m.recipient, m.subject) for m in mailer.sent if m.kind == "credential_status_changed"
        ]
        assert len(told) == 9
        assert {to for to, _ in told} == {EMPLOYEE_EMAIL, APPROVER, "backup@sunny.example"}

    def test_a_revoked_credential_is_regained_only_by_completing_again(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        psw.credentials.revoke("E1", "IPAC", "falsified")

        with pytest.raises(InvalidTransition):
            psw.credentials.reinstate("E1", "IPAC", "please")
        complete(psw, clock, lms, "IPAC", toronto(2026, 5, 5, 14, 0))

        assert states(psw)["IPAC"] == "valid"

    def test_recertification_makes_the_credential_count_as_expired(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))

        psw.credentials.require_recertification("E1", "IPAC", "new standard")

        assert states(psw)["IPAC"] == "expired"


class TestReports:
    def test_the_report_filters_by_job_function_and_exports_csv(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        psw.job_functions.add("COOK", ["FIRE"])
        psw.reference.add_employee(
            "E2", employer="SUNNY", email="e2@example.org", job_function="COOK"
        )
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))

        cooks = psw.reports.compliance("SUNNY", "cook")
        everyone = psw.reports.compliance("SUNNY")
        text = psw.reports.as_csv(everyone)

        assert [line.employee_id for line in cooks.lines] == ["E2"]
        assert everyone.employees == 2
        assert everyone.standing == {"never_completed": ["E1", "E2"]}
        assert text.splitlines()[0] == "employer_id,employee_id,job_function,code,state,valid_until"
        assert "SUNNY,E1,PSW,IPAC,valid,2027-04-07" in text

    def test_a_report_read_again_is_the_same_at_the_new_time(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        first = psw.reports.compliance("SUNNY")
        clock.set(toronto(2026, 4, 8, 8, 59))

        again = psw.reports.compliance("SUNNY")

        assert again.as_of == toronto(2026, 4, 8, 8, 59)
        assert attrs.evolve(again, as_of=first.as_of) == first

    def test_a_report_read_again_shows_an_event_recorded_since(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        assert psw.reports.compliance("SUNNY").compliant == []

        complete(psw, clock, lms, "WHMIS", toronto(2026, 4, 20, 14, 0))

        assert psw.reports.compliance("SUNNY").compliant == ["E1"]

    def test_a_report_read_again_shows_a_credential_turning_expiring_at_nine(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        clock.set(toronto(2027, 2, 6, 8, 59))  # the first reminder is at 09:00
        assert psw.reports.compliance("SUNNY").expiring == []

        clock.set(toronto(2027, 2, 6, 9, 0))

        assert [line.code for line in psw.reports.compliance("SUNNY").expiring] == ["IPAC"]

    def test_a_report_read_at_an_earlier_time_is_read_afresh(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        clock.set(toronto(2027, 2, 6, 9, 0))
        assert len(psw.reports.compliance("SUNNY").expiring) == 1

        clock.set(toronto(2027, 2, 6, 8, 0))

        assert psw.reports.compliance("SUNNY").expiring == []

    def test_a_rebuilt_projection_gives_the_same_report(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        before = psw.reports.compliance("SUNNY")

        psw.reports.rebuild()

        assert psw.reports.compliance("SUNNY") == before

    @pytest.mark.parametrize(("batch", "per_commit"), [(1, 1), (3, 1), (3, 4), (2, 50)])
    def test_a_projection_folded_in_batches_of_any_size_gives_the_same_report(
        self,
        psw: Services,
        clock: SettableClock,
        lms: InMemoryLms,
        monkeypatch: pytest.MonkeyPatch,
        batch: int,
        per_commit: int,
    ) -> None:
        psw.job_functions.add("COOK", ["FIRE"])
        psw.reference.add_employee(
            "E2", employer="SUNNY", email="e2@example.org", job_function="COOK"
        )
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        psw.job_functions.assign("E2", "PSW")
        before = psw.reports.compliance("SUNNY")
        monkeypatch.setattr(reports, "BATCH", batch)
        monkeypatch.setattr(reports, "REBUILD_BATCHES", per_commit)

        psw.reports.rebuild()

        assert psw.reports.compliance("SUNNY") == before


class TestTrend:
    def test_each_months_end_shows_compliance_as_it_stood_then(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        complete(psw, clock, lms, "WHMIS", toronto(2026, 6, 10, 14, 0))
        clock.set(toronto(2026, 8, 15, 12, 0))

        points = {p.month: (p.employees, p.compliant) for p in psw.reports.trend("SUNNY")}

        months = list(points)
        assert (months[0], months[-1], len(months)) == ("2025-09", "2026-08", 12)
        assert points["2026-05"] == (1, 0)  # IPAC valid, WHMIS never completed
        assert points["2026-06"] == (1, 1)
        assert points["2026-08"] == (1, 1)
        assert points["2025-09"] == (0, 0)

    def test_the_trend_is_read_again_once_an_event_arrives(
        self, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        clock.set(toronto(2026, 5, 20, 12, 0))
        assert psw.reports.trend("SUNNY")[-1].compliant == 0

        complete(psw, clock, lms, "WHMIS", toronto(2026, 5, 21, 14, 0))

        assert psw.reports.trend("SUNNY")[-1].compliant == 1
