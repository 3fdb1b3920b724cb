"""Vacancies, matches and both sides' steps on them over HTTP. An employer's approvers see its
vacancies and the matches to them (never a candidate's name, and the e-mail only once the
candidate accepted an invitation) and take the employer's steps; an employee sees their own
matches, opts in or out and takes the candidate's steps; the college sees and does everything."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, Field

from carepassport.application.matching.engagements import EngagementView
from carepassport.application.matching.matching import CandidateView, MatchView, VacancyView
from carepassport.domain.access.api_access import Role
from carepassport.entrypoints.http.core import READERS, Caller, allow
from carepassport.entrypoints.http.models import Strict, model_for

router = APIRouter(tags=["matching"])
Vacancy = model_for(VacancyView)
Match = model_for(MatchView)
Candidate = model_for(CandidateView)
Engagement = model_for(EngagementView)
EMPLOYER_SIDE = (Role.APPROVER, Role.COLLEGE)
CANDIDATE_SIDE = (Role.EMPLOYEE, Role.COLLEGE)


class VacancyRequest(Strict):
    employer_id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = ""
    noc: str = Field(min_length=5, max_length=5, description="NOC 2021 code, e.g. 33102.")
    region: str = Field(min_length=1)
    starts: date
    requires: list[str] = Field(default_factory=list, description="Micro-credential codes.")
    skills: dict[str, int] = Field(default_factory=dict, description="Skill code -> weight 1-5.")
    pay_min: str = Field(min_length=1)
    pay_max: str = Field(min_length=1)
    existing: bool = Field(description="Whether this is an existing vacancy (Ontario's rule).")
    closes: date | None = None


class OptIn(Strict):
    region: str | None = None
    relocate: bool | None = None


@router.post("/vacancies", status_code=201, response_model=Vacancy)
def post_vacancy(
    body: VacancyRequest,
    caller: Annotated[Caller, Depends(allow(Role.APPROVER, Role.COLLEGE))],
) -> Any:
    """Post a vacancy (Ontario's posting rules apply); it is matched at once."""
    caller.check(lambda access, who: access.employer(who, body.employer_id))
    return caller.command(
        lambda s: s.matching.post(
            body.employer_id,
            title=body.title,
            description=body.description,
            noc=body.noc,
            region=body.region,
            starts=body.starts,
            requires=body.requires,
            skills=body.skills,
            pay_min=body.pay_min,
            pay_max=body.pay_max,
            existing=body.existing,
            closes=body.closes,
        ),
        body,
        201,
    )


@router.get("/employers/{employer_id}/vacancies", response_model=list[Vacancy])  # type: ignore[valid-type]
def employer_vacancies(
    employer_id: str,
    caller: Annotated[Caller, Depends(allow(Role.APPROVER, *READERS))],
) -> Any:
    """The employer's open vacancies."""
    caller.check(lambda access, who: access.employer(who, employer_id))
    return caller.read(lambda s: s.matching.vacancies(employer_id))


@router.get("/vacancies/{vacancy_id}", response_model=Vacancy)
def show_vacancy(
    vacancy_id: str, caller: Annotated[Caller, Depends(allow(Role.APPROVER, *READERS))]
) -> Any:
    """One vacancy."""
    caller.check(lambda access, who: access.vacancy(who, vacancy_id))
    return caller.read(lambda s: s.matching.vacancy(vacancy_id))


@router.post("/vacancies/{vacancy_id}/close", response_model=Vacancy)
def close_vacancy(
    vacancy_id: str,
    caller: Annotated[Caller, Depends(allow(Role.APPROVER, Role.COLLEGE))],
    filled: Annotated[bool, Query(description="Closed because it was filled.")] = False,
) -> Any:
    """Close the vacancy (filled or not); its matches are kept, it is matched no more."""
    caller.check(lambda access, who: access.vacancy(who, vacancy_id))
    return caller.command(lambda s: s.matching.close(vacancy_id, filled=filled))


@router.get("/vacancies/{vacancy_id}/matches", response_model=list[Match])  # type: ignore[valid-type]
def vacancy_matches(
    vacancy_id: str,
    caller: Annotated[Caller, Depends(allow(Role.APPROVER, *READERS))],
    min_score: Annotated[int, Query(ge=0, le=100)] = 0,
    include_trainable: bool = False,
) -> Any:
    """The vacancy's candidates, eligible first, best score first, each explained."""
    caller.check(lambda access, who: access.vacancy(who, vacancy_id))
    return caller.read(lambda s: s.matching.matches(vacancy_id, min_score, include_trainable))


@router.get("/employees/{employee_id}/matches", response_model=list[Match])  # type: ignore[valid-type]
def employee_matches(
    employee_id: str, caller: Annotated[Caller, Depends(allow(Role.EMPLOYEE, *READERS))]
) -> Any:
    """The open vacancies the employee matches (their own; not their employer's to see)."""
    caller.check(lambda access, who: access.own_candidate(who, employee_id))
    return caller.read(lambda s: s.matching.matches_for(employee_id))


@router.post("/employees/{employee_id}/matching/opt-in", response_model=Candidate)
def opt_in(
    employee_id: str,
    body: OptIn,
    caller: Annotated[Caller, Depends(allow(Role.EMPLOYEE, Role.COLLEGE))],
) -> Any:
    """Be matched against every open vacancy (the region is needed the first time)."""
    caller.check(lambda access, who: access.own_candidate(who, employee_id))
    return caller.command(
        lambda s: s.matching.opt_in(employee_id, body.region, body.relocate), body
    )


@router.post("/employees/{employee_id}/matching/opt-out", response_model=Candidate)
def opt_out(
    employee_id: str, caller: Annotated[Caller, Depends(allow(Role.EMPLOYEE, Role.COLLEGE))]
) -> Any:
    """Stop being matched; every current match is withdrawn."""
    caller.check(lambda access, who: access.own_candidate(who, employee_id))
    return caller.command(lambda s: s.matching.opt_out(employee_id))


# --- both sides' steps on a match ------------------------------------------------------------


class Reason(Strict):
    reason: str = Field(min_length=1, description="Told to the candidate.")


class MaybeReason(Strict):
    reason: str = ""


class Interview(Strict):
    interviewed_at: AwareDatetime = Field(description="When the interview took place.")


class Outcome(Strict):
    hired: bool


@router.get("/vacancies/{vacancy_id}/candidates/{candidate_id}", response_model=Engagement)
def show_engagement(
    vacancy_id: str,
    candidate_id: str,
    caller: Annotated[Caller, Depends(allow(Role.APPROVER, Role.EMPLOYEE, *READERS))],
) -> Any:
    """Where the candidate and the vacancy stand (either side may look)."""
    caller.check(lambda access, who: access.engagement(who, vacancy_id, candidate_id))
    return caller.read(lambda s: s.engagements.show(vacancy_id, candidate_id))


@router.post("/vacancies/{vacancy_id}/candidates/{candidate_id}/invite", response_model=Engagement)
def invite(
    vacancy_id: str,
    candidate_id: str,
    caller: Annotated[Caller, Depends(allow(*EMPLOYER_SIDE))],
) -> Any:
    """Invite a matched candidate to apply (an open vacancy); the candidate is e-mailed."""
    caller.check(lambda access, who: access.vacancy(who, vacancy_id))
    return caller.command(lambda s: s.engagements.invite(vacancy_id, candidate_id))


@router.post("/vacancies/{vacancy_id}/candidates/{candidate_id}/reject", response_model=Engagement)
def reject(
    vacancy_id: str,
    candidate_id: str,
    body: Reason,
    caller: Annotated[Caller, Depends(allow(*EMPLOYER_SIDE))],
) -> Any:
    """Reject the candidate, with a reason; the candidate is e-mailed."""
    caller.check(lambda access, who: access.vacancy(who, vacancy_id))
    return caller.command(
        lambda s: s.engagements.reject(vacancy_id, candidate_id, body.reason), body
    )


@router.post(
    "/vacancies/{vacancy_id}/candidates/{candidate_id}/interview", response_model=Engagement
)
def interview(
    vacancy_id: str,
    candidate_id: str,
    body: Interview,
    caller: Annotated[Caller, Depends(allow(*EMPLOYER_SIDE))],
) -> Any:
    """The interview took place: the outcome is due within 45 days (rule M1)."""
    caller.check(lambda access, who: access.vacancy(who, vacancy_id))
    return caller.command(
        lambda s: s.engagements.interview(vacancy_id, candidate_id, body.interviewed_at), body
    )


@router.post("/vacancies/{vacancy_id}/candidates/{candidate_id}/outcome", response_model=Engagement)
def outcome(
    vacancy_id: str,
    candidate_id: str,
    body: Outcome,
    caller: Annotated[Caller, Depends(allow(*EMPLOYER_SIDE))],
) -> Any:
    """The interview's outcome (hired or not); the candidate is e-mailed."""
    caller.check(lambda access, who: access.vacancy(who, vacancy_id))
    return caller.command(
        lambda s: s.engagements.give_outcome(vacancy_id, candidate_id, body.hired), body
    )


@router.post("/employees/{employee_id}/matches/{vacancy_id}/interest", response_model=Engagement)
def show_interest(
    employee_id: str,
    vacancy_id: str,
    caller: Annotated[Caller, Depends(allow(*CANDIDATE_SIDE))],
) -> Any:
    """Interest in a vacancy the employee matches (an acceptance, if they were invited)."""
    caller.check(lambda access, who: access.own_candidate(who, employee_id))
    return caller.command(lambda s: s.engagements.show_interest(vacancy_id, employee_id))


@router.post("/employees/{employee_id}/matches/{vacancy_id}/accept", response_model=Engagement)
def accept(
    employee_id: str,
    vacancy_id: str,
    caller: Annotated[Caller, Depends(allow(*CANDIDATE_SIDE))],
) -> Any:
    """Accept an invitation: the employer may now see the employee's e-mail."""
    caller.check(lambda access, who: access.own_candidate(who, employee_id))
    return caller.command(lambda s: s.engagements.accept(vacancy_id, employee_id))


@router.post("/employees/{employee_id}/matches/{vacancy_id}/decline", response_model=Engagement)
def decline(
    employee_id: str,
    vacancy_id: str,
    body: MaybeReason,
    caller: Annotated[Caller, Depends(allow(*CANDIDATE_SIDE))],
) -> Any:
    """Decline (an invitation, or an interest taken back); the employer is e-mailed."""
    caller.check(lambda access, who: access.own_candidate(who, employee_id))
    return caller.command(
        lambda s: s.engagements.decline(vacancy_id, employee_id, body.reason), body
    )
