"""``audit rederive`` knows how every scheduling event's deadlines are derived."""

from __future__ import annotations

from tests.domain_events import every_event_class

from carepassport.application.audit.rederive import RULES


def test_every_event_that_schedules_a_deadline_has_a_rederivation_rule() -> None:
    scheduling = {c for c in every_event_class() if c.schedules}

    missing = sorted(c.__qualname__ for c in scheduling if c not in RULES)

    assert scheduling, "no scheduling events found: the walk of the domain is broken"
    assert missing == []


def test_no_rederivation_rule_is_kept_for_an_event_that_schedules_nothing() -> None:
    idle = sorted(c.__qualname__ for c in RULES if not c.schedules)

    assert idle == []
