"""What an operator watches: the work waiting in the store, read at one moment (issue 16,
docs/adr/0027-observability.md). Counts and times only: no message, address or name."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from carepassport.application.store import CarePassportApplication

if TYPE_CHECKING:
    from carepassport.application.training.sync import NightlySync


@attrs.frozen
class Backlog:
    """The work waiting in the store at ``at`` (the application's clock)."""

    at: datetime
    deadlines_due: int
    """Unsettled deadlines due by ``at``: what the next tick will do."""
    deadlines_pending: int
    """Every unsettled deadline, due or not."""
    mail_undelivered: int
    """Messages neither sent nor abandoned: the outbox's depth."""
    oldest_undelivered_at: datetime | None
    """When the oldest of those was queued (None when there is none)."""
    last_sync_at: datetime | None
    """The last LMS sync: the midnight it synced (R9), or a manual sync's time; None before
    the first."""

    @property
    def oldest_undelivered_age(self) -> float:
        """Seconds since the oldest undelivered message was queued (0 when there is none)."""
        if self.oldest_undelivered_at is None:
            return 0.0
        return max(0.0, (self.at - self.oldest_undelivered_at).total_seconds())


class Monitoring:
    """Cheap reads for probes and metrics: the views' own counts, and the sync's last run."""

    def __init__(self, app: CarePassportApplication, sync: NightlySync) -> None:
        self._app = app
        self._sync = sync

    def ping(self) -> int:
        """One cheap query on the store (the views' position): raises if the store does not
        answer. Readiness asks this; it catches nothing up."""
        return self._app.views.position()

    def backlog(self) -> Backlog:
        """The deadlines and mail waiting now, and when the LMS was last synced."""
        self._app.catch_up()
        now = self._app.now()
        views = self._app.views
        last = self._sync.recent(1)
        return Backlog(
            at=now,
            deadlines_due=views.due_count(now),
            deadlines_pending=views.pending_count(),
            mail_undelivered=views.undelivered_count(),
            oldest_undelivered_at=views.oldest_undelivered(),
            last_sync_at=last[0].ran_at if last else None,
        )
