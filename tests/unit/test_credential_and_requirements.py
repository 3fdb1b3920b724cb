"""Credential (R14, college decisions), requirements by job function (R1), and their inputs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing import persistence as es
from eventsourcing.domain import Aggregate

from carepassport.domain.compliance.credential import Credential
from carepassport.domain.compliance.job_function import JobFunction
from carepassport.domain.compliance.standing import Standing
from carepassport.domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFound
from carepassport.domain.reference import Catalogue, Employee, MicroCredential
from carepassport.domain.settings import SettingsRecord
from carepassport.domain.time import TORONTO
from carepassport.domain.values import (
    CredentialCode,
    Deadline,
    EmailAddress,
    EmployeeId,
    EmployerId,
)

IPAC, WHMIS, CPR, FOOD = (CredentialCode(c) for c in ("IPAC", "WHMIS", "CPR", "FOOD"))
E1 = EmployeeId("E1")
DAYS = [60, 30, 7]
UNTIL = date(2027, 6, 30)  # reminders 05-01, 05-31, 06-23 at 09:00; expiry 07-01 00:00
RENEWED_UNTIL = date(2028, 6, 30)
COMPLETED = datetime(2026, 6, 30, 14, tzinfo=TORONTO)
AT = datetime(2026, 7, 2, 10, tzinfo=TORONTO)  # publication, and every other command
LATER = datetime(2027, 8, 1, 12, tzinfo=TORONTO)
REMINDERS = ("expiry_reminder:60", "expiry_reminder:30", "expiry_reminder:7")
ACTIVE, SUSPENDED, REVOKED = "active", "suspended", "revoked"
RECERTIFY = "recertification_required"
VERB = {SUSPENDED: "suspend", REVOKED: "revoke", RECERTIFY: "require_recertification"}


def toronto(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """An aware Toronto wall-clock time."""
    return datetime(y, mo, d, h, mi, s, tzinfo=TORONTO)


def replayed(aggregate: Aggregate) -> Aggregate:
    copy = None
    for event in aggregate.collect_events():
        copy = event.mutate(copy)
    assert copy is not None
    return copy


def names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


def issued(standing: str = ACTIVE, published_at: datetime = AT) -> Credential:
    """An IPAC credential valid until UNTIL, put into ``standing``."""
    c = Credential.issue(E1, IPAC, UUID(int=1), COMPLETED, published_at, UNTIL, DAYS, 4, AT)
    if standing != ACTIVE:
        getattr(c, VERB[standing])("reason", "", AT)
    return c


def renew(credential: Credential) -> None:
    at = toronto(2027, 5, 20, 10)
    credential.renew(UUID(int=2), toronto(2027, 5, 18, 12), at, RENEWED_UNTIL, DAYS, 5, at)


def timeline(deadlines: list[Deadline]) -> list[tuple[str, str]]:
    return [(d.action, d.due_at.isoformat()) for d in deadlines]


class TestCredentialSchedule:
    def test_reminders_at_nine_on_each_offset_and_expiry_at_midnight_after(self) -> None:
        reminders, expiry = Credential.schedule(UNTIL, AT, [7, 60, 30, 7], 4)

        assert timeline([*reminders, expiry]) == [
            ("expiry_reminder:60", "2027-05-01T09:00:00-04:00"),
            ("expiry_reminder:30", "2027-05-31T09:00:00-04:00"),
            ("expiry_reminder:7", "2027-06-23T09:00:00-04:00"),
            ("credential_expiry", "2027-07-01T00:00:00-04:00"),
        ]
        assert {(d.rule, d.settings_version) for d in [*reminders, expiry]} == {("R14", 4)}

    @pytest.mark.parametrize(
        ("published_at", "expected"),
        [
            pytest.param(toronto(2027, 5, 1, 8, 59, 59), REMINDERS, id="second-before-first"),
            pytest.param(toronto(2027, 5, 1, 9), REMINDERS[1:], id="at-first-reminder-time"),
            pytest.param(toronto(2027, 6, 1, 10), REMINDERS[2:], id="after-second"),
            pytest.param(toronto(2027, 6, 23, 10), (), id="after-last-reminder"),
            pytest.param(toronto(2027, 7, 2, 10), (), id="after-valid-until"),
        ],
    )
    def test_only_reminders_after_publication_are_scheduled_and_expiry_always(
        self, published_at: datetime, expected: tuple[str, ...]
    ) -> None:
        reminders, expiry = Credential.schedule(UNTIL, published_at, DAYS, 4)

        assert tuple(d.action for d in reminders) == expected
        assert expiry.due_at.isoformat() == "2027-07-01T00:00:00-04:00"

    def test_renewal_replaces_reminders_under_the_same_names_and_resets_reminded(self) -> None:
        c = issued()
        assert c.remind(60, LATER) is True

        renew(c)

        assert timeline(c.reminders) == [
            ("expiry_reminder:60", "2028-05-01T09:00:00-04:00"),
            ("expiry_reminder:30", "2028-05-31T09:00:00-04:00"),
            ("expiry_reminder:7", "2028-06-23T09:00:00-04:00"),
        ]
        assert (c.reminded, c.valid_until) == (set(), RENEWED_UNTIL)
        assert c.remind(60, LATER) is True


class TestRemindAndExpire:
    def test_each_reminder_goes_once_with_its_due_time_as_business_time(self) -> None:
        c = issued()

        assert [c.remind(days, LATER) for days in (60, 60, 30)] == [True, False, True]
        sent = [e for e in c.collect_events() if isinstance(e, Credential.ExpiryReminderSent)]
        assert [e.reminded_at.isoformat() for e in sent] == [
            "2027-05-01T09:00:00-04:00",
            "2027-05-31T09:00:00-04:00",
        ]

    @pytest.mark.parametrize("days", [14, 60], ids=["never-configured", "passed-at-publication"])
    def test_a_reminder_not_scheduled_is_not_sent(self, days: int) -> None:
        assert issued(published_at=toronto(2027, 5, 15, 10)).remind(days, LATER) is False

    @pytest.mark.parametrize("standing", [SUSPENDED, REVOKED, RECERTIFY])
    def test_no_reminder_unless_active(self, standing: str) -> None:
        assert issued(standing).remind(60, LATER) is False

    def test_reinstated_credential_is_reminded_again(self) -> None:
        c = issued(SUSPENDED)
        c.reinstate("cleared", "", AT)
        assert c.remind(60, LATER) is True

    def test_expiry_happens_once_at_midnight_after_valid_until(self) -> None:
        c = issued()

        assert [c.expire(LATER), c.expire(LATER)] == [True, False]
        [event] = [e for e in c.collect_events() if isinstance(e, Credential.CredentialExpired)]
        assert event.expired_at.isoformat() == "2027-07-01T00:00:00-04:00"

    @pytest.mark.parametrize("standing", [REVOKED, RECERTIFY])
    def test_no_expiry_after_revocation_or_recertification(self, standing: str) -> None:
        assert issued(standing).expire(LATER) is False


class TestCredentialStanding:
    @pytest.mark.parametrize(
        ("standing", "verb", "expected"),
        [
            pytest.param(ACTIVE, "suspend", Standing.SUSPENDED, id="suspend-active"),
            pytest.param(SUSPENDED, "reinstate", Standing.ACTIVE, id="reinstate-suspended"),
            pytest.param(ACTIVE, "revoke", Standing.REVOKED, id="revoke-active"),
            pytest.param(SUSPENDED, "revoke", Standing.REVOKED, id="revoke-suspended"),
            pytest.param(ACTIVE, "require_recertification", Standing.RECERTIFICATION_REQUIRED,
                         id="recertify-active"),
            pytest.param(SUSPENDED, "require_recertification",
                         Standing.RECERTIFICATION_REQUIRED, id="recertify-suspended"),
        ],
    )  # fmt: skip
    def test_allowed_change_records_its_reason_and_notes(
        self, standing: str, verb: str, expected: Standing
    ) -> None:
        c = issued(standing)
        getattr(c, verb)(" audit ", " see file ", AT)
        event = c.collect_events()[-1]
        assert (c.standing, event.reason, event.notes) == (expected, "audit", "see file")

    @pytest.mark.parametrize(
        ("standing", "verb"),
        [
            pytest.param(SUSPENDED, "suspend", id="suspend-suspended"),
            pytest.param(REVOKED, "suspend", id="suspend-revoked"),
            pytest.param(RECERTIFY, "suspend", id="suspend-recertification-required"),
            pytest.param(ACTIVE, "reinstate", id="reinstate-active"),
            pytest.param(REVOKED, "reinstate", id="reinstate-revoked"),
            pytest.param(RECERTIFY, "reinstate", id="reinstate-recertification-required"),
            pytest.param(REVOKED, "revoke", id="revoke-twice"),
            pytest.param(REVOKED, "require_recertification", id="recertify-revoked"),
            pytest.param(RECERTIFY, "require_recertification", id="recertify-twice"),
        ],
    )
    def test_change_from_the_wrong_standing_is_refused(self, standing: str, verb: str) -> None:
        c = issued(standing)
        before = c.standing
        with pytest.raises(InvalidTransition):
            getattr(c, verb)("reason", "", AT)
        assert c.standing is before

    @pytest.mark.parametrize("verb", ["suspend", "revoke", "require_recertification"])
    @pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
    def test_a_status_change_without_a_reason_is_refused(self, verb: str, reason: str) -> None:
        c = issued()
        c.collect_events()
        with pytest.raises(InvalidValue, match="reason"):
            getattr(c, verb)(reason, "notes", AT)
        assert (c.standing, c.collect_events()) == (Standing.ACTIVE, [])

    @pytest.mark.parametrize(
        ("standing", "published_at", "settled"),
        [
            pytest.param(REVOKED, AT, REMINDERS, id="revoke"),
            pytest.param(RECERTIFY, AT, REMINDERS, id="recertification"),
            pytest.param(REVOKED, toronto(2027, 6, 1, 10), REMINDERS[2:], id="late-publication"),
            pytest.param(SUSPENDED, AT, None, id="suspension-cancels-nothing"),
        ],
    )
    def test_revocation_and_recertification_cancel_reminders_and_expiry(
        self, standing: str, published_at: datetime, settled: tuple[str, ...] | None
    ) -> None:
        event = issued(standing, published_at).collect_events()[-1]
        expected = () if settled is None else (*settled, "credential_expiry")
        assert event.settled_actions() == expected

    def test_renewal_after_revocation_makes_the_credential_active_again(self) -> None:
        c = issued(REVOKED)
        renew(c)
        assert (c.standing, c.valid_until) == (Standing.ACTIVE, RENEWED_UNTIL)
        assert c.expire(LATER) is True

    def test_replaying_the_events_rebuilds_standing_and_valid_until(self) -> None:
        c = issued(SUSPENDED)
        c.remind(60, LATER)
        c.reinstate("cleared", "", AT)
        c.expire(LATER)
        renew(c)
        c.remind(30, LATER)
        c.require_recertification("new standard", "", LATER)

        copy = replayed(c)

        assert isinstance(copy, Credential)
        assert (copy.standing, copy.valid_until) == (c.standing, RENEWED_UNTIL)
        assert c.standing is Standing.RECERTIFICATION_REQUIRED
        assert (copy.reminded, copy.expired) == ({30}, False)
        assert timeline(copy.reminders) == timeline(c.reminders)


def employee(*individual: CredentialCode, function: list[CredentialCode] | None = None) -> Employee:
    e = Employee.add(E1, EmployerId("SUNNY"), EmailAddress("pat@x.example"), None, None, AT)
    for code in individual:
        e.require_individually(code, AT)
    if function is not None:
        e.assign_job_function("PSW", function, AT)
    return e


def changes(e: Employee) -> list[tuple[str, str]]:
    return [
        (type(x).__name__, getattr(x, "code", None) or x.job_function) for x in e.collect_events()
    ]


class TestEmployeeRequirements:
    @pytest.mark.parametrize(
        ("before", "name", "codes", "expected", "required"),
        [
            pytest.param(None, "PSW", [WHMIS, IPAC], [("JobFunctionAssigned", "PSW"),
                         ("RequirementAssigned", "IPAC"), ("RequirementAssigned", "WHMIS")],
                         [IPAC, WHMIS], id="first-job-function-assigns-its-codes"),
            pytest.param([IPAC, WHMIS], "RN", [IPAC, CPR], [("JobFunctionAssigned", "RN"),
                         ("RequirementAssigned", "CPR"), ("RequirementWithdrawn", "WHMIS")],
                         [CPR, IPAC], id="new-job-function-withdraws-what-it-lacks"),
            pytest.param([IPAC], "PSW", [IPAC, CPR], [("RequirementAssigned", "CPR")],
                         [CPR, IPAC], id="changed-requirements-of-same-job-function"),
            pytest.param([IPAC], "PSW", [IPAC], [], [IPAC], id="same-job-function-and-codes"),
        ],
    )  # fmt: skip
    def test_job_function_assigns_exactly_its_codes(
        self,
        before: list[CredentialCode] | None,
        name: str,
        codes: list[CredentialCode],
        expected: list[tuple[str, str]],
        required: list[CredentialCode],
    ) -> None:
        e = employee(function=before)
        e.collect_events()
        e.assign_job_function(name, codes, AT)
        assert (changes(e), e.required) == (expected, required)

    def test_individual_requirements_survive_a_job_function_change(self) -> None:
        e = employee(FOOD, function=[IPAC])
        e.assign_job_function("RN", [CPR], AT)
        assert e.required == [CPR, FOOD]

    def test_code_required_by_both_stays_when_the_job_function_drops_it(self) -> None:
        e = employee(IPAC, function=[IPAC])
        e.assign_job_function("RN", [CPR], AT)
        assert (e.required, e.requirements[IPAC]) == ([CPR, IPAC], {"individual"})

    def test_code_required_by_both_stays_when_the_individual_one_goes(self) -> None:
        e = employee(IPAC, function=[IPAC])
        e.require_from("individual", [], AT)
        assert e.requirements == {IPAC: {"job_function"}}

    def test_leaving_twice_is_refused(self) -> None:
        e = employee()
        e.leave(LATER)
        with pytest.raises(InvalidTransition, match="already left"):
            e.leave(LATER)
        assert e.left_at == LATER

    def test_replaying_the_events_rebuilds_the_requirements(self) -> None:
        e = employee(FOOD, function=[IPAC, FOOD])
        e.assign_job_function("RN", [CPR], AT)
        copy = replayed(e)
        assert isinstance(copy, Employee)
        assert copy.requirements == {CPR: {"job_function"}, FOOD: {"individual"}}
        assert copy.job_function == "RN"


def job_function(*codes: CredentialCode) -> JobFunction:
    jf = JobFunction.open("PSW", AT)
    if codes:
        jf.define(list(codes), AT)
    jf.collect_events()
    return jf


class TestJobFunction:
    @pytest.mark.parametrize(
        ("defined", "verb", "codes", "error"),
        [
            pytest.param([IPAC], "define", [CPR], AlreadyExists, id="define-twice"),
            pytest.param([], "set_requirements", [IPAC], NotFound, id="set-on-undefined"),
            pytest.param([], "define", [], InvalidValue, id="define-empty"),
            pytest.param([IPAC], "set_requirements", [], InvalidValue, id="set-empty"),
        ],
    )
    def test_invalid_requirement_change_is_refused(
        self, defined: list[CredentialCode], verb: str, codes: list[str], error: type[Exception]
    ) -> None:
        jf = job_function(*defined)
        with pytest.raises(error):
            getattr(jf, verb)(codes, AT)
        assert jf.collect_events() == []

    def test_setting_the_same_codes_records_nothing(self) -> None:
        jf = job_function(IPAC, WHMIS)
        jf.set_requirements([WHMIS, IPAC, IPAC], AT)
        assert jf.collect_events() == []

    def test_joining_and_leaving_are_idempotent(self) -> None:
        jf = job_function(IPAC)
        for step in (jf.leave, jf.join, jf.join, jf.leave, jf.leave):
            step(E1, AT)
        assert (jf.members, names(jf)) == (set(), ["MemberJoined", "MemberLeft"])


def entry(code: str, *needs: CredentialCode, basis: str = "from_completion") -> MicroCredential:
    return MicroCredential(CredentialCode(code), code, 365, 14, 2, Decimal("125"), needs, basis)


class TestCatalogue:
    def test_only_known_prerequisites_are_accepted_and_unknown_ones_named(self) -> None:
        catalogue = Catalogue.open(AT)
        catalogue.add(entry("IPAC"), AT)
        with pytest.raises(NotFound) as refused:
            catalogue.add(entry("ADV", IPAC, CPR, FOOD), AT)
        assert str(refused.value).endswith(": CPR, FOOD")
        catalogue.add(entry("ADV", IPAC, basis="from_previous_expiry"), AT)
        added = catalogue.entry(CredentialCode("ADV"))
        assert (added.prerequisites, added.renewal_basis) == ((IPAC,), "from_previous_expiry")

    def test_upcast_v1_v2_loads_a_stored_v1_entry_without_prerequisites_from_completion(
        self,
    ) -> None:
        transcoder = es.JSONTranscoder()
        for transcoding in (es.UUIDAsHex(), es.DecimalAsStr(), es.DatetimeAsISO()):
            transcoder.register(transcoding)
        mapper: es.Mapper[UUID] = es.Mapper(transcoder)
        catalogue = Catalogue.open(AT)
        catalogue.add(entry("IPAC", basis="from_previous_expiry"), AT)
        stored = mapper.to_stored_event(catalogue.collect_events()[-1])
        state = transcoder.decode(stored.state)
        for v2_only in ("prerequisites", "renewal_basis", "class_version"):
            del state[v2_only]
        v1 = es.StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                         transcoder.encode(state))  # fmt: skip

        fresh = Catalogue.open(AT)
        mapper.to_domain_event(v1).mutate(fresh)

        loaded = fresh.entry(IPAC)
        assert (loaded.prerequisites, loaded.renewal_basis) == ((), "from_completion")


class TestReminderDaysSetting:
    def test_reminder_days_are_normalised_largest_first(self) -> None:
        record = SettingsRecord.open(AT)
        record.change("reminder_days", "30", AT)
        record.change("reminder_days", "7, 60,30", AT)
        assert record.values["reminder_days"] == "60,30,7"
        assert (record.current.reminder_days, record.current.reminder_window) == ((60, 30, 7), 60)

    @pytest.mark.parametrize("bad", ["0", "abc", "", "366", "-7", "30,x"])
    def test_invalid_reminder_days_are_refused(self, bad: str) -> None:
        with pytest.raises(InvalidValue):
            SettingsRecord.open(AT).change("reminder_days", bad, AT)
