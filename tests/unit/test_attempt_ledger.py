"""R7, R8 on the aggregates alone: the attempt ledger, outcomes, completion, the sync schedule."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import attrs
import pytest
from eventsourcing.domain import Aggregate

from carepassport.adapters.calendar import OntarioCalendar
from carepassport.domain.compliance.standing import renewed_valid_until
from carepassport.domain.reference import MicroCredential, RenewalBasis
from carepassport.domain.time import TORONTO
from carepassport.domain.training.attempts import AttemptLedger, LedgerDecision, Verdict
from carepassport.domain.training.completion import Completion
from carepassport.domain.training.lms import LmsSync, QuizResult
from carepassport.domain.training.policies import (
    FeePayer,
    FundingBasis,
    Outcome,
    PriorRegistration,
    retake_payer,
)
from carepassport.domain.training.registration import (
    FailureReason,
    Registration,
    RegistrationStatus,
)
from carepassport.domain.values import CredentialCode, EmployeeId, EmployerId

IPAC = MicroCredential(CredentialCode("IPAC"), "IPAC", 365, 14, 2, Decimal("125.00"))
REGISTERED = datetime(2026, 6, 1, 9, 0, tzinfo=TORONTO)  # access 11:00 06-01 to 23:59:59 06-15
IN_WINDOW = datetime(2026, 6, 3, 14, 0, tzinfo=TORONTO)
LATER = datetime(2026, 6, 4, 14, 0, tzinfo=TORONTO)
SYNCED = datetime(2026, 6, 5, 0, 0, tzinfo=TORONTO)
WINDOW = "2026-06-01T11:00:00-04:00 to 2026-06-15T23:59:59-04:00"


def t(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """An aware Toronto wall-clock time."""
    return datetime(y, mo, d, h, mi, s, tzinfo=TORONTO)


def registration(at: datetime = REGISTERED) -> Registration:
    return Registration.register(
        EmployeeId("E1"), EmployerId("SUNNY"), IPAC, 1, FundingBasis.SPONSORSHIP, None, at
    )


def result(record_id: str, at: datetime, passed: bool, lms_attempt: int = 1) -> QuizResult:
    score = Decimal("85") if passed else Decimal("40")
    return QuizResult(record_id, "C0912345", "IPAC", lms_attempt, score, passed, at)


def apply_all(results: list[QuizResult], reg: Registration | None = None) -> AttemptLedger:
    reg = reg or registration()
    ledger = AttemptLedger.open(reg, SYNCED)
    for each in results:
        ledger.record(each, reg, SYNCED, SYNCED)
    return ledger


def event_names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


def replayed(aggregate: Aggregate) -> Aggregate:
    copy = None
    for event in aggregate.collect_events():
        copy = event.mutate(copy)
    assert copy is not None
    return copy


class TestAttempts:
    """R8: two attempts; a pass ends them; so does a fail on the last one."""

    def test_a_pass_on_the_first_attempt_ends_the_attempts(self) -> None:
        reg = registration()
        ledger = AttemptLedger.open(reg, SYNCED)

        decision = ledger.record(result("R1", IN_WINDOW, True), reg, SYNCED, SYNCED)

        assert decision == LedgerDecision(Verdict.PASSED, 1)
        assert event_names(ledger)[1:] == ["AttemptRecorded"]
        assert ledger.passed

    def test_a_ledger_read_back_from_its_events_has_ended_its_attempts(self) -> None:
        passed = replayed(apply_all([result("R1", IN_WINDOW, True)]))
        failed = replayed(
            apply_all([result("R1", IN_WINDOW, False), result("R2", LATER, False, 2)])
        )

        assert isinstance(passed, AttemptLedger) and isinstance(failed, AttemptLedger)
        assert (passed.passed, passed.exhausted) == (True, False)
        assert (failed.passed, failed.exhausted) == (False, True)

    @pytest.mark.parametrize(
        ("attempts", "old_event", "ended"),
        [
            pytest.param([True], AttemptLedger.QuizPassed, "passed", id="passed"),
            pytest.param([False, False], AttemptLedger.QuizFailedTwice, "exhausted", id="failed"),
        ],
    )
    def test_a_ledger_written_with_the_old_ending_event_reads_the_same(
        self, attempts: list[bool], old_event: type, ended: str
    ) -> None:
        reg = registration()
        ledger = AttemptLedger.open(reg, SYNCED)
        for n, passed in enumerate(attempts, start=1):
            ledger.record(result(f"R{n}", IN_WINDOW, passed, n), reg, SYNCED, SYNCED)
        field = "passed_at" if ended == "passed" else "failed_at"
        ledger.trigger_event(old_event, timestamp=SYNCED, **{field: IN_WINDOW})

        back = replayed(ledger)

        assert vars(back) | {"_version": 0} == vars(ledger) | {"_version": 0}
        assert (back.passed, back.exhausted) == (ended == "passed", ended == "exhausted")

    def test_an_attempt_after_a_pass_is_refused_as_already_passed(self) -> None:
        ledger = apply_all([result("R1", IN_WINDOW, True)])

        decision = ledger.record(result("R2", LATER, False, 2), registration(), SYNCED, SYNCED)

        assert decision.verdict is Verdict.REFUSED
        assert decision.reason == "the quiz was already passed"
        assert [a.record_id for a in ledger.counted] == ["R1"]

    def test_a_fail_then_a_pass_counts_two_attempts_and_passes(self) -> None:
        reg = registration()
        ledger = AttemptLedger.open(reg, SYNCED)

        first = ledger.record(result("R1", IN_WINDOW, False), reg, SYNCED, SYNCED)
        second = ledger.record(result("R2", LATER, True, 2), reg, SYNCED, SYNCED)

        assert (first, second) == (
            LedgerDecision(Verdict.COUNTED, 1),
            LedgerDecision(Verdict.PASSED, 2),
        )
        assert ledger.passed and not ledger.exhausted

    def test_a_fail_on_the_last_attempt_ends_the_attempts(self) -> None:
        reg = registration()
        ledger = AttemptLedger.open(reg, SYNCED)
        ledger.record(result("R1", IN_WINDOW, False), reg, SYNCED, SYNCED)

        decision = ledger.record(result("R2", LATER, False, 2), reg, SYNCED, SYNCED)

        assert decision == LedgerDecision(Verdict.FAILED_TWICE, 2)
        assert event_names(ledger)[1:] == ["AttemptRecorded", "AttemptRecorded"]
        assert ledger.exhausted and not ledger.passed

    def test_a_third_result_after_two_fails_is_refused(self) -> None:
        ledger = apply_all([result("R1", IN_WINDOW, False), result("R2", LATER, False, 2)])

        decision = ledger.record(result("R3", LATER, True, 2), registration(), SYNCED, SYNCED)

        assert decision.verdict is Verdict.REFUSED
        assert decision.reason == "all 2 attempts were already used"
        assert len(ledger.counted) == 2


class TestTheFirstResult:
    """A ledger whose first result counts is opened by it, in one event (ADR 0029)."""

    def test_a_first_result_that_counts_opens_the_ledger_in_one_event(self) -> None:
        ledger, decision = AttemptLedger.first(
            result("R1", IN_WINDOW, True), registration(), SYNCED, SYNCED
        )

        assert decision == LedgerDecision(Verdict.PASSED, 1)
        assert event_names(ledger) == ["FirstAttemptRecorded"]
        assert [(a.number, a.record_id) for a in ledger.counted] == [(1, "R1")]

    def test_a_first_result_refused_opens_the_ledger_and_records_the_refusal(self) -> None:
        ledger, decision = AttemptLedger.first(
            result("R1", t(2026, 6, 20), True), registration(), SYNCED, SYNCED
        )

        assert decision.verdict is Verdict.REFUSED
        assert decision.reason.endswith(f"outside the access window {WINDOW}")
        assert event_names(ledger) == ["LedgerOpened", "AttemptRefused"]
        assert (ledger.counted, ledger.seen) == ([], {"R1"})

    def test_a_first_fail_on_a_one_attempt_credential_ends_the_attempts(self) -> None:
        one = attrs.evolve(IPAC, max_attempts=1)
        reg = Registration.register(
            EmployeeId("E1"), EmployerId("SUNNY"), one, 1, FundingBasis.SELF_PAY, None, REGISTERED
        )

        ledger, decision = AttemptLedger.first(result("R1", IN_WINDOW, False), reg, SYNCED, SYNCED)

        assert decision == LedgerDecision(Verdict.FAILED_TWICE, 1)
        assert ledger.exhausted and not ledger.passed

    def test_a_ledger_opened_by_its_first_attempt_reads_back_the_same(self) -> None:
        reg = registration()
        ledger, _ = AttemptLedger.first(result("R1", IN_WINDOW, False), reg, SYNCED, SYNCED)
        second = ledger.record(result("R2", LATER, True, 2), reg, SYNCED, SYNCED)

        back = replayed(ledger)

        assert second == LedgerDecision(Verdict.PASSED, 2)
        assert vars(back) | {"_version": 0} == vars(ledger) | {"_version": 0}
        assert isinstance(back, AttemptLedger) and back.version == 2

    def test_opened_then_recorded_reads_the_same_as_opened_by_the_first_attempt(self) -> None:
        reg = registration()
        merged, _ = AttemptLedger.first(result("R1", IN_WINDOW, False), reg, SYNCED, SYNCED)
        old = apply_all([result("R1", IN_WINDOW, False)], reg)

        merged_back, old_back = vars(replayed(merged)), vars(replayed(old))

        state = ("registration_id", "max_attempts", "counted", "refused", "seen", "passed")
        assert {k: merged_back[k] for k in state} == {k: old_back[k] for k in state}


class TestAccessWindow:
    """R7/R8: only attempts from access start (registration + 2h) to access end count."""

    @pytest.mark.parametrize(
        "attempted_at",
        [
            pytest.param(t(2026, 6, 1, 9, 30), id="before-access-starts"),
            pytest.param(t(2026, 6, 1, 10, 59, 59), id="one-second-before-access-starts"),
            pytest.param(t(2026, 6, 16, 0, 0), id="the-midnight-after-access-ends"),
            pytest.param(t(2026, 6, 20, 12), id="days-after-access-ends"),
        ],
    )
    def test_an_attempt_outside_the_window_is_refused_naming_the_window(
        self, attempted_at: datetime
    ) -> None:
        ledger = apply_all([])

        decision = ledger.record(result("R1", attempted_at, True), registration(), SYNCED, SYNCED)

        assert decision.verdict is Verdict.REFUSED
        assert decision.reason.endswith(f"outside the access window {WINDOW}")
        assert (ledger.counted, ledger.passed) == ([], False)

    @pytest.mark.parametrize(
        "attempted_at",
        [
            pytest.param(t(2026, 6, 1, 11, 0), id="the-moment-access-starts"),
            pytest.param(t(2026, 6, 15, 23, 59, 59), id="the-last-second-of-access"),
        ],
    )
    def test_an_attempt_at_the_window_edges_counts(self, attempted_at: datetime) -> None:
        ledger = apply_all([])

        decision = ledger.record(result("R1", attempted_at, True), registration(), SYNCED, SYNCED)

        assert decision == LedgerDecision(Verdict.PASSED, 1)

    def test_a_refused_attempt_does_not_use_up_an_attempt_number(self) -> None:
        ledger = apply_all([result("R0", t(2026, 6, 1, 10), False)])

        decision = ledger.record(result("R1", IN_WINDOW, False), registration(), SYNCED, SYNCED)

        assert decision == LedgerDecision(Verdict.COUNTED, 1)
        assert ledger.refused[0][0] == "R0"

    def test_the_window_starts_two_elapsed_hours_after_registration_across_dst(self) -> None:
        reg = registration(t(2026, 3, 8, 1, 30))  # EST; access at 04:30 EDT, not 03:30
        ledger = AttemptLedger.open(reg, SYNCED)

        early = ledger.record(result("R1", t(2026, 3, 8, 4, 29), True), reg, SYNCED, SYNCED)
        on_time = ledger.record(result("R2", t(2026, 3, 8, 4, 30), True), reg, SYNCED, SYNCED)

        assert (early.verdict, on_time.verdict) == (Verdict.REFUSED, Verdict.PASSED)


class TestLedgerNumbering:
    def test_the_ledger_numbers_attempts_itself_and_keeps_the_lms_attempt(self) -> None:
        ledger = apply_all([result("R1", IN_WINDOW, False, lms_attempt=2)])

        assert [(a.number, a.lms_attempt) for a in ledger.counted] == [(1, 2)]

    def test_the_same_lms_record_applied_twice_is_refused_the_second_time(self) -> None:
        ledger = apply_all([result("R1", IN_WINDOW, False)])

        decision = ledger.record(result("R1", IN_WINDOW, False), registration(), SYNCED, SYNCED)

        assert decision.reason == "LMS record R1 was already applied"
        assert len(ledger.counted) == 1

    def test_replaying_the_events_rebuilds_the_same_counted_attempts(self) -> None:
        results = [result("R0", t(2026, 6, 20), False), result("R1", IN_WINDOW, False)]
        ledger = apply_all([*results, result("R2", LATER, True, 2)])

        copy = replayed(ledger)

        assert isinstance(copy, AttemptLedger)
        assert copy.counted == ledger.counted
        assert (copy.refused, copy.seen, copy.passed) == (ledger.refused, {"R0", "R1", "R2"}, True)


class TestRegistrationOutcome:
    def test_a_registration_failed_at_access_expiry_refuses_a_late_arriving_attempt(self) -> None:
        reg = registration()
        reg.expire_access(t(2026, 6, 16))

        decision = apply_all([], reg).record(result("R1", IN_WINDOW, True), reg, SYNCED, SYNCED)

        assert reg.failure_reason is FailureReason.ACCESS_EXPIRED
        assert decision.reason == "the registration had already failed (access_expired)"

    def test_expiry_after_a_pass_records_access_expired_but_not_a_failure(self) -> None:
        reg = registration()
        reg.succeed(IN_WINDOW, SYNCED, SYNCED)
        reg.collect_events()

        assert reg.expire_access(t(2026, 6, 16)) is True

        assert event_names(reg) == ["AccessExpired"]
        assert (reg.status, reg.access_expired) == (RegistrationStatus.PASSED, True)

    def test_expiry_after_attempts_exhausted_keeps_that_failure_reason(self) -> None:
        reg = registration()
        reg.fail_attempts_exhausted(LATER, SYNCED)
        reg.collect_events()

        reg.expire_access(t(2026, 6, 16))

        assert event_names(reg) == ["AccessExpired"]
        assert reg.failure_reason is FailureReason.ATTEMPTS_EXHAUSTED


class TestCompletion:
    """R9/R10/R14: recorded at the sync, published at 10:00, valid through valid_until."""

    def completion(self, completed_at: datetime) -> Completion:
        return Completion.record(
            registration(), "R1", completed_at, t(2026, 8, 1), 365, OntarioCalendar(), 4, SYNCED
        )

    def test_recording_schedules_publication_by_r10_with_its_calendar(self) -> None:
        completion = self.completion(t(2026, 7, 31, 16))

        deadline = completion.publication
        assert deadline.due_at.isoformat() == "2026-08-03T10:00:00-04:00"
        assert (deadline.rule, deadline.settings_version) == ("R10", 4)
        assert deadline.calendar_id == OntarioCalendar().calendar_id
        assert [(d.action, d.rule) for d in completion.collect_events()[0].deadlines()] == [
            ("publish_completion", "R10")
        ]

    def test_publishing_sets_valid_until_from_the_local_completion_date(self) -> None:
        completion = self.completion(datetime.fromisoformat("2026-08-01T03:30:00+00:00"))
        until = renewed_valid_until(
            completion.completed_at, 365, RenewalBasis.FROM_COMPLETION, None, 60
        )

        completion.publish(until, t(2026, 8, 3, 10, 0, 5))

        assert completion.valid_until == date(2027, 7, 31)
        assert completion.published_at == completion.publication.due_at

    def test_publishing_twice_records_one_event(self) -> None:
        completion = self.completion(t(2026, 7, 31, 16))
        completion.collect_events()

        assert completion.publish(date(2027, 7, 31), t(2026, 8, 3, 10)) is True
        assert completion.publish(date(2027, 7, 31), t(2026, 8, 3, 11)) is False
        assert event_names(completion) == ["CompletionPublished"]


class TestLmsSync:
    @pytest.mark.parametrize(
        ("opened_at", "first"),
        [
            pytest.param(t(2026, 6, 2, 15), "2026-06-03T00:00:00-04:00", id="afternoon"),
            pytest.param(t(2026, 6, 2), "2026-06-03T00:00:00-04:00", id="at-midnight-exactly"),
            pytest.param(t(2026, 3, 7, 15), "2026-03-08T00:00:00-05:00", id="eve-of-spring-dst"),
        ],
    )
    def test_opening_schedules_the_first_midnight_after(
        self, opened_at: datetime, first: str
    ) -> None:
        sync = LmsSync.open(opened_at)

        assert sync.next.due_at.isoformat() == first
        assert (sync.cursor, sync.last_midnight) == (0, None)

    def test_a_midnight_run_schedules_the_next_and_moves_the_cursor(self) -> None:
        sync = LmsSync.open(t(2026, 3, 7, 15))

        sync.midnight_ran(cursor=5, taken=3, processed_at=t(2026, 3, 8, 0, 0, 2))

        assert sync.next.due_at.isoformat() == "2026-03-09T00:00:00-04:00"
        assert sync.last_midnight is not None
        assert sync.last_midnight.isoformat() == "2026-03-08T00:00:00-05:00"
        assert sync.cursor == 5


def prior(*bases: FundingBasis) -> list[PriorRegistration]:
    return [PriorRegistration(basis, Outcome.FAILED) for basis in bases]


SPONSORED, RETAKE, SELF = FundingBasis.SPONSORSHIP, FundingBasis.RETAKE, FundingBasis.SELF_PAY


class TestRetakePayer:
    """R13: the employer pays the covered retakes after a sponsored failure; then the employee."""

    @pytest.mark.parametrize(
        ("history", "covered", "payer"),
        [
            pytest.param(prior(SPONSORED), 1, FeePayer.EMPLOYER, id="first-retake-covered"),
            pytest.param(prior(SPONSORED), 0, FeePayer.EMPLOYEE, id="no-retakes-covered"),
            pytest.param(prior(SPONSORED, RETAKE), 1, FeePayer.EMPLOYEE, id="covered-used-up"),
            pytest.param(prior(SPONSORED, RETAKE), 2, FeePayer.EMPLOYER, id="second-covered"),
            pytest.param(prior(SPONSORED, SELF), 5, FeePayer.EMPLOYEE, id="after-self-paid"),
            pytest.param(prior(SELF), 1, FeePayer.EMPLOYEE, id="self-paid-chain"),
            pytest.param(prior(SELF, SPONSORED), 1, FeePayer.EMPLOYER, id="new-sponsored-chain"),
            pytest.param([], 1, FeePayer.EMPLOYEE, id="no-history"),
        ],
    )
    def test_the_payer_of_a_retake(
        self, history: list[PriorRegistration], covered: int, payer: FeePayer
    ) -> None:
        assert retake_payer(history, covered) is payer
