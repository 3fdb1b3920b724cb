"""Vacancies and matches over HTTP. An employer's approvers see its vacancies and the matches to
them (never a candidate's e-mail or name); an employee sees their own matches and opts in or
out; the college sees and does everything."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from carepassport.application.matching.matching import CandidateView, MatchView, VacancyView
from carepassport.domain.access.api_access import Role
from carepassport.entrypoints.http.core import READERS, Caller, allow
from carepassport.entrypoints.http.models import Strict, model_for

router = APIRouter(tags=["matching"])
Vacancy = model_for(VacancyView)
Match = model_for(MatchView)
Candidate = model_for(CandidateView)


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
