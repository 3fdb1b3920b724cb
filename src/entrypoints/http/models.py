"""Pydantic models for the API: request bodies, and response models derived from the use cases'
typed results (attrs classes), so the OpenAPI document and the answers cannot drift apart."""

from __future__ import annotations

import functools
import types
import typing
from typing import Any, Union

import attrs
from pydantic import BaseModel, ConfigDict, create_model


class Strict(BaseModel):
    """A request body: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


@functools.cache
def model_for(result: type[Any]) -> type[BaseModel]:
    """The response model of an attrs result class, field for field (nested results too)."""
    hints = typing.get_type_hints(result)
    fields: dict[str, Any] = {
        field.name: (_pydantic_type(hints[field.name]), ...) for field in attrs.fields(result)
    }
    model: type[BaseModel] = create_model(result.__name__, __doc__=result.__doc__, **fields)
    return model


def list_of(result: type) -> Any:
    """The response model of a list of ``result``s."""
    element = model_for(result)
    return list[element]  # type: ignore[valid-type]


def _pydantic_type(hint: Any) -> Any:
    if attrs.has(hint):
        return model_for(hint)
    origin = typing.get_origin(hint)
    if origin is None:
        return hint
    args = tuple(_pydantic_type(arg) for arg in typing.get_args(hint))
    if origin in (Union, types.UnionType):
        return functools.reduce(lambda left, right: left | right, args)
    return origin[args] if len(args) > 1 else origin[args[0]]
