"""The wired use cases that ``bootstrap()`` hands to entrypoints and embedding code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from eventsourcing.persistence import InfrastructureFactory

from carepassport.application.history import Histories
from carepassport.application.outbox import Outbox
from carepassport.application.ports import Calendar, Clock, Mailer, Views
from carepassport.application.reference import ReferenceData
from carepassport.application.registrations import Registrations
from carepassport.application.scheduler import Scheduler
from carepassport.application.sponsorships import Sponsorships
from carepassport.application.store import CarePassportApplication
from carepassport.domain.registration import EXPIRE_ACCESS, GRANT_ACCESS
from carepassport.domain.sponsorship import ENABLE_SELF_REGISTRATION


@attrs.frozen
class Services:
    """Every use case of the core, grouped by what it works on."""

    app: CarePassportApplication
    reference: ReferenceData
    sponsorships: Sponsorships
    registrations: Registrations
    scheduler: Scheduler
    outbox: Outbox
    histories: Histories

    @classmethod
    def wire(
        cls,
        *,
        env: dict[str, str],
        clock: Clock,
        calendar: Calendar,
        mailer: Mailer,
        views: Callable[[InfrastructureFactory[Any]], Views],
    ) -> Services:
        """Build the application on the given store and adapters."""
        app = CarePassportApplication(env=env, clock=clock, calendar=calendar, views=views)
        reference = ReferenceData(app)
        sponsorships = Sponsorships(app, reference)
        registrations = Registrations(app, reference, sponsorships)
        outbox = Outbox(app, mailer)
        handlers = {
            ENABLE_SELF_REGISTRATION: sponsorships.enable_self_registration,
            GRANT_ACCESS: registrations.grant_access,
            EXPIRE_ACCESS: registrations.expire_access,
        }
        return cls(
            app=app,
            reference=reference,
            sponsorships=sponsorships,
            registrations=registrations,
            scheduler=Scheduler(app, handlers, outbox),
            outbox=outbox,
            histories=Histories(app),
        )

    def close(self) -> None:
        """Release the store's connections."""
        self.app.close()
