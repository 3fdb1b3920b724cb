"""JSON Schema validation against the pinned 1EdTech schemas (``jsonschema``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft201909Validator, Draft202012Validator
from jsonschema.protocols import Validator

from carepassport.adapters.badges.documents import schema

PROBLEMS_SHOWN = 5


@cache
def _validator(url: str) -> Validator:
    document = schema(url)
    dialect = str(document.get("$schema", ""))
    kind = Draft202012Validator if "2020-12" in dialect else Draft201909Validator
    validator: Validator = kind(document)
    return validator


class PinnedSchemas:
    """The ``Schemas`` port."""

    def problems(self, document: dict[str, Any], schema_url: str) -> list[str]:
        errors = sorted(_validator(schema_url).iter_errors(document), key=lambda e: list(e.path))
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(document)'}: {error.message}"
            for error in errors[:PROBLEMS_SHOWN]
        ]
