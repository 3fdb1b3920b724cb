"""schemathesis against the live OpenAPI of a real server (``carepassport serve`` on a seeded
SQLite store): for every route and every role, a bounded number of generated requests, none of
which may get a 5xx or an answer the document does not describe (status, content type, body)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from carepassport.bootstrap import bootstrap
from carepassport.entrypoints.http import create_app
from tests.integration.http_helpers import SUBJECTS, Headers, role_headers, seed
from tests.integration.live_server import assert_clean_exit, live_server

EXAMPLES_PER_ROUTE = 25
"""Per route (each sent by every role): the whole run stays well under a minute on two cores."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Headers]]]:
    """A real server on a seeded SQLite store, and a token per role."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    store = f"sqlite:///{folder / 'cp.db'}"
    services = bootstrap(store)
    seed(services)
    tokens = role_headers(services)
    services.close()
    # With an approval secret, POST /mail/replies reads what it is sent instead of refusing.
    secret = {"CAREPASSPORT_APPROVAL_SECRET": "fuzzing-secret-0123456789"}
    with live_server(store, cwd=folder, env=secret) as (url, stopped):
        yield url, tokens
    assert_clean_exit(stopped)


@schemathesis.serializer("message/rfc822")
def rfc822(_: object, value: object) -> bytes:
    """Raw mail for POST /mail/replies: whatever was generated, as bytes."""
    return value if isinstance(value, bytes) else str(value).encode()


DOCUMENT = create_app(lambda: None).openapi()  # type: ignore[arg-type, return-value]
schema = schemathesis.openapi.from_dict(DOCUMENT)
"""The app's own document: schemathesis's lazy loader (from a fixture) does not run on pytest 9,
so the cases come from here, and ``test_the_live_document_is_the_one_fuzzed`` holds them equal."""


def test_the_live_document_is_the_one_fuzzed(server: tuple[str, dict[str, Headers]]) -> None:
    assert httpx.get(f"{server[0]}/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_ROUTE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_route_answers_5xx_or_outside_its_schema(
    case: schemathesis.Case, server: tuple[str, dict[str, Headers]]
) -> None:
    url, tokens = server
    for role in sorted(SUBJECTS):  # the same request from each role (a fixture cannot vary it)
        case.call_and_validate(base_url=url, headers=tokens[role], checks=CHECKS)
