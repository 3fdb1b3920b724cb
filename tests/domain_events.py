"""Every event class the domain records, for tests that check a table covers them all."""

from __future__ import annotations

import importlib
import pkgutil

import carepassport.domain
from carepassport.domain.base import DomainEvent


def every_event_class() -> set[type[DomainEvent]]:
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
