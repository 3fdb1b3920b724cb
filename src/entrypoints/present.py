"""Presentation: results as JSON-ready data (times on Toronto wall-clock time) or as text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs

from carepassport.domain.time import local


def jsonable(value: Any) -> Any:
    """Plain JSON data for results, events and views."""
    if attrs.has(type(value)):
        return {k: jsonable(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return local(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID | Decimal):
        return str(value)
    return value


def as_json(value: Any) -> str:
    """One JSON document."""
    return json.dumps(jsonable(value), indent=2, sort_keys=False)


def as_text(value: Any, indent: str = "") -> str:
    """Readable ``key: value`` lines; lists of records are separated by blank lines."""
    data = jsonable(value)
    return _text(data, indent)


def _text(data: Any, indent: str) -> str:
    if isinstance(data, dict):
        lines = []
        for key, item in data.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{indent}{key}:")
                lines.append(_text(item, indent + "  "))
            else:
                lines.append(f"{indent}{key}: {_scalar(item)}")
        return "\n".join(lines)
    if isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            return f"{indent}" + ", ".join(_scalar(item) for item in data)
        if not indent:
            return "\n\n".join(_text(item, indent) for item in data)
        return "\n".join(_bullet(_text(item, indent + "  "), indent) for item in data)
    return f"{indent}{_scalar(data)}"


def _bullet(block: str, indent: str) -> str:
    """Mark the first line of a nested record with a dash."""
    first, _, rest = block.partition("\n")
    line = f"{indent}- {first.lstrip()}"
    return f"{line}\n{rest}" if rest else line


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_scalar(v) for v in value) or "-"
    if isinstance(value, dict):
        return "-"
    return str(value)
