"""An in-memory LMS: results are delivered with the time the LMS held them."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from carepassport.application.training.ports import StagedResult
from carepassport.domain.time import require_aware
from carepassport.domain.training.lms import QuizResult


class InMemoryLms:
    """A fake LMS that keeps state: ``deliver`` adds a result to its feed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._feed: list[StagedResult] = []

    def deliver(self, result: QuizResult, held_at: datetime) -> None:
        """The LMS now holds ``result`` (a re-delivery of a record id is kept too, as an LMS
        might send it; the sync takes a record once)."""
        with self._lock:
            position = len(self._feed) + 1
            self._feed.append(StagedResult(position, require_aware(held_at, "held_at"), result))

    def stage(self, results: Sequence[QuizResult], held_at: datetime) -> int:
        """Deliver several results at once."""
        for result in results:
            self.deliver(result, held_at)
        return len(results)

    def find(self, record_ids: Sequence[str]) -> dict[str, QuizResult]:
        """The first delivered result of each of these record ids."""
        wanted = set(record_ids)
        found: dict[str, QuizResult] = {}
        with self._lock:
            for staged in self._feed:
                record_id = staged.result.record_id
                if record_id in wanted and record_id not in found:
                    found[record_id] = staged.result
        return found

    def latest_held_at(self) -> datetime | None:
        """When the last result was delivered."""
        with self._lock:
            return self._feed[-1].held_at if self._feed else None

    def results_at(self, positions: Sequence[int]) -> list[StagedResult]:
        """The results at these positions (position n is the n-th delivery)."""
        with self._lock:
            return [self._feed[position - 1] for position in positions]

    def results_since(self, cursor: int, limit: int) -> list[StagedResult]:
        """Results after position ``cursor``, in feed order."""
        with self._lock:
            return self._feed[cursor : cursor + limit]
