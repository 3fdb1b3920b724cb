"""The library's save and load paths without their runtime protocol checks.

On Python 3.11 each ``isinstance`` against a ``runtime_checkable`` Protocol walks the protocol's
attributes (~20 us); the library makes two for every aggregate it saves and one for every event
it replays, a quarter of a workflow command's Python on the in-memory store. Our aggregates and
events are the library's own classes, so a plain class check says the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, CanMutateAggregate, DomainEventProtocol


def project(
    events: Iterable[DomainEventProtocol[UUID]], aggregate: Aggregate | None = None
) -> Aggregate | None:
    """The aggregate the events make of ``aggregate`` (``project_aggregate``; from nothing by
    default), or None."""
    for event in events:
        if not isinstance(event, CanMutateAggregate):
            raise TypeError(f"{type(event).__name__} cannot mutate an aggregate")
        aggregate = event.mutate(aggregate)
    return aggregate if isinstance(aggregate, Aggregate) else None


class Collected(ProcessingEvent[UUID]):
    """A ``ProcessingEvent`` that collects our aggregates' events after a plain class check;
    anything else goes through the library's checks as before."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        """Collect pending events from the given aggregates (or events), in order."""
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            else:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)
