"""The badge issuer: its identity (did:web or did:key), its profile and its keys' validity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carepassport.domain.badges.issuer import BadgeIssuer, did_web, issuer_origin
from carepassport.domain.errors import InvalidTransition, InvalidValue

AT = datetime(2026, 12, 5, 15, tzinfo=UTC)
KEY_1 = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
KEY_2 = "z6MkvJ6mHaFeFEQCanPASiRfS1ufS9eYY34MWs8rook472XR"


def issuer(url: str = "https://college.example") -> BadgeIssuer:
    made = BadgeIssuer.open(AT)
    made.set_profile("Care College", url, "", "", "", None, False, AT)
    return made


def test_the_did_web_of_an_origin_is_its_host() -> None:
    assert did_web("https://college.example") == "did:web:college.example"


def test_the_did_web_of_an_origin_with_a_port_percent_encodes_the_colon() -> None:
    assert did_web("http://localhost:8000") == "did:web:localhost%3A8000"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://college.example",
        "http://college.example",
        "https://college.example/badges",
        "https://user:pw@college.example",
        "https://college.example?x=1",
        "college.example",
    ],
)
def test_an_issuer_url_that_is_not_an_https_origin_is_refused(url: str) -> None:
    with pytest.raises(InvalidValue):
        issuer_origin(url)


def test_an_issuer_with_a_url_is_its_did_web_and_names_keys_by_their_multibase() -> None:
    made = issuer()
    key = made.add_key("key-1", KEY_1, AT)

    assert made.did() == "did:web:college.example"
    assert made.verification_method(key) == f"did:web:college.example#{KEY_1}"


def test_an_issuer_without_a_url_is_the_did_key_of_its_key() -> None:
    made = issuer(url="")
    key = made.add_key("key-1", KEY_1, AT)

    assert made.did() == f"did:key:{KEY_1}"
    assert made.verification_method(key) == f"did:key:{KEY_1}#{KEY_1}"


def test_rotating_retires_the_current_key_at_the_moment_the_new_one_starts() -> None:
    made = issuer()
    old = made.add_key("key-1", KEY_1, AT)
    later = AT + timedelta(days=30)

    new = made.add_key("key-2", KEY_2, later)

    assert made.current_key is new
    assert old.retired_at == later
    assert old.valid_at(later)
    assert not old.valid_at(later + timedelta(seconds=1))
    assert new.valid_at(later)
    assert not new.valid_at(later - timedelta(seconds=1))


def test_a_key_is_valid_from_the_second_it_was_added_in() -> None:
    made = issuer()
    key = made.add_key("key-1", KEY_1, AT.replace(microsecond=500_000))

    assert key.valid_at(AT)


def test_a_key_that_is_not_an_ed25519_multikey_is_refused() -> None:
    with pytest.raises(InvalidValue, match="Ed25519"):
        issuer().add_key("key-1", "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", AT)


def test_a_key_id_used_before_is_refused() -> None:
    made = issuer()
    made.add_key("key-1", KEY_1, AT)

    with pytest.raises(InvalidValue, match="already"):
        made.add_key("key-1", KEY_2, AT)


def test_the_url_of_an_issuer_that_has_keys_cannot_change() -> None:
    made = issuer()
    made.add_key("key-1", KEY_1, AT)

    with pytest.raises(InvalidTransition, match="identity"):
        made.set_profile("Care College", "https://other.example", "", "", "", None, False, AT)


def test_a_colour_that_is_not_rrggbb_is_refused() -> None:
    with pytest.raises(InvalidValue, match="colour"):
        BadgeIssuer.open(AT).set_profile("C", "", "", "", "", ("blue", "#ffffff"), False, AT)


def test_an_issuer_is_configured_once_it_has_a_name_and_a_key() -> None:
    made = issuer()
    assert not made.configured

    made.add_key("key-1", KEY_1, AT)

    assert made.configured
