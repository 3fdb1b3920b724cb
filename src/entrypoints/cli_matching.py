"""The matching commands: skills, colleges and intakes, candidates, vacancies, matches."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from carepassport.entrypoints.cli import (
    Context,
    Raw,
    catalog,
    cli,
    parse_instant,
    pass_context,
    report,
    run,
)

if TYPE_CHECKING:
    from carepassport.application.services import Services

DAY = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@cli.group()
def skills() -> None:
    """The skills vacancies ask for and micro-credentials teach."""


@skills.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--uri", default="", help="The skill's URI in a framework, e.g. ESCO.")
@pass_context
def skills_add(ctx: Context, code: str, name: str, uri: str) -> None:
    """Add a skill (or rename one, or give it its URI)."""
    run(ctx, lambda s: s.matching.add_skill(code, name, uri))


@skills.command("add-curated")
@pass_context
def skills_add_curated(ctx: Context) -> None:
    """Add the curated set for personal support workers (NOC 2021 33102)."""
    run(ctx, lambda s: s.matching.add_curated_skills())


@skills.command("list")
@pass_context
def skills_list(ctx: Context) -> None:
    """Every skill, by code."""
    run(ctx, lambda s: s.matching.skills(), writes=False)


@catalog.command("set-skills")
@click.argument("code")
@click.option("--skill", "skill_codes", multiple=True, required=True, metavar="SKILL")
@pass_context
def catalog_set_skills(ctx: Context, code: str, skill_codes: tuple[str, ...]) -> None:
    """The skills micro-credential CODE teaches (replacing what it taught)."""
    run(ctx, lambda s: s.matching.teach(code, list(skill_codes)))


@catalog.command("offer")
@click.argument("code")
@click.option("--college", "college_id", required=True)
@pass_context
def catalog_offer(ctx: Context, code: str, college_id: str) -> None:
    """CODE is taught by another college (default: this one, HOME)."""
    run(ctx, lambda s: s.matching.offer(code, college_id))


@catalog.command("add-intake")
@click.argument("code")
@click.argument("starts", type=DAY)
@pass_context
def catalog_add_intake(ctx: Context, code: str, starts: datetime) -> None:
    """A start date of CODE (YYYY-MM-DD, not in the past)."""
    run(ctx, lambda s: s.matching.add_intake(code, starts.date()))


@cli.group()
def colleges() -> None:
    """The colleges that train micro-credentials (approved ones close candidates' gaps)."""


@colleges.command("add")
@click.argument("college_id")
@click.option("--name", required=True)
@click.option("--approved/--not-approved", default=False)
@pass_context
def colleges_add(ctx: Context, college_id: str, name: str, approved: bool) -> None:
    """Add a college."""
    run(ctx, lambda s: s.matching.add_college(college_id, name, approved))


@colleges.command("list")
@pass_context
def colleges_list(ctx: Context) -> None:
    """Every college."""
    run(ctx, lambda s: s.matching.colleges(), writes=False)


@cli.group()
def seekers() -> None:
    """Job seekers who are not employees of a member employer."""


@seekers.command("add")
@click.argument("seeker_id")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--region", required=True)
@click.option("--relocate", is_flag=True, help="Would move for a vacancy elsewhere.")
@pass_context
def seekers_add(
    ctx: Context, seeker_id: str, email: str, name: str, region: str, relocate: bool
) -> None:
    """Add a job seeker (matched once they opt in)."""
    run(ctx, lambda s: s.matching.add_seeker(seeker_id, email, name, region, relocate))


@cli.group()
def candidates() -> None:
    """Employees and job seekers, matched only while opted in."""


@candidates.command("opt-in")
@click.argument("candidate_id")
@click.option("--region", default=None, help="Required the first time for an employee.")
@click.option("--relocate/--stay", default=None)
@pass_context
def candidates_opt_in(
    ctx: Context, candidate_id: str, region: str | None, relocate: bool | None
) -> None:
    """Be matched against every open vacancy from now on."""
    run(ctx, lambda s: s.matching.opt_in(candidate_id, region, relocate))


@candidates.command("opt-out")
@click.argument("candidate_id")
@pass_context
def candidates_opt_out(ctx: Context, candidate_id: str) -> None:
    """Stop being matched; current matches are withdrawn."""
    run(ctx, lambda s: s.matching.opt_out(candidate_id))


@candidates.command("declare")
@click.argument("candidate_id")
@click.option("--skill", "skill_codes", multiple=True, required=True, metavar="SKILL")
@pass_context
def candidates_declare(ctx: Context, candidate_id: str, skill_codes: tuple[str, ...]) -> None:
    """Skills the candidate says they have (half weight, never a hard requirement)."""
    run(ctx, lambda s: s.matching.declare(candidate_id, list(skill_codes)))


@cli.group()
def vacancies() -> None:
    """Employers' vacancies, posted under Ontario's rules for job postings."""


def _weights(values: tuple[str, ...]) -> dict[str, int]:
    weights = {}
    for value in values:
        skill, _, weight = value.rpartition(":")
        if not skill or not weight.strip().isdigit():
            raise click.BadParameter(f"{value!r} is not SKILL:WEIGHT", param_hint="--skill")
        weights[skill] = int(weight)
    return weights


@vacancies.command("post")
@click.argument("employer_id")
@click.option("--title", required=True)
@click.option("--description", default="")
@click.option("--noc", required=True, help="NOC 2021 code, e.g. 33102.")
@click.option("--region", required=True)
@click.option("--starts", type=DAY, required=True)
@click.option("--requires", "codes", multiple=True, metavar="CODE")
@click.option("--skill", "weighted", multiple=True, metavar="SKILL:WEIGHT", help="Weight 1-5.")
@click.option("--pay-min", required=True)
@click.option("--pay-max", required=True)
@click.option("--existing/--future", required=True, default=None, help="An existing vacancy?")
@click.option("--closes", type=DAY, default=None)
@pass_context
def vacancies_post(
    ctx: Context,
    employer_id: str,
    title: str,
    description: str,
    noc: str,
    region: str,
    starts: datetime,
    codes: tuple[str, ...],
    weighted: tuple[str, ...],
    pay_min: str,
    pay_max: str,
    existing: bool | None,
    closes: datetime | None,
) -> None:
    """Post a vacancy; it is matched at once against every opted-in candidate."""
    if existing is None:
        raise click.UsageError("say whether it is an existing vacancy: --existing or --future")
    weights = _weights(weighted)
    run(
        ctx,
        lambda s: s.matching.post(
            employer_id,
            title=title,
            description=description,
            noc=noc,
            region=region,
            starts=starts.date(),
            requires=list(codes),
            skills=weights,
            pay_min=pay_min,
            pay_max=pay_max,
            existing=existing,
            closes=_day(closes),
        ),
    )


@vacancies.command("close")
@click.argument("vacancy_id")
@pass_context
def vacancies_close(ctx: Context, vacancy_id: str) -> None:
    """Close a vacancy unfilled."""
    run(ctx, lambda s: s.matching.close(vacancy_id))


@vacancies.command("fill")
@click.argument("vacancy_id")
@pass_context
def vacancies_fill(ctx: Context, vacancy_id: str) -> None:
    """Close a vacancy as filled."""
    run(ctx, lambda s: s.matching.close(vacancy_id, filled=True))


@vacancies.command("show")
@click.argument("vacancy_id")
@pass_context
def vacancies_show(ctx: Context, vacancy_id: str) -> None:
    """One vacancy."""
    run(ctx, lambda s: s.matching.vacancy(vacancy_id), writes=False)


@vacancies.command("list")
@click.option("--employer", default=None)
@pass_context
def vacancies_list(ctx: Context, employer: str | None) -> None:
    """The open vacancies."""
    run(ctx, lambda s: s.matching.vacancies(employer), writes=False)


@cli.group()
def matches() -> None:
    """Matches of candidates to vacancies, explained requirement by requirement."""


@matches.command("list")
@click.argument("vacancy_id")
@click.option("--min-score", type=click.IntRange(0, 100), default=0)
@click.option("--include-trainable", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True)
@pass_context
def matches_list(
    ctx: Context, vacancy_id: str, min_score: int, include_trainable: bool, as_csv: bool
) -> None:
    """A vacancy's candidates, eligible first, best score first."""

    def action(s: Services) -> object:
        found = s.matching.matches(vacancy_id, min_score, include_trainable)
        return Raw(s.matching.as_csv(found)) if as_csv else found

    run(ctx, action, writes=False)


@matches.command("for")
@click.argument("candidate_id")
@click.option("--csv", "as_csv", is_flag=True)
@pass_context
def matches_for(ctx: Context, candidate_id: str, as_csv: bool) -> None:
    """The open vacancies a candidate matches."""
    run(
        ctx,
        lambda s: (
            Raw(s.matching.as_csv(s.matching.matches_for(candidate_id)))
            if as_csv
            else s.matching.matches_for(candidate_id)
        ),
        writes=False,
    )


@matches.command("invite")
@click.argument("vacancy_id")
@click.argument("candidate_id")
@pass_context
def matches_invite(ctx: Context, vacancy_id: str, candidate_id: str) -> None:
    """The employer invites a matched candidate (an open vacancy only); they are e-mailed."""
    run(ctx, lambda s: s.engagements.invite(vacancy_id, candidate_id))


@matches.command("interest")
@click.argument("vacancy_id")
@click.argument("candidate_id")
@pass_context
def matches_interest(ctx: Context, vacancy_id: str, candidate_id: str) -> None:
    """The candidate is interested (an acceptance if invited); the employer is e-mailed."""
    run(ctx, lambda s: s.engagements.show_interest(vacancy_id, candidate_id))


@matches.command("accept")
@click.argument("vacancy_id")
@click.argument("candidate_id")
@pass_context
def matches_accept(ctx: Context, vacancy_id: str, candidate_id: str) -> None:
    """The candidate accepts the invitation; the employer now sees their e-mail."""
    run(ctx, lambda s: s.engagements.accept(vacancy_id, candidate_id))


@matches.command("decline")
@click.argument("vacancy_id")
@click.argument("candidate_id")
@click.option("--reason", default="")
@pass_context
def matches_decline(ctx: Context, vacancy_id: str, candidate_id: str, reason: str) -> None:
    """The candidate declines."""
    run(ctx, lambda s: s.engagements.decline(vacancy_id, candidate_id, reason))


@matches.command("reject")
@click.argument("vacancy_id")
@click.argument("candidate_id")
@click.option("--reason", required=True)
@pass_context
def matches_reject(ctx: Context, vacancy_id: str, candidate_id: str, reason: str) -> None:
    """The employer rejects the candidate, with a reason; the candidate is e-mailed."""
    run(ctx, lambda s: s.engagements.reject(vacancy_id, candidate_id, reason))


@matches.command("interview")
@click.argument("vacancy_id")
@click.argument("candidate_id")
@click.option("--at", "at", required=True, help="When it took place (YYYY-MM-DDTHH:MM).")
@pass_context
def matches_interview(ctx: Context, vacancy_id: str, candidate_id: str, at: str) -> None:
    """The interview took place: the outcome is due within 45 days (reminder on day 30)."""
    when = parse_instant(at, "--at")
    run(ctx, lambda s: s.engagements.interview(vacancy_id, candidate_id, when))


@matches.command("outcome")
@click.argument("vacancy_id")
@click.argument("candidate_id")
@click.argument("outcome", type=click.Choice(["hired", "not-selected"]))
@pass_context
def matches_outcome(ctx: Context, vacancy_id: str, candidate_id: str, outcome: str) -> None:
    """The interview's outcome; the candidate is e-mailed."""
    run(ctx, lambda s: s.engagements.give_outcome(vacancy_id, candidate_id, outcome == "hired"))


@matches.command("show")
@click.argument("vacancy_id")
@click.argument("candidate_id")
@pass_context
def matches_show(ctx: Context, vacancy_id: str, candidate_id: str) -> None:
    """Where a candidate and a vacancy stand."""
    run(ctx, lambda s: s.engagements.show(vacancy_id, candidate_id), writes=False)


@report.command("skills-gap")
@click.argument("employer_id", required=False)
@click.option(
    "--college",
    "college_id",
    default=None,
    help="Instead of an employer: a college's micro-credentials across the employers needing them.",
)
@click.option("--job-function", default=None)
@click.option(
    "--target",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A target framework: CSV with the header skill,headcount.",
)
@click.option(
    "--on", "on", type=DAY, default=None, help="The date to hold them on (default today)."
)
@click.option("--csv", "as_csv", is_flag=True)
@pass_context
def report_skills_gap(
    ctx: Context,
    employer_id: str | None,
    college_id: str | None,
    job_function: str | None,
    target: Path | None,
    on: datetime | None,
    as_csv: bool,
) -> None:
    """Who holds each required micro-credential (or target skill) on a date, the gap, and
    the cheapest training from approved colleges that closes it; with --college, which of a
    college's micro-credentials the employers it serves are short of, largest gap first."""
    if (employer_id is None) == (college_id is None):
        raise click.UsageError("name an employer or --college ID (one of the two)")
    if college_id is not None and (job_function or target):
        raise click.UsageError("--job-function and --target are for an employer's report")
    if college_id is not None:
        college = college_id

        def demand(s: Services) -> object:
            found = s.skills_gaps.for_college(college, _day(on))
            return Raw(s.skills_gaps.college_csv(found)) if as_csv else found

        run(ctx, demand, writes=False)
        return
    assert employer_id is not None
    employer = employer_id

    def action(s: Services) -> object:
        from carepassport.application.matching.gaps import parse_target

        lines = parse_target(target.read_text("utf-8")) if target else None
        found = s.skills_gaps.report(employer, job_function, _day(on), lines)
        return Raw(s.skills_gaps.as_csv(found)) if as_csv else found

    run(ctx, action, writes=False)
