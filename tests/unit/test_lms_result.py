"""An LMS result's record: taken and applied in one event, or, as older stores hold it,
received and then applied; both read the same."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from carepassport.domain.time import TORONTO
from carepassport.domain.training.lms import LmsResult, QuizResult, ResultOutcome

ATTEMPTED = datetime(2026, 6, 3, 14, 0, tzinfo=TORONTO)
SYNCED = datetime(2026, 6, 4, 0, 0, tzinfo=TORONTO)
RESULT = QuizResult("R1", "C0912345", "IPAC", 1, Decimal("85"), True, ATTEMPTED)


def replayed(record: LmsResult) -> LmsResult:
    copy = None
    for event in record.collect_events():
        copy = event.mutate(copy)
    assert isinstance(copy, LmsResult)
    return copy


def test_a_result_applied_at_once_is_one_event_with_its_outcome() -> None:
    registration = uuid4()

    record = LmsResult.take(RESULT, SYNCED, registration, ResultOutcome.COUNTED, "", SYNCED)

    (event,) = record.collect_events()
    assert isinstance(event, LmsResult.ResultTaken)
    assert (event.registration_id, event.outcome, event.received_at) == (
        registration,
        "counted",
        SYNCED,
    )


def test_a_taken_result_reads_as_a_received_then_applied_one() -> None:
    registration = uuid4()
    older = LmsResult.receive(RESULT, SYNCED, SYNCED)
    older.applied(registration, ResultOutcome.REFUSED, "outside the window", SYNCED, SYNCED)
    taken = LmsResult.take(
        RESULT, SYNCED, registration, ResultOutcome.REFUSED, "outside the window", SYNCED
    )

    old_state = vars(replayed(older))
    new_state = vars(replayed(taken))

    moving = {"_version", "_modified_on"}
    assert {k: v for k, v in new_state.items() if k not in moving} == {
        k: v for k, v in old_state.items() if k not in moving
    }
    assert new_state["outcome"] is ResultOutcome.REFUSED
