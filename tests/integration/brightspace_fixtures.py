"""Brightspace fixtures (a pytest plugin for the modules that name it): the double on
loopback, and a client on it whose waits are recorded, not slept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from carepassport.adapters.lms.brightspace.client import BrightspaceClient
from tests.integration.brightspace_double import TOKEN, BrightspaceState, brightspace_double
from tests.integration.brightspace_helpers import (
    IPAC_GRADES,
    IPAC_QUIZ,
    IPAC_UNIT,
    PAT,
    SAM,
    WHMIS_GRADES,
    WHMIS_QUIZ,
    WHMIS_UNIT,
    config,
)


@pytest.fixture
def double() -> Iterator[tuple[str, BrightspaceState]]:
    """The Brightspace double, knowing Pat (C0912345) and Sam (C0000002), with both courses'
    quizzes (no attempts yet) and grade items (IPAC out of 20)."""
    with brightspace_double() as (base, state):
        state.add_user(PAT, "C0912345")
        state.add_user(SAM, "C0000002")
        state.attempts[(IPAC_UNIT, IPAC_QUIZ)] = []
        state.attempts[(WHMIS_UNIT, WHMIS_QUIZ)] = []
        state.add_grade_object(IPAC_UNIT, IPAC_GRADES, 20)
        state.add_grade_object(WHMIS_UNIT, WHMIS_GRADES, 10)
        yield base, state


@pytest.fixture
def sleeps() -> list[float]:
    """The waits between retries (recorded, not slept)."""
    return []


@pytest.fixture
def client(
    double: tuple[str, BrightspaceState], sleeps: list[float]
) -> Iterator[BrightspaceClient]:
    made = BrightspaceClient(config(double[0]), SecretStr(TOKEN), sleep=sleeps.append)
    yield made
    made.close()
