"""Baking credentials into PNG and SVG images, and reading them back, refusing what is unsafe."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from PIL import Image

from carepassport.adapters.badges.baking import (
    KEYWORD,
    MAX_BYTES,
    ImageBaking,
    bake_png,
    bake_svg,
    png_chunks,
)
from carepassport.adapters.badges.images import BadgeImages
from carepassport.application.badges.ports import CheckFailed

CREDENTIAL = json.dumps({"id": "urn:uuid:1", "name": "Infection control, é"})
baking = ImageBaking()


@pytest.fixture(scope="module")
def png() -> bytes:
    return BadgeImages().png("Infection Prevention and Control", "IPAC", ("#00467f", "#ffffff"))


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_a_baked_png_gives_back_the_credential(png: bytes) -> None:
    assert baking.unbake(bake_png(png, CREDENTIAL)) == json.loads(CREDENTIAL)


def test_baking_adds_one_uncompressed_itxt_chunk_and_keeps_every_other_chunk(png: bytes) -> None:
    baked = png_chunks(bake_png(png, CREDENTIAL))
    original = png_chunks(png)

    added = [body for kind, body in baked if kind == b"iTXt"]
    assert len(added) == 1
    assert added[0].startswith(KEYWORD + b"\0\0\0")
    assert [c for c in baked if c[0] != b"iTXt"] == original
    assert baked[-2][0] == b"iTXt"


def test_a_baked_png_is_still_the_same_image(png: bytes) -> None:
    before = Image.open(io.BytesIO(png))
    after = Image.open(io.BytesIO(bake_png(png, CREDENTIAL)))

    assert after.tobytes() == before.tobytes()


def test_baking_again_replaces_the_credential(png: bytes) -> None:
    again = bake_png(bake_png(png, '{"id": "old"}'), CREDENTIAL)

    assert baking.unbake(again)["id"] == "urn:uuid:1"


def test_a_png_with_two_credential_chunks_is_refused(png: bytes) -> None:
    baked = bake_png(png, CREDENTIAL)
    text = KEYWORD + b"\0\0\0\0\0" + b'{"id": "other"}'
    doubled = baked[:-12] + chunk(b"iTXt", text) + baked[-12:]

    with pytest.raises(CheckFailed, match="2 credentials") as refused:
        baking.unbake(doubled)
    assert refused.value.check == "format"


def test_a_truncated_png_is_refused(png: bytes) -> None:
    baked = bake_png(png, CREDENTIAL)

    with pytest.raises(CheckFailed, match="truncated"):
        baking.unbake(baked[: len(baked) // 2])


def test_a_png_with_a_corrupt_chunk_is_refused(png: bytes) -> None:
    baked = bytearray(bake_png(png, CREDENTIAL))
    baked[-40] ^= 0xFF

    with pytest.raises(CheckFailed, match="corrupt"):
        baking.unbake(bytes(baked))


def test_a_png_without_a_credential_is_refused(png: bytes) -> None:
    with pytest.raises(CheckFailed, match="no openbadgecredential"):
        baking.unbake(png)


def test_a_baked_svg_gives_back_the_credential() -> None:
    svg = BadgeImages().svg("Fire Safety", "FIRE", ("#00467f", "#ffffff"))
    baked = bake_svg(svg, CREDENTIAL)

    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked
    assert baking.unbake(baked.encode()) == json.loads(CREDENTIAL)


def test_an_svg_with_an_external_entity_is_refused_unread() -> None:
    svg = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        "<openbadges:credential>&x;</openbadges:credential></svg>"
    )

    with pytest.raises(CheckFailed, match="DOCTYPE or entity"):
        baking.unbake(svg.encode())


def test_an_svg_with_two_credentials_is_refused() -> None:
    svg = BadgeImages().svg("Fire Safety", "FIRE", ("#00467f", "#ffffff"))
    twice = bake_svg(bake_svg(svg, CREDENTIAL), CREDENTIAL)

    with pytest.raises(CheckFailed, match="2 credentials"):
        baking.unbake(twice.encode())


def test_an_upload_over_the_limit_is_refused_unread() -> None:
    with pytest.raises(CheckFailed, match="refused unread"):
        baking.unbake(b"{" + b" " * MAX_BYTES + b"}")


def test_something_that_is_neither_json_png_nor_svg_is_refused() -> None:
    with pytest.raises(CheckFailed, match="neither JSON"):
        baking.unbake(b"GIF89a")
