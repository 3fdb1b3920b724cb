"""The wired use cases that ``bootstrap()`` hands to entrypoints and embedding code."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory

from carepassport.application.access.api_access import Access, ApiTokens, IdempotencyKeys
from carepassport.application.access.sign_in import DEFAULT_PORTAL_URL, SignInLinks
from carepassport.application.audit.log import AuditLog
from carepassport.application.audit.ports import CheckpointFolder, TreeStore
from carepassport.application.audit.rederive import Rederivation
from carepassport.application.badges.issuer import Issuer
from carepassport.application.badges.issuing import Issuing
from carepassport.application.badges.ports import BadgeTools
from carepassport.application.badges.reading import BadgeReader
from carepassport.application.badges.stacking import Stacking
from carepassport.application.badges.verification import Verifier
from carepassport.application.compliance.credentials import Credentials
from carepassport.application.compliance.job_functions import JobFunctions
from carepassport.application.compliance.ports import ComplianceStore, Observers
from carepassport.application.compliance.reports import Reports
from carepassport.application.compliance.requirements import Requirements
from carepassport.application.compliance.status import Statuses
from carepassport.application.history import Histories
from carepassport.application.mail.outbox import Outbox
from carepassport.application.mail.ports import Mailer, ReplyParser
from carepassport.application.matching.engagements import Engagements
from carepassport.application.matching.gaps import SkillsGaps
from carepassport.application.matching.matching import Matching
from carepassport.application.people import People
from carepassport.application.personal import PersonalData
from carepassport.application.ports import Calendar, Clock, EventReader, Views
from carepassport.application.reference import ReferenceData
from carepassport.application.scheduler import Handler, Scheduler
from carepassport.application.store import CarePassportApplication
from carepassport.application.training.approval_tokens import ApprovalTokens
from carepassport.application.training.intake import ResultIntake
from carepassport.application.training.lms_access import LmsAccess
from carepassport.application.training.lms_import import LmsImport
from carepassport.application.training.ports import LmsEnrolment, ResultFormat, StagingLms
from carepassport.application.training.registrations import Registrations
from carepassport.application.training.replies import ApprovalReplies
from carepassport.application.training.sponsorships import Sponsorships
from carepassport.application.training.sync import NightlySync
from carepassport.domain.audit.trail import AUDIT_CHECKPOINT
from carepassport.domain.compliance.credential import CREDENTIAL_EXPIRY, EXPIRY_REMINDER
from carepassport.domain.matching.engagement import OUTCOME_DUE, OUTCOME_REMINDER
from carepassport.domain.training.completion import PUBLISH_COMPLETION
from carepassport.domain.training.lms import NIGHTLY_SYNC
from carepassport.domain.training.lms_access import LMS_PROVISIONING
from carepassport.domain.training.registration import EXPIRE_ACCESS, GRANT_ACCESS
from carepassport.domain.training.sponsorship import APPROVAL_REMINDER, ENABLE_SELF_REGISTRATION


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
    replies: ApprovalReplies
    api_tokens: ApiTokens
    access: Access
    idempotency: IdempotencyKeys
    issuer: Issuer
    issuing: Issuing
    badges: BadgeReader
    verifier: Verifier
    stacking: Stacking
    matching: Matching
    engagements: Engagements
    skills_gaps: SkillsGaps
    audit: AuditLog
    rederivation: Rederivation
    people: People
    sign_in: SignInLinks
    closers: tuple[Callable[[], None], ...] = ()

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
        reader: Callable[[ApplicationRecorder], EventReader],
        compliance: Callable[[InfrastructureFactory[Any]], ComplianceStore],
        scratch_compliance: Callable[[], ComplianceStore] | None = None,
        enrolment: LmsEnrolment,
        reply_parser: ReplyParser,
        badge_tools: BadgeTools,
        result_formats: Sequence[ResultFormat] = (),
        closers: Sequence[Callable[[], None]] = (),
        approval_tokens: ApprovalTokens | None = None,
        tree: Callable[[InfrastructureFactory[Any]], TreeStore],
        checkpoints: CheckpointFolder,
        personal: Callable[[InfrastructureFactory[Any]], PersonalData],
        portal_url: str = DEFAULT_PORTAL_URL,
    ) -> Services:
        """Build the application on the given store and adapters. The views, the compliance
        model and the LMS are built on the store's infrastructure (they may share its pool).
        Without approval tokens (no secret configured), requests carry none and replies are
        not read (R3)."""
        app = CarePassportApplication(
            env=env,
            clock=clock,
            calendar=calendar,
            views=views,
            reader=reader,
            personal=personal,
        )
        try:
            staging = lms(app.factory)
            compliance_store = compliance(app.factory)
            tree_store = tree(app.factory)
        except BaseException:
            app.close()
            raise
        intake = ResultIntake(app)
        job_functions = JobFunctions(app)
        reference = ReferenceData(app, intake, job_functions)
        sponsorships = Sponsorships(app, reference, approval_tokens)
        sync = NightlySync(app, staging, intake)
        requirements = Requirements(app, reference, sponsorships)
        lms_access = LmsAccess(app, enrolment)
        registrations = Registrations(
            app, reference, sponsorships, intake, sync, requirements, lms_access
        )
        outbox = Outbox(app, mailer)
        matching = Matching(app)
        issuing = Issuing(app, badge_tools, matching)
        credentials = Credentials(app, Observers(issuing, matching))
        badge_reader = BadgeReader(app, badge_tools, issuing)
        verifier = Verifier(app, badge_tools)
        engagements = Engagements(app)
        reports = Reports(app, compliance_store, scratch_compliance)
        audit = AuditLog(app, tree_store, badge_tools.keys, checkpoints)

        handlers: dict[str, Handler] = {
            AUDIT_CHECKPOINT: audit.scheduled,
            OUTCOME_REMINDER: engagements.remind,
            OUTCOME_DUE: engagements.overdue,
            ENABLE_SELF_REGISTRATION: lambda i: sponsorships.enable_self_registration(
                i.aggregate_id
            ),
            APPROVAL_REMINDER: sponsorships.remind_approvers,
            GRANT_ACCESS: lambda i: registrations.grant_access(i.aggregate_id),
            EXPIRE_ACCESS: lambda i: registrations.expire_access(i.aggregate_id),
            NIGHTLY_SYNC: lambda i: sync.run_midnight(i.aggregate_id, i.due_at),
            LMS_PROVISIONING: lambda i: lms_access.retry(i.aggregate_id),
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
            lms_import=LmsImport(app, staging, sync.start, result_formats),
            statuses=Statuses(app, reference, badge_reader.held),
            job_functions=job_functions,
            credentials=credentials,
            requirements=requirements,
            reports=reports,
            replies=ApprovalReplies(app, reference, sponsorships, reply_parser, approval_tokens),
            api_tokens=ApiTokens(app),
            access=Access(app),
            idempotency=IdempotencyKeys(app),
            issuer=Issuer(app, badge_tools),
            issuing=issuing,
            badges=badge_reader,
            verifier=verifier,
            stacking=Stacking(app, issuing, verifier, [matching]),
            matching=matching,
            engagements=engagements,
            skills_gaps=SkillsGaps(app, reports),
            audit=audit,
            rederivation=Rederivation(app),
            people=People(app),
            sign_in=SignInLinks(app, portal_url),
            closers=tuple(closers),
        )

    def close(self) -> None:
        """Release the store's connections (and the adapters' that need it)."""
        for close in self.closers:
            close()
        self.app.close()
