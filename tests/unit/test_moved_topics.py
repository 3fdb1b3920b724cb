"""Every class a store may name under its old flat module resolves to the moved class."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, resolve_topic

from carepassport.application.topics import MOVED_MODULES, register_moved_topics


def stored_classes(module: ModuleType) -> list[type]:
    """The aggregates defined in ``module`` and their event classes (what topics name)."""
    found: list[type] = []
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if issubclass(cls, Aggregate) and cls.__module__ == module.__name__:
            found.append(cls)
            found.extend(
                event
                for _, event in inspect.getmembers(cls, inspect.isclass)
                if issubclass(event, Aggregate.Event)
                and event.__qualname__.startswith(cls.__qualname__ + ".")
            )
    return found


@pytest.mark.parametrize("old", sorted(MOVED_MODULES))
def test_each_class_of_an_old_module_resolves_from_its_old_topic(old: str) -> None:
    register_moved_topics()
    classes = stored_classes(MOVED_MODULES[old])

    for cls in classes:
        assert resolve_topic(f"{old}:{cls.__qualname__}") is cls


def test_every_module_holding_an_aggregate_kept_its_place_or_has_an_alias() -> None:
    import carepassport.domain

    unmoved = {"carepassport.domain.reference", "carepassport.domain.settings"}
    born_in_place = {  # new since the layout: never stored under another name
        "carepassport.domain.audit.trail",
        "carepassport.domain.badges.badge",
        "carepassport.domain.badges.issuer",
        "carepassport.domain.badges.pathway",
        "carepassport.domain.badges.status_list",
        "carepassport.domain.erasure",
        "carepassport.domain.sign_in",
        "carepassport.domain.matching.candidates",
        "carepassport.domain.matching.colleges",
        "carepassport.domain.matching.engagement",
        "carepassport.domain.matching.skills",
        "carepassport.domain.matching.vacancy",
    }
    holding = set()
    for info in pkgutil.walk_packages(carepassport.domain.__path__, "carepassport.domain."):
        module = importlib.import_module(info.name)
        if stored_classes(module):
            holding.add(info.name)
    aliased = {module.__name__ for module in MOVED_MODULES.values()}

    assert holding - unmoved - aliased - born_in_place == set()
    assert len(holding) == 26


def test_new_events_are_recorded_under_the_moved_modules() -> None:
    from carepassport.domain.training.sponsorship import Sponsorship

    register_moved_topics()

    assert get_topic(Sponsorship.SponsorshipRequested) == (
        "carepassport.domain.training.sponsorship:Sponsorship.SponsorshipRequested"
    )
    assert resolve_topic(get_topic(Sponsorship)) is Sponsorship
