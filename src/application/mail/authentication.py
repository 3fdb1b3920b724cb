"""The receiving server's verdicts on a message's sender: DKIM, SPF and DMARC (RFC 8601)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_VERDICT = re.compile(r"\b(dkim|spf|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


def authentication_verdicts(results: Iterable[str | None]) -> list[str]:
    """``method=result`` for each DKIM, SPF and DMARC verdict in Authentication-Results values
    (RFC 8601), lower case, comments ignored."""
    verdicts: list[str] = []
    for result in results:
        if result:
            text = _without_comments(result)
            verdicts.extend(f"{m.lower()}={r.lower()}" for m, r in _VERDICT.findall(text))
    return verdicts


def _without_comments(value: str) -> str:
    """A header value without its (possibly nested) parenthesised comments."""
    kept: list[str] = []
    depth, escaped = 0, False
    for char in value:
        if escaped:
            escaped = False
            if depth == 0:
                kept.append(char)
        elif char == "\\":
            escaped = True
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return "".join(kept)
