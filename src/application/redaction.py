"""What the application's own log lines must not carry: no erasure reaches a log (ADR 0027).

A log line that quotes an outside system's error text (a mail server's reply, the LMS's answer)
can carry a person's address or student number. Those are masked as ``***``; the record of the
failure, which erasure does reach, keeps the whole text (ADR 0023).
"""

from __future__ import annotations

import re

MASK = "***"
ADDRESS_LIKE = re.compile(r"[^@\s<>(),;:\"]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
"""Anything shaped like an address the product accepts (``<jane@example.org>: Recipient
address rejected``, an apostrophe or bracket in the left part included)."""


def masked(text: str, *named: str | None) -> str:
    """``text`` with every address-like run and every one of ``named`` (a student number, say)
    replaced by ``***``. Empty or missing names are ignored."""
    for name in sorted({n for n in named if n}, key=len, reverse=True):
        text = text.replace(name, MASK)
    return ADDRESS_LIKE.sub(MASK, text)
