"""The nightly sync (R9): at each midnight, take in what the LMS held by then, once."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from uuid import UUID

import attrs

from carepassport.application.personal import opened_result
from carepassport.application.store import CarePassportApplication, ConcurrentUpdate
from carepassport.application.training.intake import ResultIntake, Taken
from carepassport.application.training.ports import Lms, StagedResult
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.training.lms import LmsSync

log = logging.getLogger(__name__)
SYNC_BATCH = 500
"""Results per transaction (ADR 0014)."""
POSITION_SPAN = 2**40
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@attrs.frozen
class SyncReport:
    """What one sync took in."""

    synced_at: datetime
    kind: str
    counted: int
    refused: int
    held: int
    duplicates: int
    cursor: int


@attrs.frozen
class SyncRun:
    """One sync as recorded: midnight (scheduled) or manual, when, and how many it took."""

    kind: str
    ran_at: datetime
    taken: int
    cursor: int


RECENT = 30


def sort_key(staged: StagedResult) -> int:
    """One integer that orders results by attempt time, then feed position (the order R8
    applies them in), and gives the position back (``key % POSITION_SPAN``)."""
    if not 0 < staged.position < POSITION_SPAN:
        raise ValueError(f"feed position {staged.position} is out of range")
    attempted = staged.result.attempted_at - EPOCH
    micros = (attempted.days * 86_400 + attempted.seconds) * 1_000_000 + attempted.microseconds
    return micros * POSITION_SPAN + staged.position


def eligible(staged: StagedResult, at: datetime) -> bool:
    """R9: held by the LMS at or before ``at`` and attempted strictly before it."""
    return staged.held_at <= at and staged.result.attempted_at < at


class NightlySync:
    """Reads the LMS forward from its cursor; every result is taken once (by record id)."""

    def __init__(self, app: CarePassportApplication, lms: Lms, intake: ResultIntake) -> None:
        self._app = app
        self._lms = lms
        self._intake = intake

    def recent(self, limit: int = RECENT) -> list[SyncRun]:
        """The last ``limit`` syncs, newest first, read from the sync's own events."""
        runs: list[SyncRun] = []
        for event in self._app.events.get(LmsSync.identity(), desc=True):
            if isinstance(event, LmsSync.MidnightSyncRan):
                runs.append(SyncRun("midnight", event.midnight, event.taken, event.cursor))
            elif isinstance(event, LmsSync.ManualSyncRan):
                runs.append(SyncRun("manual", event.ran_at, event.taken, event.cursor))
            if len(runs) >= limit:
                break
        return runs

    def start(self, at: datetime) -> None:
        """Start the nightly schedule at the first midnight after ``at`` unless it runs (another
        process starting it at the same moment is as good)."""
        uow = UnitOfWork(self._app)
        self.ensure_scheduled(at, uow)
        try:
            uow.commit()
        except ConcurrentUpdate:
            if self._app.find(LmsSync, LmsSync.identity()) is None:
                raise
            log.info("another process started the nightly sync first")

    def ensure_scheduled(self, at: datetime, uow: UnitOfWork) -> None:
        """Start the nightly schedule (first midnight after ``at``) if it is not running."""
        if uow.find(LmsSync, LmsSync.identity()) is None:
            uow.add(LmsSync.open(at))

    def run_midnight(self, sync_id: UUID, midnight: datetime | None = None) -> bool:
        """Scheduled: the sync of the next due midnight; its business time is that midnight.
        Given ``midnight`` (the scheduled item's), nothing is done unless it is still the next
        one (another process ran it)."""
        feed = self._app.find(LmsSync, sync_id)
        if feed is None or feed.next.due_at > self._app.now():
            return False
        if midnight is not None and feed.next.due_at != midnight:
            return False
        midnight = feed.next.due_at
        counts, cursor = self._take(feed.cursor, midnight)
        feed.midnight_ran(cursor, sum(counts.values()), self._app.now())
        self._app.record(feed)
        log.info("midnight sync %s: %s", midnight.isoformat(), dict(counts))
        return True

    def run_now(self) -> SyncReport:
        """An operator's catch-up: first every midnight sync that is overdue (so what they
        would have taken is recorded at its midnight, R9), then what the LMS holds now,
        recorded now (published by R10's late clause)."""
        now = self._app.now_for_write()
        self.start(now)
        while self.run_midnight(LmsSync.identity()):
            pass
        feed = self._app.load(LmsSync, LmsSync.identity(), "the LMS sync")
        counts, cursor = self._take(feed.cursor, now)
        feed.manual_ran(cursor, sum(counts.values()), now)
        self._app.record(feed)
        return self._report(now, "manual", counts, cursor)

    def _take(self, cursor: int, at: datetime) -> tuple[Counter[Taken], int]:
        """Take every eligible result after ``cursor``, a batch a transaction. The new cursor
        stops before the first result left for a later sync, so none is skipped.

        R8: one night's results are applied in the order they were attempted, whatever their
        order in the LMS's feed. The feed is read twice: first for each eligible result's
        sort key only (one integer, so memory stays small however large the night), then a
        batch at a time in that order (ADR 0014)."""
        keys, cursor = self._eligible(cursor, at)
        counts: Counter[Taken] = Counter()
        for start in range(0, len(keys), SYNC_BATCH):
            positions = [key % POSITION_SPAN for key in keys[start : start + SYNC_BATCH]]
            staged = {
                s.position: opened_result(s.result, self._app.personal)
                for s in self._lms.results_at(positions)
            }
            results = [staged[position] for position in positions]
            uow = UnitOfWork(self._app)
            self._intake.prefetch(results, uow)
            for result in results:
                counts[self._intake.take(result, at, uow)] += 1
            uow.commit()
        return counts, cursor

    def _eligible(self, cursor: int, at: datetime) -> tuple[list[int], int]:
        """The sort keys (attempt time, then feed position) of the results to take, in order,
        and how far the cursor may advance."""
        keys: list[int] = []
        read_from, contiguous = cursor, True
        while batch := self._lms.results_since(read_from, SYNC_BATCH):
            for staged in batch:
                if eligible(staged, at):
                    keys.append(sort_key(staged))
                contiguous = contiguous and eligible(staged, at)
                if contiguous:
                    cursor = staged.position
            read_from = batch[-1].position
        keys.sort()
        return keys, cursor

    @staticmethod
    def _report(at: datetime, kind: str, counts: Counter[Taken], cursor: int) -> SyncReport:
        return SyncReport(
            synced_at=at,
            kind=kind,
            counted=counts[Taken.COUNTED],
            refused=counts[Taken.REFUSED],
            held=counts[Taken.HELD],
            duplicates=counts[Taken.DUPLICATE],
            cursor=cursor,
        )
