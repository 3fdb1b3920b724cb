"""The ``carepassport`` command line (click): parse, call the application, present."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import attrs
import click

from carepassport.bootstrap import DEFAULT_STORE, bootstrap, inbound_files

if TYPE_CHECKING:
    from carepassport.application.services import Services
    from carepassport.entrypoints.http.server import ServeSettings

# Only click and the (light) composition root are imported here: ``--help`` builds nothing, and
# the core, the store and the adapters are loaded by the command that uses them, inside it
# (docs/adr/0025-cli-fast-start.md; tests/integration/test_cli_start.py keeps this honest).

EXIT_REFUSED = 1


def parse_instant(value: str, option: str) -> datetime:
    """ISO-8601; a value without an offset is America/Toronto wall-clock time."""
    from carepassport.domain.errors import InvalidValue
    from carepassport.domain.time import wall_clock

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 date-time (e.g. 2026-04-02T15:00)", param_hint=option
        ) from None
    if moment.tzinfo is not None:
        return moment
    try:
        return wall_clock(moment)
    except InvalidValue as error:
        raise click.BadParameter(error.message, param_hint=option) from None


@attrs.define
class Context:
    """What the global options chose."""

    store: str
    now: datetime | None
    json: bool
    brightspace: Path | None = None
    mail: str | None = attrs.field(default=None, repr=False)  # may hold a password
    running_since: float | None = None

    @contextmanager
    def services(self, writes: bool) -> Iterator[Services]:
        """The wired core on the chosen store and clock, closed afterwards. A read never
        creates a store."""
        services = bootstrap(
            self.store,
            now=self.now,
            running_since=self.running_since,
            create=writes,
            brightspace=self.brightspace,
            mail=self.mail,
        )
        try:
            yield services
        finally:
            services.close()

    def show(self, value: Any) -> None:
        """Print a result as JSON or text (a ``Raw`` document as it is)."""
        from carepassport.entrypoints.present import as_json, as_text

        if isinstance(value, Raw):
            click.echo(value.text, nl=False)
        else:
            click.echo(as_json(value) if self.json else as_text(value))


pass_context = click.make_pass_decorator(Context)


@attrs.frozen
class Raw:
    """A document printed as it is (e.g. CSV), whatever ``--json`` says."""

    text: str


def run(ctx: Context, action: Callable[[Services], Any], *, writes: bool = True) -> None:
    """Call the core; a refusal exits non-zero with its reason on stderr and records nothing."""
    from carepassport.application.training.lms_import import CsvRejected
    from carepassport.application.training.ports import LmsError
    from carepassport.domain.errors import DomainError
    from carepassport.entrypoints.failures import STORE_FAILURES, lms_failure_code

    try:
        with ctx.services(writes) as services:
            result = action(services)
    except DomainError as error:
        details: dict[str, Any] = {"error": error.code, "message": error.message}
        if isinstance(error, CsvRejected):
            details["problems"] = error.problems
        refuse(ctx, details)
    except STORE_FAILURES as error:
        refuse(ctx, {"error": "store_unavailable", "message": f"the store failed: {error}"})
    except LmsError as error:
        refuse(ctx, {"error": lms_failure_code(error), "message": str(error)})
    ctx.show(result)


def refuse(ctx: Context, details: dict[str, Any]) -> NoReturn:
    """Report a refusal on stderr (JSON with ``--json``) and exit non-zero."""
    from carepassport.entrypoints.present import as_json

    if ctx.json:
        click.echo(as_json(details), err=True)
    else:
        click.echo(f"error: {details['message']}", err=True)
    sys.exit(EXIT_REFUSED)


@click.group()
@click.option(
    "--store",
    default=DEFAULT_STORE,
    show_default=True,
    envvar="CAREPASSPORT_STORE",
    help="memory://, sqlite:///path.db or postgresql://user@host:port/database[?schema=NAME]",
)
@click.option(
    "--now",
    "now_text",
    metavar="ISO-8601",
    help="Simulated time (no offset = America/Toronto); also the recording time.",
)
@click.option(
    "--now-since",
    "running_since",
    type=float,
    metavar="UNIX-TIME",
    help="With --now: the clock showed --now at this Unix time and runs on from it (processes "
    "given the same pair agree). Without it, --now stays fixed.",
)
@click.option("--json", "as_json_", is_flag=True, help="One JSON document on stdout.")
@click.option(
    "--brightspace",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="CAREPASSPORT_BRIGHTSPACE",
    help="Brightspace configuration (JSON or TOML): results, enrolment and Data Sets.",
)
@click.option(
    "--mail",
    metavar="URL",
    envvar="CAREPASSPORT_MAIL",
    help="smtp://[user@]host:port[?starttls=true&from=ADDRESS&password_env=VAR], smtps://…, "
    "file:///folder or memory://. Default: .eml files beside the SQLite store.",
)
@click.version_option(package_name="carepassport")
@click.pass_context
def cli(
    click_ctx: click.Context,
    store: str,
    now_text: str | None,
    running_since: float | None,
    as_json_: bool,
    brightspace: Path | None,
    mail: str | None,
) -> None:
    """Care Passport core: sponsored, mandatory, expiring micro-credential training."""
    now = parse_instant(now_text, "--now") if now_text is not None else None
    if running_since is not None and now is None:
        raise click.BadParameter("needs --now", param_hint="--now-since")
    click_ctx.obj = Context(
        store=store,
        now=now,
        json=as_json_,
        brightspace=brightspace,
        mail=mail,
        running_since=running_since,
    )


@cli.group()
def catalog() -> None:
    """The micro-credential catalogue."""


@catalog.command("add")
@click.argument("code")
@click.option("--title", required=True)
@click.option("--validity-days", type=int, default=365, show_default=True)
@click.option("--access-days", type=int, default=14, show_default=True)
@click.option("--max-attempts", type=int, default=2, show_default=True)
@click.option("--fee", default="0.00", show_default=True, help="Registration fee in dollars.")
@click.option("--prerequisite", "prerequisites", multiple=True, help="Repeatable.")
@click.option(
    "--renewal-basis",
    type=click.Choice(["from_completion", "from_previous_expiry"]),
    default="from_completion",
    show_default=True,
)
@pass_context
def catalog_add(
    ctx: Context,
    code: str,
    title: str,
    validity_days: int,
    access_days: int,
    max_attempts: int,
    fee: str,
    prerequisites: tuple[str, ...],
    renewal_basis: str,
) -> None:
    """Add a micro-credential."""
    run(
        ctx,
        lambda s: s.reference.add_micro_credential(
            code,
            title,
            validity_days=validity_days,
            access_days=access_days,
            max_attempts=max_attempts,
            fee=fee,
            prerequisites=list(prerequisites),
            renewal_basis=renewal_basis,
        ),
    )


@catalog.command("list")
@pass_context
def catalog_list(ctx: Context) -> None:
    """List the catalogue."""
    run(ctx, lambda s: s.reference.list_micro_credentials(), writes=False)


@cli.group()
def employers() -> None:
    """Employers, their approvers and retake policy."""


@employers.command("add")
@click.argument("employer_id")
@click.option("--name", required=True)
@click.option("--approver", "approvers", multiple=True, required=True, help="Repeatable.")
@click.option("--retakes-covered", type=int, default=0, show_default=True)
@pass_context
def employers_add(
    ctx: Context, employer_id: str, name: str, approvers: tuple[str, ...], retakes_covered: int
) -> None:
    """Register an employer."""
    run(
        ctx,
        lambda s: s.reference.add_employer(
            employer_id,
            name=name,
            approvers=list(approvers),
            retakes_covered=retakes_covered,
        ),
    )


@cli.group()
def employees() -> None:
    """Employees."""


@employees.command("add")
@click.argument("employee_id")
@click.option("--employer", required=True)
@click.option("--email", required=True)
@click.option("--student-number")
@click.option("--job-function")
@pass_context
def employees_add(
    ctx: Context,
    employee_id: str,
    employer: str,
    email: str,
    student_number: str | None,
    job_function: str | None,
) -> None:
    """Register an employee."""
    run(
        ctx,
        lambda s: s.reference.add_employee(
            employee_id,
            employer=employer,
            email=email,
            student_number_=student_number,
            job_function=job_function,
        ),
    )


@employees.command("set-student-number")
@click.argument("employee_id")
@click.argument("student_number")
@pass_context
def employees_set_student_number(ctx: Context, employee_id: str, student_number: str) -> None:
    """Set or correct a student number; results held for it are applied now (R11)."""
    run(ctx, lambda s: s.reference.set_student_number(employee_id, student_number))


@employees.command("assign-job-function")
@click.argument("employee_id")
@click.argument("name")
@pass_context
def employees_assign_job_function(ctx: Context, employee_id: str, name: str) -> None:
    """Give an employee a job function and exactly its requirements (R1)."""
    run(ctx, lambda s: s.job_functions.assign(employee_id, name))


@employees.command("require")
@click.argument("employee_id")
@click.argument("code")
@pass_context
def employees_require(ctx: Context, employee_id: str, code: str) -> None:
    """Add an individual requirement beyond the employee's job function."""
    run(ctx, lambda s: s.job_functions.require(employee_id, code))


@employees.command("leave")
@click.argument("employee_id")
@pass_context
def employees_leave(ctx: Context, employee_id: str) -> None:
    """The employee left the employer: no more reminders, out of the reports."""
    run(ctx, lambda s: s.job_functions.leave(employee_id))


@cli.group()
def jobfunctions() -> None:
    """Job functions and the micro-credentials they require."""


@jobfunctions.command("add")
@click.argument("name")
@click.option("--requires", "codes", multiple=True, required=True, help="Repeatable.")
@pass_context
def jobfunctions_add(ctx: Context, name: str, codes: tuple[str, ...]) -> None:
    """Define a job function's required micro-credentials."""
    run(ctx, lambda s: s.job_functions.add(name, list(codes)))


@jobfunctions.command("set-requirements")
@click.argument("name")
@click.option("--requires", "codes", multiple=True, required=True, help="Repeatable.")
@pass_context
def jobfunctions_set_requirements(ctx: Context, name: str, codes: tuple[str, ...]) -> None:
    """Change a job function's requirements; its employees' requirements follow."""
    run(ctx, lambda s: s.job_functions.set_requirements(name, list(codes)))


@cli.command()
@click.argument("employee_id")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for a spreadsheet.")
@pass_context
def requirements(ctx: Context, employee_id: str, as_csv: bool) -> None:
    """An employee's required micro-credentials and their state at --now (R1)."""
    if as_csv:
        run(ctx, lambda s: Raw(s.requirements.as_csv(employee_id)), writes=False)
    else:
        run(ctx, lambda s: s.requirements.of_employee(employee_id), writes=False)


@cli.group()
def credentials() -> None:
    """The college's decisions on credentials: suspend, reinstate, revoke, recertify."""


def _credential_command(name: str, verb: str, help_text: str) -> None:
    @credentials.command(name, help=help_text)
    @click.argument("employee_id")
    @click.argument("code")
    @click.option("--reason", required=True)
    @click.option("--notes", default="")
    @pass_context
    def command(ctx: Context, employee_id: str, code: str, reason: str, notes: str) -> None:
        run(ctx, lambda s: getattr(s.credentials, verb)(employee_id, code, reason, notes))


_credential_command("suspend", "suspend", "Suspend a credential.")
_credential_command("reinstate", "reinstate", "Reinstate a suspended credential.")
_credential_command("revoke", "revoke", "Revoke a credential permanently.")
_credential_command(
    "require-recertification",
    "require_recertification",
    "Require the employee to complete the micro-credential again.",
)


@cli.group()
def report() -> None:
    """Reports for employers: compliance counts per micro-credential."""


@report.command("compliance")
@click.argument("employer_id")
@click.option("--job-function", default=None)
@click.option("--csv", "as_csv", is_flag=True, help="CSV for a spreadsheet.")
@pass_context
def report_compliance(
    ctx: Context, employer_id: str, job_function: str | None, as_csv: bool
) -> None:
    """Who is compliant, expiring, expired, in progress or failed, at --now."""

    def build(s: Services) -> Any:
        found = s.reports.compliance(employer_id, job_function)
        return Raw(s.reports.as_csv(found)) if as_csv else found

    run(ctx, build, writes=False)


@cli.command()
@click.argument("employee_id")
@pass_context
def status(ctx: Context, employee_id: str) -> None:
    """The portal view: each micro-credential the employee has touched, and its state."""
    run(ctx, lambda s: s.statuses.of_employee(employee_id), writes=False)


@cli.group()
def lms() -> None:
    """LMS results: import the nightly CSV, run a catch-up sync."""


@lms.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option(
    "--format",
    "format_name",
    help="canonical (the default), or brightspace-quiz-attempts (needs --brightspace).",
)
@click.option(
    "--users",
    "users_file",
    type=click.File("r", encoding="utf-8-sig"),
    help="The LMS's users export (Brightspace: the Users data set).",
)
@pass_context
def lms_import(ctx: Context, csv_file: Any, format_name: str | None, users_file: Any) -> None:
    """Stage the LMS's results CSV (all lines valid, or nothing is staged)."""
    from carepassport.application.training.lms_import import CANONICAL

    chosen = format_name or CANONICAL
    text = _read_text(csv_file, "CSV_FILE")
    users = _read_text(users_file, "--users") if users_file is not None else None
    run(ctx, lambda s: s.lms_import.import_csv(text, format_name=chosen, users_csv=users))


def _read_text(file: Any, hint: str) -> str:
    try:
        text: str = file.read()
    except UnicodeDecodeError as error:
        raise click.BadParameter(f"not UTF-8 text: {error}", param_hint=hint) from None
    return text


@lms.command("sync")
@pass_context
def lms_sync(ctx: Context) -> None:
    """Take in now what the LMS holds (operators' catch-up; published by R10's late clause)."""
    run(ctx, lambda s: s.sync.run_now())


@cli.group()
def completions() -> None:
    """Completions reported by the LMS."""


@completions.command("unmatched")
@pass_context
def completions_unmatched(ctx: Context) -> None:
    """Results held because no employee has their student number (R11)."""
    run(ctx, lambda s: s.statuses.held_results(), writes=False)


@cli.group()
def settings() -> None:
    """Settings that shape decisions (recorded as events)."""


@settings.command("set")
@click.argument("key")
@click.argument("value")
@pass_context
def settings_set(ctx: Context, key: str, value: str) -> None:
    """Change a setting: college_email, optional_holidays (on/off), closure_days (dates)."""
    run(ctx, lambda s: s.reference.change_setting(key, value))


@settings.command("show")
@pass_context
def settings_show(ctx: Context) -> None:
    """Show the settings in force."""
    run(ctx, lambda s: s.reference.show_settings(), writes=False)


@cli.group()
def sponsorships() -> None:
    """Sponsorship requests and the employer's answer."""


@sponsorships.command("request")
@click.argument("employee_id")
@click.argument("codes", nargs=-1, required=True)
@pass_context
def sponsorships_request(ctx: Context, employee_id: str, codes: tuple[str, ...]) -> None:
    """An employee asks the employer to sponsor micro-credentials."""
    run(ctx, lambda s: s.sponsorships.request(employee_id, list(codes)))


@sponsorships.command("request-renewals")
@click.argument("employee_id")
@pass_context
def sponsorships_request_renewals(ctx: Context, employee_id: str) -> None:
    """Request sponsorship for every expired and expiring requirement at once."""
    run(ctx, lambda s: s.requirements.request_renewals(employee_id))


@sponsorships.command("approve")
@click.argument("sponsorship_id")
@click.option("--by", "by", required=True, help="The approver's e-mail address.")
@pass_context
def sponsorships_approve(ctx: Context, sponsorship_id: str, by: str) -> None:
    """The employer's approver says YES."""
    run(ctx, lambda s: s.sponsorships.approve(sponsorship_id, by=by))


@sponsorships.command("decline")
@click.argument("sponsorship_id")
@click.option("--by", "by", required=True, help="The approver's e-mail address.")
@pass_context
def sponsorships_decline(ctx: Context, sponsorship_id: str, by: str) -> None:
    """The employer's approver says NO."""
    run(ctx, lambda s: s.sponsorships.decline(sponsorship_id, by=by))


@sponsorships.command("show")
@click.argument("sponsorship_id")
@pass_context
def sponsorships_show(ctx: Context, sponsorship_id: str) -> None:
    """Show a sponsorship."""
    run(ctx, lambda s: s.sponsorships.show(sponsorship_id), writes=False)


@cli.command()
@click.argument("employee_id")
@click.argument("code")
@click.option("--self-pay", is_flag=True, help="Pay the fee if no sponsorship or policy covers it.")
@pass_context
def register(ctx: Context, employee_id: str, code: str, self_pay: bool) -> None:
    """Register an employee in a micro-credential."""
    run(ctx, lambda s: s.registrations.register(employee_id, code, self_pay=self_pay))


@cli.group()
def registrations() -> None:
    """Registrations."""


@registrations.command("show")
@click.argument("registration_id")
@pass_context
def registrations_show(ctx: Context, registration_id: str) -> None:
    """Show a registration."""
    run(ctx, lambda s: s.registrations.show(registration_id), writes=False)


@cli.command()
@pass_context
def tick(ctx: Context) -> None:
    """Perform all scheduled work due by now, and deliver queued mail."""
    run(ctx, lambda s: s.scheduler.tick())


@cli.command()
@click.argument("aggregate_id")
@click.option("--as-of", "as_of_text", metavar="ISO-8601", help="Show what was known then.")
@pass_context
def history(ctx: Context, aggregate_id: str, as_of_text: str | None) -> None:
    """An aggregate's events with business and recording times."""
    as_of = parse_instant(as_of_text, "--as-of") if as_of_text is not None else None
    run(ctx, lambda s: s.histories.history(aggregate_id, as_of), writes=False)


@cli.group()
def mail() -> None:
    """The mail outbox, and approvers' replies."""


@mail.command("outbox")
@click.option("--to", "recipient", help="Only messages to this address.")
@pass_context
def mail_outbox(ctx: Context, recipient: str | None) -> None:
    """Messages queued by the core: when sent, or attempts, last error and next attempt."""
    from carepassport.application.mail.views import OutboxMessage

    run(ctx, lambda s: [OutboxMessage.of(m) for m in s.outbox.messages(recipient)], writes=False)


@mail.command("receive")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)
@click.option(
    "--authentication",
    metavar="RESULTS",
    help="The receiving server's Authentication-Results verdict, e.g. 'dkim=pass; dmarc=pass'.",
)
@pass_context
def mail_receive(ctx: Context, files: tuple[str, ...], authentication: str | None) -> None:
    """Read approvers' replies (.eml files; - for standard input): YES approves, NO declines.

    Needs CAREPASSPORT_APPROVAL_SECRET. Each file's outcome is listed; a refused reply is
    answered to registered approvers only, and a file read twice changes nothing.
    """
    source = inbound_files(files, stdin=sys.stdin.buffer, authentication=authentication)
    run(ctx, lambda s: s.replies.receive_from(source))


@mail.command("retry")
@click.argument("message_id")
@pass_context
def mail_retry(ctx: Context, message_id: str) -> None:
    """Queue an abandoned message again (by its message_id); it is tried at once."""
    from carepassport.application.mail.views import OutboxMessage

    run(ctx, lambda s: OutboxMessage.of(s.outbox.requeue(message_id)))


@cli.group()
def tokens() -> None:
    """Bearer tokens for the HTTP API (only a hash is stored)."""


@tokens.command("issue")
@click.argument("role")
@click.argument("subject")
@pass_context
def tokens_issue(ctx: Context, role: str, subject: str) -> None:
    """Issue a token for ROLE (employee, approver, college, auditor, lms) and SUBJECT (an
    employee id, an employer id, or who holds it). The token is shown once."""
    run(ctx, lambda s: s.api_tokens.issue(role, subject))


@tokens.command("revoke")
@click.argument("token_id")
@pass_context
def tokens_revoke(ctx: Context, token_id: str) -> None:
    """Stop the token with TOKEN_ID (printed when it was issued) working."""
    run(ctx, lambda s: s.api_tokens.revoke(token_id))


@cli.command()
@pass_context
def demo(ctx: Context) -> None:
    """Walk one employee through request, approval, enablement, registration and access."""
    from carepassport.entrypoints.demo import run_demo
    from carepassport.entrypoints.present import as_json

    timeline = run_demo()
    if ctx.json:
        click.echo(as_json(timeline))
    else:
        for line in timeline:
            click.echo(f"{line['at']:<26} {line['what']}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--tick-every",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How often the scheduler loop ticks; 0 runs no loop (POST /tick does the work).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="API processes (uvicorn workers). Above 1 they run no loops: start `carepassport "
    "worker` beside them for due work and mail (PostgreSQL or SQLite store).",
)
@click.option(
    "--demo",
    "with_demo",
    is_flag=True,
    help="First add the demo catalogue, employer and employee (once) and print a token per role.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines for people (text) or one JSON object a line (json); both carry request ids.",
)
@pass_context
def serve(
    ctx: Context,
    host: str,
    port: int,
    tick_every: float,
    workers: int,
    with_demo: bool,
    log_format: str,
) -> None:
    """Serve the HTTP API on the chosen store until SIGTERM or Ctrl-C: with one process, the
    scheduler loop and mail delivery run beside it; with --workers N, N API processes share
    the store and `carepassport worker` does the rest. With --now the clock stays at that time
    (demos, tests): restart to move it, or give --now-since to let it run."""
    import tempfile

    import uvicorn

    from carepassport.entrypoints.http.logs import configure_logging
    from carepassport.entrypoints.http.metrics import MULTIPROCESS_DIR
    from carepassport.entrypoints.http.server import SERVE_ENV, single_process_app

    if workers > 1 and ctx.store == "memory://":
        raise click.UsageError("--workers needs a store the processes share, not memory://")
    if workers > 1:
        _clock_must_run(ctx)
    if with_demo:
        run(ctx, lambda s: _demo_data(s, f"http://{host}:{port}"))
    configure_logging("json" if log_format == "json" else "text")
    settings = _serve_settings(ctx, f"http://{host}:{port}", log_format)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again for the
    # handler it found: make that a normal exit (code 0) rather than death by signal.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, _exit_normally)
    # uvicorn logs through the handler configured above; its own access log is replaced by the
    # app's, which has the request id and never the query string (docs/adr/0027).
    quiet: dict[str, Any] = {"log_config": None, "access_log": False}
    if workers == 1:
        uvicorn.run(single_process_app(settings, tick_every), host=host, port=port, **quiet)
        return
    os.environ[SERVE_ENV] = settings.to_environment()
    # The processes' request metrics are summed through files in a folder that starts empty.
    os.environ.setdefault(MULTIPROCESS_DIR, tempfile.mkdtemp(prefix="carepassport-metrics-"))
    uvicorn.run(
        "carepassport.entrypoints.http.server:api_only_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        **quiet,
    )


@cli.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Cores in this process, each with its own connections and claims.",
)
@click.option(
    "--tick-every",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How often each core looks for due work.",
)
@click.option(
    "--poll",
    type=click.FloatRange(min=0.05),
    default=0.5,
    show_default=True,
    metavar="SECONDS",
    help="How often each core looks for mail to deliver.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines for people (text) or one JSON object a line (json).",
)
@click.option(
    "--health-port",
    type=click.IntRange(min=1, max=65535),
    metavar="PORT",
    help="Answer /healthz and /readyz on 127.0.0.1:PORT (200 while every loop runs, else 503).",
)
@pass_context
def worker(
    ctx: Context,
    concurrency: int,
    tick_every: float,
    poll: float,
    log_format: str,
    health_port: int | None,
) -> None:
    """Perform due work and deliver mail, without serving HTTP, until SIGTERM or Ctrl-C. Any
    number of workers (and API processes) may share one store: each claims what it does, and
    a dead worker's claims are taken over once their lease runs out."""
    from carepassport.entrypoints.http.logs import configure_logging
    from carepassport.entrypoints.http.server import Worker

    if ctx.store == "memory://":
        raise click.UsageError("a worker needs a store other processes share, not memory://")
    _clock_must_run(ctx)
    configure_logging("json" if log_format == "json" else "text")
    running = Worker(
        _serve_settings(ctx, "", log_format),
        concurrency=concurrency,
        tick_every=tick_every,
        poll=poll,
    )
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: running.stop())
    running.run(health_port)


def _clock_must_run(ctx: Context) -> None:
    """Processes that share work need a clock that moves: with a fixed --now a dead process's
    claims would never run out."""
    if ctx.now is not None and ctx.running_since is None:
        raise click.UsageError(
            "processes that share work need a running clock: give --now-since with --now"
        )


def _serve_settings(ctx: Context, address: str, log_format: str) -> ServeSettings:
    from carepassport.entrypoints.http.server import ServeSettings

    return ServeSettings(
        store=ctx.store,
        portal_url=os.environ.get("CAREPASSPORT_PORTAL_URL") or address,
        now=ctx.now,
        running_since=ctx.running_since,
        mail=ctx.mail,
        brightspace=ctx.brightspace,
        log_format="json" if log_format == "json" else "text",
    )


def _exit_normally(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _demo_data(services: Services, base_url: str) -> Raw:
    from carepassport.entrypoints.demo import DEMO_EMPLOYEE, issue_demo_tokens, seed_demo

    added = seed_demo(services)
    tokens = issue_demo_tokens(services)
    lines = [
        f"Demo data: {', '.join(added) if added else 'already there'}.",
        "Demo tokens (shown once; each run issues new ones):",
        *(f"  {role:<9} {token}" for role, token in tokens.items()),
        "Try:",
        f"  curl -H 'Authorization: Bearer {tokens['employee']}' "
        f"{base_url}/employees/{DEMO_EMPLOYEE}/status",
        "",
    ]
    return Raw("\n".join(lines))


# Registered last: they add their commands to the groups above.
from carepassport.entrypoints import cli_audit, cli_badges, cli_matching, cli_people  # noqa: E402

COMMAND_MODULES = (cli_audit, cli_badges, cli_matching, cli_people)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="carepassport")


__all__ = ["cli", "main"]
