"""PostgreSQL store URLs: what each part means, and the URLs refused with a reason."""

from __future__ import annotations

import pytest

from carepassport.adapters.storage.postgres_setup import PostgresLocation, lock_key
from carepassport.domain.errors import InvalidValue


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:5432/care",
            PostgresLocation(dbname="care", host="127.0.0.1", port=5432, user="postgres"),
        ),
        (
            "postgres://app:s%40cret@db.example:6543/care?schema=college_a",
            PostgresLocation(
                dbname="care",
                schema="college_a",
                host="db.example",
                port=6543,
                user="app",
                password="s@cret",
            ),
        ),
        ("postgresql:///care", PostgresLocation(dbname="care")),
        (
            "postgresql://u@h/care?connect_timeout=2",
            PostgresLocation(dbname="care", host="h", user="u", connect_timeout=2),
        ),
    ],
)
def test_a_url_names_database_schema_server_and_user(url: str, expected: PostgresLocation) -> None:
    assert PostgresLocation.from_url(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://u@h:5432", "names no database"),
        ("postgresql://u@h:5432/", "names no database"),
        ("postgresql://u@h:port/care", "Port could not be cast"),
        ("postgresql://u@h/care?schema=College", "lowercase letters"),
        ("postgresql://u@h/care?schema=a;drop", "lowercase letters"),
        ("postgresql://u@h/care?schema=" + "s" * 64, "63 at most"),
        ("postgresql://u@h/care?sslmode=require", "unknown option 'sslmode'"),
        ("postgresql://u@h/care?connect_timeout=0", "connect_timeout"),
    ],
)
def test_a_malformed_url_is_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        PostgresLocation.from_url(url)


def test_the_password_is_kept_out_of_descriptions() -> None:
    location = PostgresLocation.from_url("postgresql://app:hunter2@db:5432/care?schema=a")

    assert "hunter2" not in location.describe()
    assert "hunter2" not in repr(location)


def test_the_library_settings_name_the_schema_and_server() -> None:
    env = PostgresLocation.from_url("postgresql://app:pw@db:6543/care?schema=a").env()

    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_DBNAME"], env["POSTGRES_SCHEMA"]) == ("care", "a")
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_USER"]) == (
        "db",
        "6543",
        "app",
    )
    assert env["POSTGRES_PASSWORD"] == "pw"


def test_lock_keys_differ_by_schema_and_purpose_and_are_stable() -> None:
    keys = {lock_key(s, p) for s in ("a", "b") for p in ("setup", "scheduler")}

    assert len(keys) == 4
    assert lock_key("a", "setup") == lock_key("a", "setup")
    assert all(-(2**63) <= k < 2**63 for k in keys)
