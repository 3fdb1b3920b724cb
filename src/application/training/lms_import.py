"""Importing the LMS's canonical results CSV into the staging LMS: all rows or none."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

import attrs

from carepassport.application.personal import opened_result, sealed_result
from carepassport.application.store import CarePassportApplication
from carepassport.application.training.ports import ResultFormat, RowReader, StagingLms
from carepassport.domain.errors import ClockWentBackwards, DomainError, InvalidValue
from carepassport.domain.reference import Catalogue
from carepassport.domain.time import local, wall_clock
from carepassport.domain.training.lms import QuizResult
from carepassport.domain.values import credential_code, student_number

COLUMNS = (
    "record_id",
    "student_number",
    "credential_code",
    "attempt",
    "score",
    "passed",
    "attempted_at",
)
BOOLEANS = {"true": True, "false": False}
MAX_SCORE = Decimal(1000)
CANONICAL = "canonical"


@attrs.frozen
class CsvProblem:
    """One bad line: its number in the file (the header is line 1) and what is wrong."""

    line: int
    reason: str

    @property
    def where(self) -> str:
        return f"line {self.line}"


@attrs.frozen
class RecordProblem:
    """One bad result of a batch: its index in the batch (from 0) and what is wrong."""

    item: int
    reason: str

    @property
    def where(self) -> str:
        return f"item {self.item}"


class Rejected(DomainError):
    """Some results are bad; nothing was staged. ``problems`` lists each, where it stands."""

    what = "results"

    def __init__(self, problems: list[CsvProblem] | list[RecordProblem]) -> None:
        listed = "\n".join(f"  {p.where}: {p.reason}" for p in problems)
        super().__init__(f"the {self.what} was rejected, nothing was staged:\n{listed}")
        self.problems = problems


class CsvRejected(Rejected):
    """The file has bad lines; nothing was staged."""

    code = "invalid_csv"
    what = "CSV"


class ResultsRejected(Rejected):
    """The batch has bad results; nothing was staged."""

    code = "invalid_results"
    what = "batch"


@attrs.frozen
class ImportReport:
    """What an import staged, how many rows repeated results already staged, and how many
    rows held no final-quiz result (another format's other quizzes, attempts in progress)."""

    staged: int
    already_staged: int
    skipped: int = 0


def _instant(text: str) -> datetime:
    """ISO-8601; without an offset, Toronto wall-clock time that exists exactly once."""
    moment = datetime.fromisoformat(text)
    return wall_clock(moment) if moment.tzinfo is None else moment


def _row(values: Mapping[str, str]) -> QuizResult:
    """One row as a result, or InvalidValue naming what is wrong."""
    missing = [c for c in COLUMNS if not (values.get(c) or "").strip()]
    if missing:
        raise InvalidValue(f"missing {', '.join(missing)}")
    cell = {c: values[c].strip() for c in COLUMNS}
    if cell["attempt"] not in ("1", "2"):
        raise InvalidValue(f"attempt must be 1 or 2, not {cell['attempt']!r}")
    if cell["passed"].lower() not in BOOLEANS:
        raise InvalidValue(f"passed must be true or false, not {cell['passed']!r}")
    try:
        score = Decimal(cell["score"])
    except InvalidOperation:
        raise InvalidValue(f"score {cell['score']!r} is not a number") from None
    if not score.is_finite() or not 0 <= score <= MAX_SCORE:
        raise InvalidValue(f"score {cell['score']!r} must be from 0 to {MAX_SCORE}")
    try:
        attempted_at = _instant(cell["attempted_at"])
    except ValueError:
        raise InvalidValue(f"attempted_at {cell['attempted_at']!r} is not ISO-8601") from None
    return QuizResult(
        record_id=cell["record_id"],
        student_number=student_number(cell["student_number"]),
        credential_code=credential_code(cell["credential_code"]),
        attempt=int(cell["attempt"]),
        score=score,
        passed=BOOLEANS[cell["passed"].lower()],
        attempted_at=attempted_at,
    )


Row = tuple[int, Mapping[str, str] | str]
"""A row's position (a CSV line, a batch index) and its cells, or why it could not be read."""


def _lines(text: str, columns: Sequence[str]) -> Iterator[Row]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    header = reader.fieldnames or []
    absent = [c for c in columns if c not in header]
    if absent:
        raise CsvRejected([CsvProblem(1, f"header lacks column(s) {', '.join(absent)}")])
    line = 1
    try:
        for values in reader:
            line = reader.line_num
            yield line, "more cells than the header has columns" if None in values else values
    except csv.Error as broken:
        # The record that could not be read starts on the line after the last one read.
        yield line + 1, f"malformed CSV: {broken}"


def _cells(record: Mapping[str, object]) -> dict[str, str]:
    """A result of a JSON batch as the canonical CSV's cells (absent or null is an empty cell,
    booleans are true/false), so that it meets exactly the CSV's row rules."""

    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return {column: cell(record.get(column)) for column in COLUMNS}


class LmsImport:
    """Stages the LMS's nightly CSV; a file with any bad line is rejected whole."""

    def __init__(
        self,
        app: CarePassportApplication,
        staging: StagingLms,
        start: Callable[[datetime], None],
        formats: Sequence[ResultFormat] = (),
    ) -> None:
        self._app = app
        self._staging = staging
        self._start = start
        self._formats = {f.name: f for f in formats}

    def format_names(self) -> list[str]:
        """The formats ``import_csv`` reads: the canonical CSV and the configured LMS exports."""
        return [CANONICAL, *self._formats]

    def import_csv(
        self, text: str, *, format_name: str = CANONICAL, users_csv: str | None = None
    ) -> ImportReport:
        """Validate every line, then stage the new results from now (the import's time).

        A file with a header and no results stages nothing (a quiet night). ``format_name``
        names another LMS's export (``users_csv``: that LMS's users export, if it needs one)."""
        read, columns = self._reader(format_name, users_csv)
        return self._import(
            lambda: _lines(text, columns),
            read,
            lambda problems: CsvRejected([CsvProblem(*p) for p in problems]),
        )

    def import_records(self, records: Sequence[Mapping[str, object]]) -> ImportReport:
        """Stage a batch of results in the canonical columns (an LMS's JSON delivery) by the
        same rules as ``import_csv``: every result valid, or nothing is staged; the problems
        name each bad result by its index in the batch."""
        return self._import(
            lambda: enumerate(_cells(record) for record in records),
            _row,
            lambda problems: ResultsRejected([RecordProblem(*p) for p in problems]),
        )

    def _import(
        self,
        rows: Callable[[], Iterable[Row]],
        read: RowReader,
        rejected: Callable[[list[tuple[int, str]]], DomainError],
    ) -> ImportReport:
        now = self._app.now_for_write()
        latest = self._staging.latest_held_at()
        if latest is not None and now < latest:
            raise ClockWentBackwards(
                f"the import time {local(now).isoformat()} is earlier than the last import "
                f"({local(latest).isoformat()})"
            )
        results, problems, skipped = self._parse(rows(), now, read)
        earlier = self._staging.find([r.record_id for _, r in results])
        fresh: list[QuizResult] = []
        personal = self._app.personal
        for position, result in results:
            known = earlier.get(result.record_id)
            if known is None:
                fresh.append(sealed_result(result, personal))
            elif opened_result(known, personal) != result:
                problems.append(
                    (position, f"record_id {result.record_id} was staged before with other content")
                )
        if problems:
            raise rejected(sorted(problems, key=lambda p: p[0]))
        staged = self._staging.stage(fresh, now)
        self._start(now)
        return ImportReport(staged=staged, already_staged=len(results) - staged, skipped=skipped)

    def _reader(self, name: str, users_csv: str | None) -> tuple[RowReader, Sequence[str]]:
        if name == CANONICAL:
            return _row, COLUMNS
        chosen = self._formats.get(name)
        if chosen is None:
            raise InvalidValue(
                f"unknown import format {name!r}: use {', '.join(self.format_names())}"
            )
        return chosen.reader(users_csv), chosen.columns

    def _parse(
        self, rows: Iterable[Row], now: datetime, read: RowReader
    ) -> tuple[list[tuple[int, QuizResult]], list[tuple[int, str]], int]:
        catalogue = self._app.find(Catalogue, Catalogue.identity())
        known_codes: set[str] = set(catalogue.entries) if catalogue else set()
        problems: list[tuple[int, str]] = []
        seen: dict[str, QuizResult] = {}
        results: list[tuple[int, QuizResult]] = []
        skipped = 0
        for position, values in rows:
            if isinstance(values, str):
                problems.append((position, values))
                continue
            try:
                result = read(values)
            except InvalidValue as bad:
                problems.append((position, bad.message))
                continue
            if result is None:
                skipped += 1
                continue
            reason = self._conflict(result, seen, known_codes, now)
            if reason:
                problems.append((position, reason))
            elif result.record_id not in seen:
                seen[result.record_id] = result
                results.append((position, result))
        return results, problems, skipped

    @staticmethod
    def _conflict(
        result: QuizResult, seen: dict[str, QuizResult], known_codes: set[str], now: datetime
    ) -> str:
        if result.credential_code not in known_codes:
            return f"unknown credential code {result.credential_code}"
        if result.attempted_at > now:
            return (
                f"attempted_at {local(result.attempted_at).isoformat()} is later than the "
                f"import ({local(now).isoformat()})"
            )
        earlier = seen.get(result.record_id)
        if earlier is not None and earlier != result:
            return f"duplicate record_id {result.record_id} with different content"
        return ""
