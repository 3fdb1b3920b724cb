"""Inbound mail sources: files or standard input (the CLI's), and an in-memory fake."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from carepassport.application.mail.ports import InboundMessage

STDIN = "-"


class FileInbound:
    """Messages read from ``.eml`` files, or from standard input for ``-``, in the given order.

    ``authentication`` is the verdict of whatever received them (an Authentication-Results
    value), if it gave one. ``handled`` lists the origins of the messages marked done.
    """

    def __init__(
        self,
        paths: Sequence[str],
        *,
        stdin: BinaryIO | None = None,
        authentication: str | None = None,
    ) -> None:
        self.paths = list(paths)
        self.stdin = stdin
        self.authentication = authentication
        self.handled: list[str] = []

    def fetch(self) -> Iterator[InboundMessage]:
        """Each file's bytes, read when its turn comes."""
        for path in self.paths:
            if path == STDIN:
                if self.stdin is None:
                    raise OSError("no standard input to read a message from")
                raw = self.stdin.read()
            else:
                raw = Path(path).read_bytes()
            yield InboundMessage(raw=raw, authentication=self.authentication, origin=path)

    def done(self, message: InboundMessage) -> None:
        """Files are left in place; a file read again changes nothing (its Message-ID)."""
        self.handled.append(message.origin)


class InMemoryInbound:
    """A fake inbound source for tests: ``deliver`` messages, then see which were ``handled``."""

    def __init__(self) -> None:
        self.waiting: list[InboundMessage] = []
        self.handled: list[InboundMessage] = []

    def deliver(self, raw: bytes, authentication: str | None = None, origin: str = "") -> None:
        """A message arrives."""
        self.waiting.append(InboundMessage(raw, authentication, origin))

    def fetch(self) -> Iterator[InboundMessage]:
        """The messages not yet handled, oldest first."""
        yield from list(self.waiting)

    def done(self, message: InboundMessage) -> None:
        """The message is handled: it is not offered again."""
        self.waiting.remove(message)
        self.handled.append(message)
