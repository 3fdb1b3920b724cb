"""Baking: an Open Badges 3.0 credential carried inside its image.

PNG: one uncompressed ``iTXt`` chunk with keyword ``openbadgecredential`` holding the signed
JSON, inserted before ``IEND``; the image's own chunks are copied byte for byte, not re-encoded.
SVG: an ``openbadges:credential`` element (namespace ``https://purl.imsglobal.org/ob/v3p0``)
with the JSON in CDATA. Reading refuses what is ambiguous or unsafe: two credentials, a
truncated or corrupt PNG, an SVG with a DOCTYPE or entity, anything over the size limit."""

from __future__ import annotations

import json
import re
import struct
import zlib
from typing import Any
from xml.etree import ElementTree

from carepassport.application.badges.ports import CheckFailed

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
MAX_BYTES = 5 * 1024 * 1024
"""The largest credential or image accepted for verification (a badge is a few KiB)."""
_DANGEROUS_XML = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG, each checked (signature, lengths, CRCs, IEND last)."""
    if not data.startswith(PNG_SIGNATURE):
        raise CheckFailed("format", "not a PNG (bad signature)")
    chunks: list[tuple[bytes, bytes]] = []
    offset = len(PNG_SIGNATURE)
    while offset < len(data):
        if offset + 12 > len(data):
            raise CheckFailed("format", "the PNG is truncated")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        end = offset + 12 + length
        if end > len(data):
            raise CheckFailed("format", f"the PNG is truncated (in a {kind!r} chunk)")
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise CheckFailed("format", f"the PNG's {kind.decode('latin-1')} chunk is corrupt")
        chunks.append((kind, body))
        offset = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise CheckFailed("format", "the PNG is truncated (no IHDR … IEND)")
    return chunks


def _credential_chunks(chunks: list[tuple[bytes, bytes]]) -> list[bytes]:
    return [body for kind, body in chunks if kind == b"iTXt" and body.startswith(KEYWORD + b"\0")]


def bake_png(image: bytes, credential: str) -> bytes:
    """``image`` with ``credential`` in one ``openbadgecredential`` iTXt chunk (replacing any)."""
    chunks = png_chunks(image)
    text = KEYWORD + b"\0" + b"\0\0" + b"\0" + b"\0" + credential.encode("utf-8")
    out = bytearray(PNG_SIGNATURE)
    offset = len(PNG_SIGNATURE)
    for kind, body in chunks:
        size = 12 + len(body)
        if kind == b"IEND":
            out += _chunk(b"iTXt", text)
        if not (kind == b"iTXt" and body.startswith(KEYWORD + b"\0")):
            out += image[offset : offset + size]
        offset += size
    return bytes(out)


def unbake_png(data: bytes) -> str:
    """The credential JSON text of a baked PNG."""
    found = _credential_chunks(png_chunks(data))
    if not found:
        raise CheckFailed("format", "the PNG carries no openbadgecredential iTXt chunk")
    if len(found) > 1:
        raise CheckFailed("format", f"the PNG carries {len(found)} credentials; expected one")
    body = found[0][len(KEYWORD) + 1 :]
    if len(body) < 4:
        raise CheckFailed("format", "the openbadgecredential chunk is truncated")
    compressed, method = body[0], body[1]
    rest = body[2:]
    _language, _, rest = rest.partition(b"\0")
    _translated, _, text = rest.partition(b"\0")
    if compressed:
        if method != 0:
            raise CheckFailed("format", "the credential chunk uses an unknown compression")
        try:
            text = zlib.decompressobj().decompress(text, MAX_BYTES)
        except zlib.error as error:
            raise CheckFailed("format", f"the credential chunk does not inflate: {error}") from None
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckFailed("format", "the credential chunk is not UTF-8") from None


def bake_svg(image: str, credential: str) -> str:
    """``image`` with an ``openbadges:credential`` element right after the opening ``<svg>``."""
    if "]]>" in credential:
        raise CheckFailed("format", "the credential cannot be put in CDATA")
    match = re.search(r"<svg\b[^>]*>", image)
    if match is None:
        raise CheckFailed("format", "not an SVG image")
    tag = match.group(0)
    if "xmlns:openbadges" not in tag:
        tag = tag[:-1].rstrip("/") + f' xmlns:openbadges="{OB_NAMESPACE}">'
    element = f"<openbadges:credential><![CDATA[{credential}]]></openbadges:credential>"
    return image[: match.start()] + tag + element + image[match.end() :]


def unbake_svg(data: bytes) -> str:
    """The credential JSON text of a baked SVG (no DTDs or entities are read)."""
    if _DANGEROUS_XML.search(data):
        raise CheckFailed("format", "the SVG declares a DOCTYPE or entity; refused unread")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise CheckFailed("format", f"the SVG is not well-formed XML: {error}") from None
    found = root.findall(f".//{{{OB_NAMESPACE}}}credential")
    if not found:
        raise CheckFailed("format", "the SVG carries no openbadges:credential element")
    if len(found) > 1:
        raise CheckFailed("format", f"the SVG carries {len(found)} credentials; expected one")
    return (found[0].text or "").strip()


def parse_json(text: str | bytes) -> dict[str, Any]:
    """A credential's JSON object."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckFailed("format", f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise CheckFailed("format", "the credential is not a JSON object")
    return document


class ImageBaking:
    """The ``Baking`` port."""

    def bake_png(self, image: bytes, credential: str) -> bytes:
        return bake_png(image, credential)

    def bake_svg(self, image: str, credential: str) -> str:
        return bake_svg(image, credential)

    def unbake(self, data: bytes) -> dict[str, Any]:
        if len(data) > MAX_BYTES:
            raise CheckFailed("format", f"over {MAX_BYTES // (1024 * 1024)} MiB; refused unread")
        if data.startswith(PNG_SIGNATURE):
            return parse_json(unbake_png(data))
        head = data.lstrip()[:1]
        if head == b"{":
            return parse_json(data)
        if head == b"<":
            return parse_json(unbake_svg(data))
        raise CheckFailed("format", "neither JSON, a PNG nor an SVG")
