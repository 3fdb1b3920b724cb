"""Publication to the compliance portal at 10:00 on a business day (R10)."""

from __future__ import annotations

from uuid import UUID

from carepassport.application.store import CarePassportApplication
from carepassport.domain.completion import Completion


class Publications:
    """Publishes recorded completions when their R10 time comes."""

    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app

    def publish(self, completion_id: UUID) -> bool:
        """Scheduled: publish; the business time is the R10 deadline. False if already done."""
        completion = self._app.load(Completion, completion_id, f"completion {completion_id}")
        if not completion.publish(self._app.now()):
            return False
        self._app.record(completion)
        return True
