"""Brightspace test data: the double's ids and a configuration pointing at it."""

from __future__ import annotations

from typing import Any

from carepassport.adapters.lms.brightspace.config import BrightspaceConfig
from tests.integration.brightspace_double import LE, LP, TOKEN

IPAC_UNIT, IPAC_QUIZ, IPAC_GRADES = 6606, 41, 77
WHMIS_UNIT, WHMIS_QUIZ, WHMIS_GRADES = 6607, 42, 78
LEARNER_ROLE = 110
PAT, SAM = 501, 502
ENV = {"BRIGHTSPACE_TOKEN": TOKEN}


def config(base_url: str, **overrides: Any) -> BrightspaceConfig:
    """Fast retries, a short timeout, and IPAC and WHMIS in Brightspace."""
    settings: dict[str, Any] = {
        "base_url": base_url,
        "lp_version": LP,
        "le_version": LE,
        "learner_role_id": LEARNER_ROLE,
        "timeout_seconds": 0.5,
        "retry_attempts": 4,
        "retry_wait_seconds": 0.01,
        "retry_jitter_seconds": 0,
        "outage_cooldown_seconds": 0,
        "refresh_seconds": 0,
        "courses": {
            "IPAC": {
                "org_unit_id": IPAC_UNIT,
                "quiz_id": IPAC_QUIZ,
                "grade_object_id": IPAC_GRADES,
                "pass_percent": 80,
            },
            "WHMIS": {
                "org_unit_id": WHMIS_UNIT,
                "quiz_id": WHMIS_QUIZ,
                "grade_object_id": WHMIS_GRADES,
                "points_possible": 10,
            },
        },
    }
    settings.update(overrides)
    return BrightspaceConfig.from_mapping(settings)
