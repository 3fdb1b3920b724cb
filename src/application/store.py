"""The event-sourced application: persistence, time, and the derived views kept in step."""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    InfrastructureFactory,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Recording,
)

from carepassport.application.event_paths import Collected, project
from carepassport.application.personal import (
    PersonalData,
    SealedAsDict,
    SealingEventStore,
    SealingMapper,
    sealed_changes,
)
from carepassport.application.ports import Calendar, Clock, EventReader, ViewChanges, Views
from carepassport.application.projections import changes_for
from carepassport.application.topics import register_moved_topics
from carepassport.application.transcodings import transcodings
from carepassport.domain.badges.status_list import StatusList
from carepassport.domain.errors import ClockWentBackwards, DomainError, NotFound
from carepassport.domain.settings import Settings, SettingsRecord, default_settings
from carepassport.domain.time import BusinessCalendar, local, require_aware
from carepassport.domain.training.lms import LmsSync

log = logging.getLogger(__name__)

A = TypeVar("A", bound=Aggregate)
CATCH_UP_BATCH = 500


def _copy(aggregate: Aggregate) -> Aggregate:
    """A copy of ``aggregate`` that changes to it never reach: its attributes copied, and its
    containers (lists, dicts, sets: an aggregate's only mutable state) copied deeply."""
    clone = copy.copy(aggregate)
    for name, value in vars(aggregate).items():
        if isinstance(value, list | dict | set):
            setattr(clone, name, copy.deepcopy(value))
    return clone


def recorded_at(event: DomainEventProtocol[UUID]) -> datetime:
    """When the library recorded an event (its ``timestamp``)."""
    moment: datetime = getattr(event, "timestamp")  # noqa: B009 (not on the protocol)
    return moment


class StoreUnavailable(DomainError):
    """The store cannot be opened or used; nothing was recorded."""

    code = "store_unavailable"


class ConcurrentUpdate(DomainError):
    """Another command changed the same records first; nothing of this one was recorded."""

    code = "conflict"


class CarePassportApplication(Application[UUID]):
    """One bounded context on one store: every aggregate, one notification log."""

    name = "CarePassport"
    snapshotting_intervals: ClassVar[dict[Any, int]] = {LmsSync: 50, StatusList: 200}
    """The nightly sync gains an event every day, a status list one per badge; snapshots keep
    loading them cheap."""
    snapshotted_ids: ClassVar[frozenset[UUID]] = frozenset(
        {LmsSync.identity(), *(StatusList.identity(n) for n in range(1, 65))}
    )
    """The ids of the aggregates of those types (the sync is one, with a fixed id). Others are
    read from their events alone, without first asking the snapshots table (a query each)."""
    kept_fresh_ids: ClassVar[frozenset[UUID]] = frozenset(
        StatusList.identity(n) for n in range(1, 65)
    )
    """The status lists: read for nearly every badge issued or verified, with many events each.
    A copy is kept and brought up to date with the events recorded since (one indexed read)
    instead of being rebuilt from its snapshot and events each time."""
    KEPT_FRESH_MAX = 64

    def __init__(
        self,
        *,
        env: dict[str, str],
        clock: Clock,
        calendar: Calendar,
        views: Callable[[InfrastructureFactory[Any]], Views],
        reader: Callable[[ApplicationRecorder], EventReader],
        personal: Callable[[InfrastructureFactory[Any]], PersonalData],
    ) -> None:
        register_moved_topics()
        self._personal_on = personal
        super().__init__(env=env)
        self.clock = clock
        self.calendar = calendar
        self.reader = reader(self.recorder)
        try:
            self.views = views(self.factory)
        except BaseException:
            self.close()
            raise
        self.after_record: list[Callable[[], object]] = []
        self._latest_known: tuple[int, datetime] | None = None
        self._views_at: int | None = None
        self._read_ahead: dict[UUID, Aggregate | None] = {}
        self._fresh: dict[UUID, Aggregate] = {}
        self._fresh_lock = threading.Lock()
        """Aggregates read ahead for the command under way (``reading``)."""
        """The views' position as this process last left them (they never move back)."""
        """The notification id and recording time of the latest event this process has seen."""

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper, sealing personal data per subject on the way (ADR 0023)."""
        self.personal: PersonalData = self._personal_on(self.factory)
        return SealingMapper(
            transcoder=self.construct_transcoder(),
            cipher=self.factory.cipher(),
            compressor=self.factory.compressor(),
            personal=self.personal,
        )

    def construct_event_store(self) -> EventStore[UUID]:
        """The library's event store, making the data keys a write needs together."""
        assert isinstance(self.mapper, SealingMapper)
        return SealingEventStore(self.mapper, self.recorder)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add transcodings for the values our events carry (deadlines, dates, sealed data)."""
        super().register_transcodings(transcoder)
        for transcoding in (*transcodings(), SealedAsDict()):
            transcoder.register(transcoding)

    def close(self) -> None:
        """Close the store and the key store."""
        try:
            super().close()
        finally:
            personal = getattr(self, "personal", None)
            if personal is not None:
                personal.close()

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's ``save`` (record, snapshots, notify), collecting without its runtime
        protocol checks (``event_paths``)."""
        processing_event = Collected()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    # --- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The clock's time, on Toronto wall-clock time."""
        return local(require_aware(self.clock.now(), "clock time"))

    def now_for_write(self) -> datetime:
        """The clock's time for a writing command: never earlier than the latest recorded event.

        The latest event is read before the clock, so an event another process recorded
        meanwhile is not mistaken for a clock going backwards. A clock that is behind (another
        machine's clock ahead of this one's) is refused, retryably, never adjusted: every read
        and every event of the command uses this same clock (ADR 0028).
        """
        latest = self.latest_recorded_at()
        now = self.now()
        if latest is not None and now < latest:
            raise ClockWentBackwards(
                f"the time {now.isoformat()} is earlier than the latest recorded event "
                f"({local(latest).isoformat()}); history cannot be rewritten"
            )
        return now

    def latest_recorded_at(self) -> datetime | None:
        """When the latest event in the store was recorded: one query, and the event decoded
        only when it is not the one whose time this process already knows."""
        latest = self.reader.latest()
        if latest is None:
            return None
        if self._latest_known is None or self._latest_known[0] != latest.id:
            self._latest_known = (latest.id, recorded_at(self.mapper.to_domain_event(latest)))
        return self._latest_known[1]

    # --- settings and calendar ---------------------------------------------------------------

    def settings(self) -> Settings:
        """The settings now in force."""
        record = self.find(SettingsRecord, SettingsRecord.identity())
        return record.current if record else default_settings()

    def business_calendar(self, settings: Settings | None = None) -> BusinessCalendar:
        """The business calendar under the given (or current) settings."""
        return self.calendar.for_settings(settings or self.settings())

    # --- loading and saving -----------------------------------------------------------------

    def find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate as known at the clock's time, or None if it did not exist then.

        Writes always run at or after the latest event, so they see the latest state; a read
        at an earlier time (a simulation's ``--now``) sees what was recorded by then.
        """
        if aggregate_id in self._read_ahead:
            ahead = self._read_ahead.pop(aggregate_id)
            return ahead if isinstance(ahead, kind) else None
        try:
            aggregate: Aggregate = (
                self._get_fresh(aggregate_id)
                if aggregate_id in self.kept_fresh_ids
                else self._get(aggregate_id)
            )
        except AggregateNotFoundError:
            return None
        now = self.clock.now()
        if aggregate.modified_on > now:
            known = [
                e.originator_version for e in self.events.get(aggregate_id) if recorded_at(e) <= now
            ]
            if not known:
                return None
            aggregate = self._get(aggregate_id, version=known[-1])
        if not isinstance(aggregate, kind):
            return None
        return aggregate

    def _get(self, aggregate_id: UUID, version: int | None = None) -> Aggregate:
        """``repository.get``, skipping the snapshot query for aggregates never snapshotted."""
        if aggregate_id in self.snapshotted_ids:
            found: Aggregate = self.repository.get(aggregate_id, version=version)
            return found
        aggregate = project(self.events.get(aggregate_id, lte=version))
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    def _get_fresh(self, aggregate_id: UUID) -> Aggregate:
        """The latest state of a ``kept_fresh`` aggregate: the kept copy with the events
        recorded after it applied (the same state ``_get`` rebuilds), returned as a copy of
        its own so that a command changing it never changes the kept one."""
        with self._fresh_lock:
            kept = self._fresh.get(aggregate_id)
            if kept is None:
                kept = self._get(aggregate_id)
            else:
                kept = project(self.events.get(aggregate_id, gt=kept.version), kept) or kept
            if aggregate_id not in self._fresh and len(self._fresh) >= self.KEPT_FRESH_MAX:
                self._fresh.clear()
            self._fresh[aggregate_id] = kept
            return _copy(kept)

    def find_many(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate | None]:
        """Several aggregates as ``find`` gives them (None where there is none), their events
        read together. One that changed after the clock's time is read again by ``find``."""
        wanted = list(dict.fromkeys(ids))
        read = list(self.reader.events_of(wanted))
        decoded: dict[UUID, list[Any]] = {aggregate_id: [] for aggregate_id in wanted}
        assert isinstance(self.mapper, SealingMapper)
        for stored, event in zip(read, self.mapper.to_domain_events(read), strict=True):
            key = stored.originator_id  # the id asked for, as the readers give it
            decoded[key if isinstance(key, UUID) else UUID(str(key))].append(event)
        now = self.clock.now()
        found: dict[UUID, Aggregate | None] = {}
        for aggregate_id, events in decoded.items():
            aggregate: Aggregate | None = None
            if events:
                aggregate = project(events)
                if aggregate is None or aggregate.modified_on > now:
                    aggregate = self.find(Aggregate, aggregate_id)
            found[aggregate_id] = aggregate
        return found

    @contextmanager
    def reading(self, ids: Callable[[], Iterable[UUID]]) -> Iterator[None]:
        """Within the block, the first ``find`` of each aggregate in ``ids()`` (misses too) is
        served from one read of them all: a command's loads in one query instead of one each.
        Until this process records anything: then the rest is read again as usual. When the
        ids cannot be made (an invalid argument), nothing is read ahead and the command's own
        checks refuse it as before. The snapshotted sync is left to ``find``."""
        try:
            wanted = [i for i in ids() if i not in self.snapshotted_ids]
        except DomainError:
            wanted = []
        self._read_ahead = dict(self.find_many(wanted)) if wanted else {}
        try:
            yield
        finally:
            self._read_ahead = {}

    def load(self, kind: type[A], aggregate_id: UUID, what: str) -> A:
        """The aggregate, or a clear NotFound naming ``what`` was asked for."""
        aggregate = self.find(kind, aggregate_id)
        if aggregate is None:
            raise NotFound(f"{what} not found")
        return aggregate

    def sequence(self, kind: type[A], identity: Callable[[int], UUID]) -> Iterator[A]:
        """Aggregates with ids numbered 1, 2, ... until the first number not in the store."""
        number = 1
        while (aggregate := self.find(kind, identity(number))) is not None:
            yield aggregate
            number += 1

    def forget_cached(self) -> None:
        """Drop every aggregate this process keeps decoded (after personal data was erased,
        nothing read before may be served again)."""
        with self._fresh_lock:
            self._fresh = {}
        self._read_ahead = {}

    def record(self, *aggregates: Aggregate) -> None:
        """Save aggregates in one transaction with the derived views' changes where the store
        can (otherwise bring the views up to date after it)."""
        self._read_ahead = {}
        in_step = _ViewsInStep(aggregates, self.personal)
        try:
            recordings = self.save(*aggregates, **self.views.alongside(in_step.changes))
        except IntegrityError:
            raise ConcurrentUpdate(
                "another command changed the same records at the same time; try again"
            ) from None
        if in_step.applied:
            self._views_at = recordings[-1].notification.id
        elif not self._apply_recorded(recordings):
            self.catch_up()
        if recordings:
            latest = recordings[-1]
            self._latest_known = (latest.notification.id, recorded_at(latest.domain_event))
        for hook in self.after_record:
            hook()

    def _apply_recorded(self, recordings: list[Recording[UUID]]) -> bool:
        """Bring the views up to date with what was just saved, from the events in hand (no
        reading back and decoding). Only when they follow on from the views' position without a
        gap; otherwise (another writer came between) False, and ``catch_up`` reads the log."""
        if not recordings:
            return True
        ids = [r.notification.id for r in recordings]
        first, last = ids[0], ids[-1]
        if last - first != len(ids) - 1 or self.views.position() != first - 1:
            return False
        events = [(r.notification.id, r.domain_event) for r in recordings]
        try:
            self.views.apply(self._view_changes(events), after=first - 1, position=last)
        except IntegrityError:
            return False
        self._views_at = last
        return True

    def _view_changes(self, events: list[tuple[int, DomainEventProtocol[UUID]]]) -> ViewChanges:
        return sealed_changes(changes_for(events), self.personal)

    def catch_up(self) -> int:
        """Apply every event not yet in the views, in notification order; returns how many."""
        applied = 0
        while True:
            # Nothing after where this process last left the views: done, in one small query.
            # Otherwise the views' own position says where to start: other processes sharing
            # the store apply their events in their own transactions, so their events are
            # usually applied already and are not read and decoded here (ADR 0028).
            known = self._views_at
            if known is not None and not self.recorder.select_notifications(
                start=known + 1, limit=1
            ):
                return applied
            start = self.views.position() + 1
            batch = self.recorder.select_notifications(start=start, limit=CATCH_UP_BATCH)
            if not batch:
                self._views_at = start - 1
                return applied
            events = [(n.id, self.mapper.to_domain_event(n)) for n in batch]
            try:
                self.views.apply(self._view_changes(events), after=start - 1, position=batch[-1].id)
            except IntegrityError:
                log.info("another process advanced the views past %s; reading on", start)
                self._views_at = None
                continue
            self._views_at = batch[-1].id
            applied += len(batch)


class _ViewsInStep:
    """The view changes of the events a save is about to record, for the store to apply in the
    same transaction once it knows their notification ids (``Views.alongside``)."""

    def __init__(self, aggregates: Iterable[Aggregate], personal: PersonalData) -> None:
        self.personal = personal
        seen: set[int] = set()
        self.events: list[DomainEventProtocol[UUID]] = []
        for aggregate in aggregates:  # in the order ``save`` collects them
            if id(aggregate) not in seen:
                seen.add(id(aggregate))
                self.events.extend(aggregate.pending_events)
        self.applied = False

    def changes(self, ids: Sequence[int]) -> ViewChanges:
        """The changes, the events numbered ``ids``; from now on the views are in step."""
        if len(ids) != len(self.events):
            raise ValueError(f"{len(ids)} notification ids for {len(self.events)} events")
        self.applied = True
        return sealed_changes(changes_for(zip(ids, self.events, strict=True)), self.personal)
