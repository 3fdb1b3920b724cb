"""R3 reminders: the policy's times (table) and the sponsorship's reminder ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import eventsourcing.persistence as es
import pytest

from carepassport.adapters.calendar import OntarioCalendar
from carepassport.application.transcodings import TRANSCODINGS
from carepassport.domain.reference import Employer
from carepassport.domain.time import TORONTO
from carepassport.domain.training.policies import approval_reminder_times
from carepassport.domain.training.sponsorship import Sponsorship, SponsorshipStatus
from carepassport.domain.values import CredentialCode, EmailAddress, EmployeeId, EmployerId

DEFAULT = OntarioCalendar()
OPTIONAL = OntarioCalendar(optional_holidays=True)
BOSS = EmailAddress("boss@sunny.example")


def toronto(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=TORONTO)


def closed(*days: date) -> OntarioCalendar:
    return OntarioCalendar(closure_days=frozenset(days))


class TestApprovalReminderTimes:
    """09:00 on the 2nd and the 4th business day after the request's local date."""

    @pytest.mark.parametrize(
        ("requested_at", "calendar", "expected"),
        [
            pytest.param(toronto(2026, 6, 1, 10), DEFAULT,
                         ["2026-06-03T09:00:00-04:00", "2026-06-05T09:00:00-04:00"],
                         id="monday-to-wednesday-and-friday"),
            pytest.param(toronto(2026, 6, 1, 8), DEFAULT,
                         ["2026-06-03T09:00:00-04:00", "2026-06-05T09:00:00-04:00"],
                         id="before-nine-counts-from-the-next-day-too"),
            pytest.param(toronto(2026, 6, 4, 16), DEFAULT,
                         ["2026-06-08T09:00:00-04:00", "2026-06-10T09:00:00-04:00"],
                         id="thursday-over-the-weekend"),
            pytest.param(toronto(2026, 6, 5, 10), DEFAULT,
                         ["2026-06-09T09:00:00-04:00", "2026-06-11T09:00:00-04:00"],
                         id="friday-to-tuesday-and-thursday"),
            pytest.param(toronto(2026, 6, 6, 10), DEFAULT,
                         ["2026-06-09T09:00:00-04:00", "2026-06-11T09:00:00-04:00"],
                         id="saturday-counts-from-monday"),
            pytest.param(toronto(2026, 6, 7, 23, 30), DEFAULT,
                         ["2026-06-09T09:00:00-04:00", "2026-06-11T09:00:00-04:00"],
                         id="sunday-night-counts-from-monday"),
            pytest.param(datetime(2026, 6, 2, 2, 30, tzinfo=UTC), DEFAULT,
                         ["2026-06-03T09:00:00-04:00", "2026-06-05T09:00:00-04:00"],
                         id="utc-input-on-the-previous-local-date"),
            pytest.param(toronto(2026, 3, 31, 10), DEFAULT,
                         ["2026-04-02T09:00:00-04:00", "2026-04-07T09:00:00-04:00"],
                         id="good-friday-skipped"),
            pytest.param(toronto(2026, 3, 31, 10), OPTIONAL,
                         ["2026-04-02T09:00:00-04:00", "2026-04-08T09:00:00-04:00"],
                         id="easter-monday-skipped-with-optional-holidays"),
            pytest.param(toronto(2026, 7, 30, 10), DEFAULT,
                         ["2026-08-03T09:00:00-04:00", "2026-08-05T09:00:00-04:00"],
                         id="civic-holiday-is-a-business-day-by-default"),
            pytest.param(toronto(2026, 7, 30, 10), OPTIONAL,
                         ["2026-08-04T09:00:00-04:00", "2026-08-06T09:00:00-04:00"],
                         id="civic-holiday-skipped-with-optional-holidays"),
            pytest.param(toronto(2026, 12, 23, 10), DEFAULT,
                         ["2026-12-29T09:00:00-05:00", "2026-12-31T09:00:00-05:00"],
                         id="christmas-and-boxing-day-observed"),
            pytest.param(toronto(2026, 12, 31, 10), DEFAULT,
                         ["2027-01-05T09:00:00-05:00", "2027-01-07T09:00:00-05:00"],
                         id="year-end-and-new-years-day"),
            pytest.param(toronto(2026, 3, 5, 10), DEFAULT,
                         ["2026-03-09T09:00:00-04:00", "2026-03-11T09:00:00-04:00"],
                         id="across-the-spring-dst-change"),
            pytest.param(toronto(2026, 6, 1, 10), closed(date(2026, 6, 3)),
                         ["2026-06-04T09:00:00-04:00", "2026-06-08T09:00:00-04:00"],
                         id="closure-day-pushes-both"),
        ],
    )  # fmt: skip
    def test_reminder_times(
        self, requested_at: datetime, calendar: OntarioCalendar, expected: list[str]
    ) -> None:
        times = approval_reminder_times(requested_at, calendar)

        assert [t.isoformat() for t in times] == expected


MONDAY = toronto(2026, 6, 1, 10)
WEDNESDAY_NINE = toronto(2026, 6, 3, 9)
FRIDAY_NINE = toronto(2026, 6, 5, 9)


def requested() -> Sponsorship:
    return Sponsorship.request(
        EmployeeId("E1"),
        EmployerId("SUNNY"),
        [CredentialCode("IPAC")],
        1,
        MONDAY,
        calendar=DEFAULT,
        settings_version=4,
    )


def employer() -> Employer:
    return Employer.add(EmployerId("SUNNY"), "Sunny", [BOSS], 0, MONDAY)


class TestSponsorshipReminders:
    def test_a_request_schedules_two_r3_reminders_with_its_calendar_and_settings(self) -> None:
        s = requested()

        event = s.collect_events()[0]

        assert isinstance(event, Sponsorship.SponsorshipRequested)
        assert [d.action for d in event.deadlines()] == [
            "approval_reminder:1",
            "approval_reminder:2",
        ]
        assert [d.due_at for d in s.reminders] == [WEDNESDAY_NINE, FRIDAY_NINE]
        assert {(d.rule, d.calendar_id, d.settings_version) for d in s.reminders} == {
            ("R3", DEFAULT.calendar_id, 4)
        }

    def test_a_reminder_is_recorded_once_with_its_due_time_as_business_time(self) -> None:
        s = requested()

        assert s.remind(1, toronto(2026, 6, 3, 9, 5)) is True
        assert s.remind(1, toronto(2026, 6, 3, 9, 6)) is False

        sent = s.collect_events()[-1]
        assert isinstance(sent, Sponsorship.ApprovalReminderSent)
        assert sent.reminded_at == WEDNESDAY_NINE
        assert sent.settled_actions() == ("approval_reminder:1",)

    def test_no_reminder_after_an_answer(self) -> None:
        s = requested()
        s.decline(employer(), BOSS, toronto(2026, 6, 2, 12))

        assert s.remind(1, WEDNESDAY_NINE) is False
        assert s.status is SponsorshipStatus.DECLINED

    def test_an_answer_settles_every_reminder(self) -> None:
        s = requested()
        s.approve(employer(), BOSS, toronto(2026, 6, 2, 12), DEFAULT, 4)

        granted = s.collect_events()[-1]

        assert isinstance(granted, Sponsorship.ApprovalGranted)
        assert granted.settled_actions() == ("approval_reminder:1", "approval_reminder:2")

    def test_a_late_scheduler_sends_only_the_latest_due_reminder(self) -> None:
        s = requested()
        late = toronto(2026, 6, 8, 10)

        assert s.remind(1, late) is False
        assert s.remind(2, late) is True

    def test_there_is_no_third_reminder(self) -> None:
        assert requested().remind(3, toronto(2026, 7, 1)) is False

    def test_a_request_recorded_before_reminders_existed_loads_without_reminders(self) -> None:
        transcoder = es.JSONTranscoder()
        for transcoding in (es.UUIDAsHex(), es.DatetimeAsISO(), *TRANSCODINGS):
            transcoder.register(transcoding)
        mapper: es.Mapper[UUID] = es.Mapper(transcoder)
        s = Sponsorship.request(
            EmployeeId("E1"), EmployerId("SUNNY"), [CredentialCode("IPAC")], 1, MONDAY,
            calendar=DEFAULT, settings_version=0,
        )  # fmt: skip
        stored = mapper.to_stored_event(s.collect_events()[0])
        state = transcoder.decode(stored.state)
        for v2_only in ("reminders", "class_version"):
            del state[v2_only]
        v1 = es.StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                            transcoder.encode(state))  # fmt: skip

        loaded = mapper.to_domain_event(v1).mutate(None)

        assert isinstance(loaded, Sponsorship)
        assert (loaded.reminders, loaded.remind(1, FRIDAY_NINE)) == ([], False)
