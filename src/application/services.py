"""The wired use cases that ``bootstrap()`` hands to entrypoints and embedding code."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from carepassport.application.access.sign_in import DEFAULT_PORTAL_URL
from carepassport.application.claims import DEFAULT_LEASE, Claims
from carepassport.application.mail.outbox import Outbox
from carepassport.application.store import CarePassportApplication

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory

    from carepassport.application.access.api_access import Access, ApiTokens, IdempotencyKeys
    from carepassport.application.access.session_store import SessionStore
    from carepassport.application.access.sign_in import SignInLinks
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
    from carepassport.application.compliance.ports import ComplianceStore
    from carepassport.application.compliance.reports import Reports
    from carepassport.application.compliance.requirements import Requirements
    from carepassport.application.compliance.status import Statuses
    from carepassport.application.history import Histories
    from carepassport.application.mail.ports import Mailer, ReplyParser
    from carepassport.application.matching.engagements import Engagements
    from carepassport.application.matching.gaps import SkillsGaps
    from carepassport.application.matching.matching import Matching
    from carepassport.application.monitoring import Monitoring
    from carepassport.application.people import People
    from carepassport.application.personal import PersonalData
    from carepassport.application.ports import Calendar, Clock, EventReader, Views
    from carepassport.application.reference import ReferenceData
    from carepassport.application.scheduler import Handler, Scheduler
    from carepassport.application.training.approval_tokens import ApprovalTokens
    from carepassport.application.training.intake import ResultIntake
    from carepassport.application.training.lms_access import LmsAccess
    from carepassport.application.training.lms_import import LmsImport
    from carepassport.application.training.ports import LmsEnrolment, ResultFormat, StagingLms
    from carepassport.application.training.registrations import Registrations
    from carepassport.application.training.replies import ApprovalReplies
    from carepassport.application.training.sponsorships import Sponsorships
    from carepassport.application.training.sync import NightlySync

T = TypeVar("T")


class _UseCase(Generic[T]):
    """A use case built, and its capability's modules imported, when first used; once, under
    the services' lock (the HTTP server's threads share one ``Services``). A command uses one
    or two use cases: building all of them cost every command ~0.1 s of imports (ADR 0025)."""

    def __init__(self, build: Callable[[Services], T]) -> None:
        self._build = build
        self._name = build.__name__

    def __get__(self, services: Services, owner: type[Services]) -> T:
        built: dict[str, Any] = services.__dict__
        if self._name not in built:
            with services._building:
                if self._name not in built:
                    built[self._name] = self._build(services)
        found: T = built[self._name]
        return found


def _use_case(build: Callable[[Services], T]) -> _UseCase[T]:
    return _UseCase(build)


class Services:
    """Every use case of the core, grouped by what it works on. The application, the store's
    tables and the outbox (which delivers after each command) are built at once; each use case
    when it is first used (none of them does anything when built)."""

    def __init__(
        self,
        app: CarePassportApplication,
        *,
        staging: StagingLms,
        compliance_store: ComplianceStore,
        scratch_compliance: Callable[[], ComplianceStore] | None = None,
        tree_store: TreeStore,
        session_store: SessionStore,
        mailer: Mailer,
        enrolment: LmsEnrolment,
        reply_parser: ReplyParser,
        badge_tools: BadgeTools,
        result_formats: Sequence[ResultFormat],
        approval_tokens: ApprovalTokens | None,
        checkpoints: CheckpointFolder,
        portal_url: str,
        closers: Sequence[Callable[[], None]],
        holder: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.app = app
        self.claims = Claims(app.views, app.clock, holder or f"core-{secrets.token_hex(4)}", lease)
        """This core's claims on due work and mail (its holder name names it in the store)."""
        self.outbox = Outbox(app, mailer, self.claims)
        self.closers = tuple(closers)
        self._staging = staging
        self._compliance_store = compliance_store
        self._scratch_compliance = scratch_compliance
        self._tree_store = tree_store
        self.portal_sessions = session_store
        """The portal's sessions, kept beside the events (ADR 0028)."""
        self._enrolment = enrolment
        self._reply_parser = reply_parser
        self._badge_tools = badge_tools
        self._result_formats = result_formats
        self._approval_tokens = approval_tokens
        self._checkpoints = checkpoints
        self._portal_url = portal_url
        self._building = threading.RLock()

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
        sessions: Callable[[InfrastructureFactory[Any]], SessionStore],
        portal_url: str = DEFAULT_PORTAL_URL,
        holder: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
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
            session_store = sessions(app.factory)
        except BaseException:
            app.close()
            raise
        return cls(
            app,
            staging=staging,
            compliance_store=compliance_store,
            scratch_compliance=scratch_compliance,
            tree_store=tree_store,
            session_store=session_store,
            mailer=mailer,
            enrolment=enrolment,
            reply_parser=reply_parser,
            badge_tools=badge_tools,
            result_formats=result_formats,
            approval_tokens=approval_tokens,
            checkpoints=checkpoints,
            portal_url=portal_url,
            closers=closers,
            holder=holder,
            lease=lease,
        )

    def close(self) -> None:
        """Release the store's connections (and the adapters' that need it)."""
        for close in self.closers:
            close()
        self.app.close()

    # Training.

    @_use_case
    def intake(self) -> ResultIntake:
        from carepassport.application.training.intake import ResultIntake

        return ResultIntake(self.app)

    @_use_case
    def reference(self) -> ReferenceData:
        from carepassport.application.reference import ReferenceData

        return ReferenceData(self.app, self.intake, self.job_functions)

    @_use_case
    def sponsorships(self) -> Sponsorships:
        from carepassport.application.training.sponsorships import Sponsorships

        return Sponsorships(self.app, self.reference, self._approval_tokens)

    @_use_case
    def sync(self) -> NightlySync:
        from carepassport.application.training.sync import NightlySync

        return NightlySync(self.app, self._staging, self.intake)

    @_use_case
    def lms_access(self) -> LmsAccess:
        from carepassport.application.training.lms_access import LmsAccess

        return LmsAccess(self.app, self._enrolment)

    @_use_case
    def registrations(self) -> Registrations:
        from carepassport.application.training.registrations import Registrations

        return Registrations(
            self.app,
            self.reference,
            self.sponsorships,
            self.intake,
            self.sync,
            self.requirements,
            self.lms_access,
        )

    @_use_case
    def lms_import(self) -> LmsImport:
        from carepassport.application.training.lms_import import LmsImport

        return LmsImport(self.app, self._staging, self.sync.start, self._result_formats)

    @_use_case
    def replies(self) -> ApprovalReplies:
        from carepassport.application.training.replies import ApprovalReplies

        return ApprovalReplies(
            self.app, self.reference, self.sponsorships, self._reply_parser, self._approval_tokens
        )

    # Compliance.

    @_use_case
    def job_functions(self) -> JobFunctions:
        from carepassport.application.compliance.job_functions import JobFunctions

        return JobFunctions(self.app)

    @_use_case
    def requirements(self) -> Requirements:
        from carepassport.application.compliance.requirements import Requirements

        return Requirements(self.app, self.reference, self.sponsorships)

    @_use_case
    def credentials(self) -> Credentials:
        from carepassport.application.compliance.credentials import Credentials
        from carepassport.application.compliance.ports import Observers

        return Credentials(self.app, Observers(self.issuing, self.matching))

    @_use_case
    def reports(self) -> Reports:
        from carepassport.application.compliance.reports import Reports

        return Reports(self.app, self._compliance_store, self._scratch_compliance)

    @_use_case
    def statuses(self) -> Statuses:
        from carepassport.application.compliance.status import Statuses

        return Statuses(self.app, self.reference, self.badges.held)

    # Badges.

    @_use_case
    def issuing(self) -> Issuing:
        from carepassport.application.badges.issuing import Issuing

        return Issuing(self.app, self._badge_tools, self.matching)

    @_use_case
    def badges(self) -> BadgeReader:
        from carepassport.application.badges.reading import BadgeReader

        return BadgeReader(self.app, self._badge_tools, self.issuing)

    @_use_case
    def verifier(self) -> Verifier:
        from carepassport.application.badges.verification import Verifier

        return Verifier(self.app, self._badge_tools)

    @_use_case
    def issuer(self) -> Issuer:
        from carepassport.application.badges.issuer import Issuer

        return Issuer(self.app, self._badge_tools)

    @_use_case
    def stacking(self) -> Stacking:
        from carepassport.application.badges.stacking import Stacking

        return Stacking(self.app, self.issuing, self.verifier, [self.matching])

    # Matching.

    @_use_case
    def matching(self) -> Matching:
        from carepassport.application.matching.matching import Matching

        return Matching(self.app)

    @_use_case
    def engagements(self) -> Engagements:
        from carepassport.application.matching.engagements import Engagements

        return Engagements(self.app)

    @_use_case
    def skills_gaps(self) -> SkillsGaps:
        from carepassport.application.matching.gaps import SkillsGaps

        return SkillsGaps(self.app, self.reports)

    # Audit.

    @_use_case
    def audit(self) -> AuditLog:
        from carepassport.application.audit.log import AuditLog

        return AuditLog(self.app, self._tree_store, self._badge_tools.keys, self._checkpoints)

    @_use_case
    def rederivation(self) -> Rederivation:
        from carepassport.application.audit.rederive import Rederivation

        return Rederivation(self.app)

    # Access, people, history.

    @_use_case
    def api_tokens(self) -> ApiTokens:
        from carepassport.application.access.api_access import ApiTokens

        return ApiTokens(self.app)

    @_use_case
    def access(self) -> Access:
        from carepassport.application.access.api_access import Access

        return Access(self.app)

    @_use_case
    def idempotency(self) -> IdempotencyKeys:
        from carepassport.application.access.api_access import IdempotencyKeys

        return IdempotencyKeys(self.app)

    @_use_case
    def sign_in(self) -> SignInLinks:
        from carepassport.application.access.sign_in import SignInLinks

        return SignInLinks(self.app, self._portal_url)

    @_use_case
    def people(self) -> People:
        from carepassport.application.people import People

        return People(self.app)

    @_use_case
    def histories(self) -> Histories:
        from carepassport.application.history import Histories

        return Histories(self.app)

    # The scheduler: every capability's scheduled work.

    @_use_case
    def scheduler(self) -> Scheduler:
        from carepassport.application.scheduler import Scheduler
        from carepassport.domain.audit.trail import AUDIT_CHECKPOINT
        from carepassport.domain.compliance.credential import CREDENTIAL_EXPIRY, EXPIRY_REMINDER
        from carepassport.domain.matching.engagement import OUTCOME_DUE, OUTCOME_REMINDER
        from carepassport.domain.training.completion import PUBLISH_COMPLETION
        from carepassport.domain.training.lms import NIGHTLY_SYNC
        from carepassport.domain.training.lms_access import LMS_PROVISIONING
        from carepassport.domain.training.registration import EXPIRE_ACCESS, GRANT_ACCESS
        from carepassport.domain.training.sponsorship import (
            APPROVAL_REMINDER,
            ENABLE_SELF_REGISTRATION,
        )

        sponsorships, registrations = self.sponsorships, self.registrations
        sync, lms_access, credentials = self.sync, self.lms_access, self.credentials
        handlers: dict[str, Handler] = {
            AUDIT_CHECKPOINT: self.audit.scheduled,
            OUTCOME_REMINDER: self.engagements.remind,
            OUTCOME_DUE: self.engagements.overdue,
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
        return Scheduler(self.app, handlers, self.outbox, sync.start, self.claims)

    # What an operator watches (probes and metrics).

    @_use_case
    def monitoring(self) -> Monitoring:
        from carepassport.application.monitoring import Monitoring

        return Monitoring(self.app, self.sync)
