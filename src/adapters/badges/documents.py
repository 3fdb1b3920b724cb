"""The JSON-LD documents the badges need, pinned inside the package: nothing is fetched.

``contexts/index.json`` maps each URL to its file. A loader asked for any other URL refuses
with :class:`UnpinnedDocument`; the verifier names that check as failed."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from carepassport.domain.errors import InvalidValue

PACKAGE = "carepassport.adapters.badges"


class UnpinnedDocument(InvalidValue):
    """A context or schema URL that is not pinned in the package (never fetched)."""


@cache
def _index() -> dict[str, Any]:
    text = resources.files(PACKAGE).joinpath("contexts", "index.json").read_text("utf-8")
    index: dict[str, Any] = json.loads(text)
    return index


@cache
def _read(filename: str) -> Any:
    return json.loads(resources.files(PACKAGE).joinpath("contexts", filename).read_bytes())


def pinned_contexts() -> frozenset[str]:
    """Every context URL the loader serves."""
    return frozenset(_index()["contexts"])


def context(url: str) -> Any:
    """The pinned JSON-LD context at ``url``."""
    filename = _index()["contexts"].get(url)
    if filename is None:
        raise UnpinnedDocument(f"the JSON-LD context {url} is not pinned (nothing is fetched)")
    return _read(filename)


def schema(url: str) -> Any:
    """The pinned JSON Schema at ``url``."""
    filename = _index()["schemas"].get(url)
    if filename is None:
        raise UnpinnedDocument(f"the JSON Schema {url} is not pinned (nothing is fetched)")
    return _read(filename)


def document_loader(url: str, options: object = None) -> dict[str, Any]:
    """A pyld document loader over the pinned contexts only. Tagged ``static``: pyld then keeps
    the processed context in its shared cache instead of processing it for every document (the
    pinned copies never change)."""
    return {"contextUrl": None, "documentUrl": url, "document": context(url), "tag": "static"}
