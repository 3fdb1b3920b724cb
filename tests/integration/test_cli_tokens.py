"""``carepassport tokens issue`` and ``tokens revoke``: tokens shown once, stored as digests."""

from __future__ import annotations

import json

from carepassport.bootstrap import bootstrap
from carepassport.domain.access.api_access import Role
from carepassport.domain.errors import DomainError
from tests.integration.cli_helpers import Cli


def authenticate(cp: Cli, token: str) -> tuple[str, str] | str:
    """Who the store says the token belongs to, or the refusal's code."""
    services = bootstrap(cp.url, create=False)
    try:
        principal = services.api_tokens.authenticate(token)
        return principal.role.value, principal.subject
    except DomainError as refused:
        return refused.code
    finally:
        services.close()


def test_issue_prints_a_token_that_authenticates_as_its_role_and_subject(cp: Cli) -> None:
    issued = cp.run("tokens", "issue", "approver", "SUNNY", now="2026-04-01T09:00")

    assert issued["role"] == Role.APPROVER.value and issued["subject"] == "SUNNY"
    assert issued["token"].startswith(f"cpt_{issued['token_id']}_")
    assert authenticate(cp, issued["token"]) == ("approver", "SUNNY")


def test_revoke_stops_the_token_and_a_second_revoke_is_refused(cp: Cli) -> None:
    issued = cp.run("tokens", "issue", "college", "registrar", now="2026-04-01T09:00")

    revoked = cp.run("tokens", "revoke", issued["token_id"], now="2026-04-01T10:00")
    again = cp.run("tokens", "revoke", issued["token_id"], now="2026-04-01T11:00", ok=False)

    assert revoked["revoked_at"] == "2026-04-01T10:00:00-04:00"
    assert authenticate(cp, issued["token"]) == "unauthenticated"
    assert again.exit_code != 0
    assert json.loads(again.stderr)["error"] == "invalid_state"


def test_an_unknown_role_or_employee_is_refused_and_records_nothing(cp: Cli) -> None:
    before = cp.events()

    role = cp.run("tokens", "issue", "admin", "me", now="2026-04-01T09:00", ok=False)
    employee = cp.run("tokens", "issue", "employee", "NOBODY", now="2026-04-01T09:00", ok=False)

    assert json.loads(role.stderr)["error"] == "invalid_value"
    assert json.loads(employee.stderr)["error"] == "not_found"
    assert cp.events() == before
