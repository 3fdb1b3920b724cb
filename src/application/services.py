"""The wired use cases that ``bootstrap()`` hands to entrypoints and embedding code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from eventsourcing.persistence import InfrastructureFactory

from carepassport.application.credentials import Credentials
from carepassport.application.history import Histories
from carepassport.application.intake import ResultIntake
from carepassport.application.job_functions import JobFunctions
from carepassport.application.lms_import import LmsImport
from carepassport.application.outbox import Outbox
from carepassport.application.ports import (
    Calendar,
    Clock,
    ComplianceStore,
    Mailer,
    StagingLms,
    Views,
)
from carepassport.application.reference import ReferenceData
from carepassport.application.registrations import Registrations
from carepassport.application.reports import Reports
from carepassport.application.requirements import Requirements
from carepassport.application.scheduler import Handler, Scheduler
from carepassport.application.sponsorships import Sponsorships
from carepassport.application.status import Statuses
from carepassport.application.store import CarePassportApplication
from carepassport.application.sync import NightlySync
from carepassport.domain.completion import PUBLISH_COMPLETION
from carepassport.domain.credential import CREDENTIAL_EXPIRY, EXPIRY_REMINDER
from carepassport.domain.lms import NIGHTLY_SYNC
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
    sync: NightlySync
    lms_import: LmsImport
    statuses: Statuses
    job_functions: JobFunctions
    credentials: Credentials
    requirements: Requirements
    reports: Reports

    @classmethod
    def wire(
        cls,
        *,
        env: dict[str, str],
        clock: Clock,
        calendar: Calendar,
        mailer: Mailer,
        lms: Callable[[InfrastructureFactory[Any]], StagingLms],
        views: Callable[[InfrastructureFactory[Any]], Views],
        compliance: Callable[[InfrastructureFactory[Any]], ComplianceStore],
    ) -> Services:
        """Build the application on the given store and adapters. The views, the compliance
        model and the LMS are built on the store's infrastructure (they may share its pool)."""
        app = CarePassportApplication(env=env, clock=clock, calendar=calendar, views=views)
        try:
            staging = lms(app.factory)
            compliance_store = compliance(app.factory)
        except BaseException:
            app.close()
            raise
        intake = ResultIntake(app)
        job_functions = JobFunctions(app)
        reference = ReferenceData(app, intake, job_functions)
        sponsorships = Sponsorships(app, reference)
        sync = NightlySync(app, staging, intake)
        requirements = Requirements(app, reference, sponsorships)
        registrations = Registrations(app, reference, sponsorships, intake, sync, requirements)
        outbox = Outbox(app, mailer)
        credentials = Credentials(app)
        handlers: dict[str, Handler] = {
            ENABLE_SELF_REGISTRATION: lambda i: sponsorships.enable_self_registration(
                i.aggregate_id
            ),
            GRANT_ACCESS: lambda i: registrations.grant_access(i.aggregate_id),
            EXPIRE_ACCESS: lambda i: registrations.expire_access(i.aggregate_id),
            NIGHTLY_SYNC: lambda i: sync.run_midnight(i.aggregate_id, i.due_at),
            PUBLISH_COMPLETION: credentials.publish,
            EXPIRY_REMINDER: credentials.remind,
            CREDENTIAL_EXPIRY: credentials.expire,
        }
        return cls(
            app=app,
            reference=reference,
            sponsorships=sponsorships,
            registrations=registrations,
            scheduler=Scheduler(app, handlers, outbox, sync.start),
            outbox=outbox,
            histories=Histories(app),
            sync=sync,
            lms_import=LmsImport(app, staging, sync.start),
            statuses=Statuses(app, reference),
            job_functions=job_functions,
            credentials=credentials,
            requirements=requirements,
            reports=Reports(app, compliance_store),
        )

    def close(self) -> None:
        """Release the store's connections."""
        self.app.close()
