"""The scheduler: performs derived deadlines that are due, in due order, each exactly once (§5)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from uuid import UUID

from carepassport.application.claims import Claims
from carepassport.application.mail.outbox import Outbox
from carepassport.application.ports import DueItem
from carepassport.application.results import ProcessedItem, TickReport
from carepassport.application.store import CarePassportApplication, ConcurrentUpdate

log = logging.getLogger(__name__)
CONFLICT_RETRIES = 3
CLAIM_BATCH = 20
"""Due items claimed at a time (all of one due time and priority)."""

Handler = Callable[[DueItem], bool]
"""Performs one due item; False when the aggregate no longer needed the work."""


class Scheduler:
    """Finds due work through the deadline index (never a scan of aggregates) and performs it.

    Due work is claimed before it is performed (``Claims``, ADR 0028): processes sharing a store
    share the items of one due time and priority, and none moves on to later items while earlier
    ones are unsettled. Each handler loads its aggregate and does the work only if the aggregate
    still needs it, so a second tick, or a process that took over a claim, finds nothing left to
    do. Scheduled work records the deadline as its business time; the clock's time is its
    recording time.
    """

    def __init__(
        self,
        app: CarePassportApplication,
        handlers: Mapping[str, Handler],
        outbox: Outbox,
        start: Callable[[datetime], None],
        claims: Claims,
    ) -> None:
        self._app = app
        self._handlers = dict(handlers)
        self._outbox = outbox
        self._start = start
        self._claims = claims

    def tick(self, *, deliver: bool = True) -> TickReport:
        """Perform the work due at or before now that no other process has claimed, in due
        order, then (unless ``deliver`` is false: a worker delivers on its own) deliver queued
        mail. Work that another live process holds is left to it."""
        now = self._app.now_for_write()
        sent_before = self._outbox.delivered
        self._start(now)
        self._app.catch_up()
        processed: list[ProcessedItem] = []
        with self._outbox.deferred(), self._claims.kept_alive():
            self._perform_due(now, processed)
        if deliver:
            self._outbox.deliver()
        return TickReport(
            now=now, processed=processed, mail_delivered=self._outbox.delivered - sent_before
        )

    def _perform_due(self, now: datetime, processed: list[ProcessedItem]) -> None:
        attempted: set[tuple[UUID, str, datetime]] = set()
        claims = self._claims
        while batch := self._app.views.claim_due(now, claims.holder, claims.until(), CLAIM_BATCH):
            for item in batch:
                key = (item.aggregate_id, item.action, item.due_at)
                if key in attempted:
                    log.warning(
                        "%s on %s was not settled by its work; settling it",
                        item.action,
                        item.aggregate_id,
                    )
                    self._app.views.resolve(item.aggregate_id, item.action, item.sequence)
                    continue
                attempted.add(key)
                processed.append(self._perform(item))

    def _perform(self, item: DueItem) -> ProcessedItem:
        handler = self._handlers.get(item.action.split(":", 1)[0])
        if handler is None:
            raise LookupError(f"no handler for scheduled action {item.action!r}")
        did_work = self._run(handler, item)
        if not did_work and item.due_at <= self._app.now():
            # (An item not yet due by this process's clock is left as it is, never settled.)
            self._app.views.resolve(item.aggregate_id, item.action, item.sequence)
            # Another process may have done the work and scheduled the next (the midnight
            # chain): apply its events before the index is read again, or the next read could
            # pass over the work it scheduled and run later work first.
            self._app.catch_up()
        return ProcessedItem(
            action=item.action,
            rule=item.rule,
            aggregate_id=item.aggregate_id,
            due_at=item.due_at,
            processed_at=self._app.now(),
            outcome="done" if did_work else "nothing to do",
        )

    @staticmethod
    def _run(handler: Handler, item: DueItem) -> bool:
        """Run a handler; on a write conflict, run it again on fresh state: it then finds the
        work done (by another process) or does it."""
        for _ in range(CONFLICT_RETRIES):
            try:
                return handler(item)
            except ConcurrentUpdate:
                log.info(
                    "%s on %s met a concurrent write; retrying", item.action, item.aggregate_id
                )
        return handler(item)

    def pending(self) -> int:
        """How many scheduled items are not yet settled."""
        self._app.catch_up()
        return self._app.views.pending_count()
