"""``audit rederive`` knows how every scheduling event's deadlines are derived."""

from __future__ import annotations

import importlib
import pkgutil

import carepassport.domain
from carepassport.application.audit.rederive import RULES
from carepassport.domain.base import DomainEvent


def _every_event_class() -> set[type[DomainEvent]]:
    for module in pkgutil.walk_packages(carepassport.domain.__path__, "carepassport.domain."):
        importlib.import_module(module.name)
    found: set[type[DomainEvent]] = set()
    todo: list[type[DomainEvent]] = [DomainEvent]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return {c for c in found if _recorded(c)}


def _recorded(c: type[DomainEvent]) -> bool:
    """Whether events of exactly this class are recorded: not a private base, and not the
    declared class the library redefines on its aggregate (the redefinition keeps the name)."""
    redefined = any(sub.__qualname__ == c.__qualname__ for sub in c.__subclasses__())
    return not c.__name__.startswith("_") and not redefined


def test_every_event_that_schedules_a_deadline_has_a_rederivation_rule() -> None:
    scheduling = {c for c in _every_event_class() if c.schedules}

    missing = sorted(c.__qualname__ for c in scheduling if c not in RULES)

    assert scheduling, "no scheduling events found: the walk of the domain is broken"
    assert missing == []


def test_no_rederivation_rule_is_kept_for_an_event_that_schedules_nothing() -> None:
    idle = sorted(c.__qualname__ for c in RULES if not c.schedules)

    assert idle == []
