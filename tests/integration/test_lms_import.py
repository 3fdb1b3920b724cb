"""Importing the LMS's canonical CSV: every line valid, or nothing is staged."""

from __future__ import annotations

import re

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from carepassport.application.training.lms_import import CsvRejected
from carepassport.domain.errors import ClockWentBackwards
from tests.conftest import toronto

HEADER = "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"
GOOD = HEADER + (
    "R1,C0912345,IPAC,1,40,false,2026-07-28T14:00\n"
    "R2,C0912345,IPAC,2,90,true,2026-07-29T14:00:00-04:00\n"
)


@pytest.fixture
def importing(college: Services, clock: SettableClock) -> Services:
    clock.set(toronto(2026, 7, 30, 1, 0))
    return college


class TestImport:
    def test_valid_rows_are_staged_from_the_import_time(
        self, importing: Services, lms: InMemoryLms
    ) -> None:
        report = importing.lms_import.import_csv(GOOD)

        staged = lms.results_since(0, 10)
        assert (report.staged, report.already_staged) == (2, 0)
        assert [s.result.record_id for s in staged] == ["R1", "R2"]
        assert {s.held_at for s in staged} == {toronto(2026, 7, 30, 1, 0)}
        assert staged[0].result.attempted_at == toronto(2026, 7, 28, 14, 0)

    def test_importing_the_same_rows_again_stages_nothing_new(
        self, importing: Services, lms: InMemoryLms
    ) -> None:
        importing.lms_import.import_csv(GOOD)

        report = importing.lms_import.import_csv(GOOD)

        assert (report.staged, report.already_staged) == (0, 2)
        assert len(lms.results_since(0, 10)) == 2

    def test_a_file_with_bad_lines_is_rejected_whole_with_each_line_and_reason(
        self, importing: Services, lms: InMemoryLms
    ) -> None:
        text = HEADER + (
            "R1,C0912345,IPAC,1,40,false,2026-07-28T14:00\n"
            "R2,C0912345,IPAC,3,90,true,2026-07-29T14:00\n"
            "R3,C0912345,NOPE,1,90,true,2026-07-29T14:00\n"
            "R4,C0912345,IPAC,1,90,maybe,2026-07-29T14:00\n"
            "R5,C0912345,IPAC,1,90,true,yesterday\n"
            "R6,,IPAC,1,90,true,2026-07-29T14:00\n"
            "R1,C0912345,IPAC,1,41,false,2026-07-28T14:00\n"
            "R7,C0912345,IPAC,1,90,true,2026-08-29T14:00\n"
            "R8,C0912345,IPAC,1,ninety,true,2026-07-29T14:00\n"
        )

        with pytest.raises(CsvRejected) as rejected:
            importing.lms_import.import_csv(text)

        reasons = {p.line: p.reason for p in rejected.value.problems}
        assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10]
        assert "attempt must be 1 or 2" in reasons[3]
        assert "unknown credential code NOPE" in reasons[4]
        assert "passed must be true or false" in reasons[5]
        assert "not ISO-8601" in reasons[6]
        assert "missing student_number" in reasons[7]
        assert "duplicate record_id R1 with different content" in reasons[8]
        assert "later than the import" in reasons[9]
        assert "not a number" in reasons[10]
        assert lms.results_since(0, 10) == []

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            (
                "record_id,student_number,credential_code,attempt,score,passed\nR1,S,IPAC,1,1,true\n",
                "header lacks column(s) attempted_at",
            ),
            ("", "header lacks column(s)"),
            (HEADER + "R1,C1,IPAC,1,40,false,2026-07-28T14:00,extra\n", "more cells"),
        ],
        ids=["missing-column", "empty-file", "extra-cell"],
    )
    def test_a_malformed_file_is_rejected_with_the_reason(
        self, importing: Services, lms: InMemoryLms, text: str, reason: str
    ) -> None:
        with pytest.raises(CsvRejected, match=re.escape(reason)):
            importing.lms_import.import_csv(text)

        assert lms.results_since(0, 10) == []

    def test_a_file_with_a_header_and_no_results_stages_nothing(
        self, importing: Services, lms: InMemoryLms
    ) -> None:
        report = importing.lms_import.import_csv(HEADER)

        assert (report.staged, report.already_staged) == (0, 0)
        assert lms.results_since(0, 10) == []

    @pytest.mark.parametrize(
        ("row", "reason"),
        [
            ("R1,C1,IPAC,1,-5,false,2026-07-28T14:00", "score '-5' must be from 0"),
            ("R1,C1,IPAC,1,1e400,false,2026-07-28T14:00", "score '1e400' must be from 0"),
            ("R1,C1,IPAC,1,40,false,2026-03-08T02:30", "does not exist in Toronto"),
            ("R1,C1,IPAC,1,40,false,2026-11-01T01:30", "happens twice in Toronto"),
            ('R1,C1,IPAC,1,40,false,"2026-07-28T14:00', "malformed CSV"),
        ],
        ids=["negative-score", "huge-score", "dst-gap", "dst-repeat", "unclosed-quote"],
    )
    def test_a_bad_value_is_rejected_with_its_line(
        self, importing: Services, lms: InMemoryLms, row: str, reason: str
    ) -> None:
        with pytest.raises(CsvRejected) as rejected:
            importing.lms_import.import_csv(HEADER + row + "\n")

        assert [p.line for p in rejected.value.problems] == [2]
        assert reason in rejected.value.problems[0].reason
        assert lms.results_since(0, 10) == []

    def test_an_import_earlier_than_the_last_import_is_refused(
        self, importing: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        importing.lms_import.import_csv(GOOD)
        clock.set(toronto(2026, 7, 30, 0, 30))

        with pytest.raises(ClockWentBackwards):
            importing.lms_import.import_csv(
                HEADER + "R9,C0912345,IPAC,1,40,false,2026-07-28T14:00\n"
            )

        assert len(lms.results_since(0, 10)) == 2

    def test_a_record_staged_before_with_other_content_is_rejected(
        self, importing: Services, lms: InMemoryLms
    ) -> None:
        importing.lms_import.import_csv(GOOD)
        changed = HEADER + "R1,C0912345,IPAC,1,45,false,2026-07-28T14:00\n"

        with pytest.raises(CsvRejected, match="staged before with other content"):
            importing.lms_import.import_csv(changed)

        assert len(lms.results_since(0, 10)) == 2
