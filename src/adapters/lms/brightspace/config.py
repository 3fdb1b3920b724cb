"""How to reach Brightspace and which course, quiz and grade item each micro-credential is."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
)

from carepassport.domain.errors import InvalidValue
from carepassport.domain.values import credential_code

VERSION = r"^\d+\.\d+$"


class CourseMapping(BaseModel):
    """One micro-credential in Brightspace: its course offering, final quiz and grade item."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    org_unit_id: PositiveInt
    quiz_id: PositiveInt
    grade_object_id: PositiveInt
    pass_percent: Decimal = Field(default=Decimal(80), ge=0, le=100)
    points_possible: Decimal | None = Field(default=None, gt=0)
    """What the quiz is out of; without it, the grade item's MaxPoints (API) or the data set's
    PossibleScore column."""


class BrightspaceConfig(BaseModel):
    """The Brightspace connection: URL, API versions, where the token is, timeouts, retries,
    and the micro-credential code -> course mapping."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(pattern=r"^https?://[^/\s]+(/[^\s]*)?$")
    lp_version: str = Field(default="1.46", pattern=VERSION)
    le_version: str = Field(default="1.74", pattern=VERSION)
    token_env: str = Field(default="BRIGHTSPACE_TOKEN", min_length=1)
    learner_role_id: PositiveInt
    courses: dict[str, CourseMapping] = Field(min_length=1)
    timeout_seconds: float = Field(default=10.0, gt=0)
    retry_attempts: int = Field(default=5, ge=1, le=20)
    retry_budget_seconds: float = Field(default=60.0, gt=0)
    retry_wait_seconds: float = Field(default=0.5, ge=0)
    retry_jitter_seconds: float = Field(default=0.5, ge=0)
    outage_cooldown_seconds: float = Field(default=30.0, ge=0)
    """After Brightspace did not answer, fail at once for this long (one outage, one wait)."""
    read_results: bool = True
    """Read final-quiz attempts through the API at each sync; false when the Data Sets
    import is the only source of results."""
    refresh_seconds: float = Field(default=60.0, ge=0)
    """Read Brightspace again only when the last read is older than this."""

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("courses")
    @classmethod
    def _codes(cls, value: dict[str, CourseMapping]) -> dict[str, CourseMapping]:
        return {credential_code(code): course for code, course in value.items()}

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], source: str = "configuration"
    ) -> BrightspaceConfig:
        """Validate ``data``; InvalidValue lists what is wrong."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
                for e in error.errors()
            )
            raise InvalidValue(f"the Brightspace {source} is invalid: {problems}") from None
        except InvalidValue as error:
            raise InvalidValue(f"the Brightspace {source} is invalid: {error.message}") from None

    @classmethod
    def load(cls, path: Path) -> BrightspaceConfig:
        """Read a JSON or TOML (``.toml``) file."""
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except OSError as error:
            raise InvalidValue(
                f"cannot read the Brightspace configuration {path}: {error}"
            ) from None
        except (ValueError, tomllib.TOMLDecodeError) as error:
            raise InvalidValue(
                f"the Brightspace configuration {path} is malformed: {error}"
            ) from None
        if not isinstance(data, dict):
            raise InvalidValue(f"the Brightspace configuration {path} is not a table of settings")
        return cls.from_mapping(data, f"configuration {path}")

    def token(self, environ: Mapping[str, str]) -> SecretStr:
        """The OAuth 2 bearer token from the environment variable ``token_env``."""
        value = environ.get(self.token_env, "").strip()
        if not value:
            raise InvalidValue(
                f"the Brightspace token is missing: set the environment variable {self.token_env}"
            )
        return SecretStr(value)

    def course(self, code: str) -> CourseMapping | None:
        """The course of micro-credential ``code``, if it is taught in Brightspace."""
        return self.courses.get(code.upper())
