"""Reads inbound replies as real mail clients write them (R3; ADR 0012).

The stdlib ``email`` package (policy=default) decodes the MIME structure, charsets and
transfer encodings; an HTML-only reply is turned into text with blockquotes marked as quoted
lines. Then only one thing is wanted: the first line the sender wrote above what they quote.
Quoted lines (``>``) and attribution lines ("On … wrote:", "Le … a écrit :", "El … escribió:",
"Am … schrieb …:") are skipped; an unquoted original (Outlook's "From: / Sent:" block,
"-----Original Message-----", a separator line) or a mobile signature ends the search. Every
pattern is anchored and bounded, and input is capped, so a hostile message costs linear time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

from carepassport.application.mail.ports import ParsedReply

MAX_LINES = 400
MAX_LINE = 1000
MAX_HTML = 2_000_000
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None) | {
    ord("\xa0"): " ",
    ord("\u202f"): " ",
}
MAX_ATTRIBUTION = 400
_LEAD = re.compile(r"^(?:On|Le|El|Am|Op|Il|Den|W dniu)\b", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(
    r"\b(?:wrote|a\s+écrit|escribió|ha\s+scritto|schreef|skrev)\s?:$|\bschrieb\b.{0,300}:$",
    re.IGNORECASE,
)
_ORIGINAL_BANNER = re.compile(
    r"^-{2,}\s*(?:original message|message d'origine|mensaje original|"
    r"ursprüngliche nachricht|oorspronkelijk bericht|messaggio originale|"
    r"forwarded message|message transféré|mensaje reenviado|weitergeleitete nachricht)"
    r"\s*-{2,}$|^(?:begin forwarded message|début du message réexpédié)\s?:$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^(?:_{8,}|-{8,}|={8,}|--)$")
_FROM_FIELD = re.compile(r"^\*?(?:from|de|von|van|da|od)\s?\*?:", re.IGNORECASE)
_OTHER_FIELD = re.compile(
    r"^\*?(?:sent|date|to|cc|subject|envoyé|à|objet|enviado|fecha|para|asunto|gesendet|"
    r"datum|an|betreff|verzonden|aan|onderwerp|inviato|data|oggetto)\s?\*?:",
    re.IGNORECASE,
)
_MOBILE_SIGNATURE = re.compile(
    r"^(?:sent from my|sent from outlook|get outlook for|sent from yahoo mail|"
    r"envoyé de mon|envoyé depuis|enviado desde mi|enviado de mi|von meinem|gesendet von|"
    r"verzonden (?:met|vanaf|van) mijn|inviato da)\b",
    re.IGNORECASE,
)


class MimeReplyParser:
    """The ``ReplyParser`` for raw RFC 5322 messages."""

    def parse(self, raw: bytes) -> ParsedReply:
        """The reply's identity, addresses, subject, first written line and verdicts."""
        message = BytesParser(policy=policy.default).parsebytes(raw)
        ids = [v.strip() for v in _values(message, "Message-ID") if v.strip()]
        return ParsedReply(
            message_id=ids[0][:998] if ids else "sha256:" + hashlib.sha256(raw).hexdigest(),
            sender=_single_address(_values(message, "From")),
            recipients=tuple(
                address for name in RECIPIENT_HEADERS for address in _addresses(message, name)
            ),
            subject=" ".join((_values(message, "Subject") or [""])[0].split()),
            answer_line=answer_line(body_text(message)),
            authentication_results=tuple(_values(message, "Authentication-Results")),
        )


def _values(message: Message, name: str) -> list[str]:
    """A header's values as text; a header too broken to decode is left out."""
    try:
        return [str(value) for value in message.get_all(name) or []]
    except (ValueError, IndexError, TypeError, LookupError):
        return []


def _addresses(message: Message, name: str) -> list[str]:
    return [a.strip().lower() for _, a in getaddresses(_values(message, name)) if a.strip()]


def _single_address(values: Sequence[str]) -> str | None:
    """The From address, if there is exactly one."""
    found = [a.strip().lower() for _, a in getaddresses(list(values)) if a.strip()]
    return found[0] if len(found) == 1 else None


def body_text(message: Message) -> str:
    """The reply's text: its text/plain body, else its HTML body as text, else nothing."""
    if not isinstance(message, EmailMessage):
        return ""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, TypeError):
        part = None
    if part is None:
        return ""
    text = _content(part)
    return html_to_text(text[:MAX_HTML]) if part.get_content_type() == "text/html" else text


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, ValueError, AssertionError):
        content = None
    if isinstance(content, str):
        return content
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def answer_line(text: str) -> str | None:
    """R3: the first line the sender wrote above any quoted text, or None if there is none."""
    lines = [_clean(line) for line in text.splitlines()[:MAX_LINES]]
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line or line.startswith(">"):
            index += 1
            continue
        if _starts_original(lines, index) or _MOBILE_SIGNATURE.match(line):
            return None
        attribution = _attribution_length(lines, index)
        if attribution:
            index += attribution
            continue
        return line
    return None


def _clean(line: str) -> str:
    return line.translate(_INVISIBLE).strip()[:MAX_LINE]


def _starts_original(lines: list[str], index: int) -> bool:
    """Whether the original message starts here unquoted (a banner, a separator, or a
    header block: a From field followed within four lines by another header field)."""
    line = lines[index]
    if _ORIGINAL_BANNER.match(line) or _SEPARATOR.match(line):
        return True
    if not _FROM_FIELD.match(line):
        return False
    return any(_OTHER_FIELD.match(following) for following in lines[index + 1 : index + 5])


def _attribution_length(lines: list[str], index: int) -> int:
    """How many lines (1 to 3: clients wrap it) an attribution such as "On … wrote:" spans
    here; 0 if there is none."""
    for count in (1, 2, 3):
        window = lines[index : index + count]
        if len(window) < count or not window[-1]:
            return 0
        if _is_attribution(" ".join(window)):
            return count
    return 0


def _is_attribution(text: str) -> bool:
    """ "On <date>, <name> wrote:" and its translations, or "<name> <address> wrote:"."""
    if len(text) > MAX_ATTRIBUTION or not (_LEAD.match(text) or "@" in text):
        return False
    return _ATTRIBUTION_END.search(text) is not None


class _TextExtractor(HTMLParser):
    """HTML to text lines: blocks break lines, blockquotes prefix ``> ``, head and scripts
    are dropped, and whitespace collapses as a browser shows it."""

    BLOCKS = frozenset(
        {"p", "div", "br", "tr", "li", "ul", "ol", "table", "hr", "pre", "blockquote"}
        | {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer"}
        | {"dd", "dt", "address", "center"}
    )
    HIDDEN = frozenset({"head", "style", "script", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._depth = 0
        self._line_depth = 0
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag in self.BLOCKS:
            self.line_break()
            if tag == "blockquote":
                self._depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.line_break()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self.BLOCKS:
            self.line_break()
            if tag == "blockquote":
                self._depth = max(0, self._depth - 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not "".join(self._current).strip():
            self._line_depth = self._depth
        self._current.append(data)

    def line_break(self) -> None:
        text = " ".join("".join(self._current).translate(_INVISIBLE).split())
        self.lines.append("> " * self._line_depth + text if text else "")
        self._current = []


def html_to_text(html: str) -> str:
    """An HTML body as text lines, quoted parts marked with ``>``."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    extractor.line_break()
    return "\n".join(extractor.lines)
