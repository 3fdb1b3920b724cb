"""How ``serve`` logs: text for people or JSON lines for machines, each record stamped with the
id of the request it was logged in, if any (docs/adr/0027-observability.md). Standard library
only: the request id travels in a context variable, which the server's tasks and the threads
that run the routes (anyio's ``run_sync`` copies the context) both see."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any, Literal

REQUEST_ID: ContextVar[str | None] = ContextVar("carepassport_request_id", default=None)
"""The id of the request being served in this context (None outside a request)."""

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")

TEXT_FORMAT = "%(levelname)s:     %(name)s: %(message)s"
FIELDS = ("method", "path", "route", "status", "duration_ms")
"""Extra fields a record may carry (the access log's) that the JSON lines keep."""


class RequestIdFilter(logging.Filter):
    """Stamps every record with ``request_id``: the request it was logged in, or None."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, the request id
    inside a request, the access log's fields, and an exception's text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update({key: getattr(record, key) for key in FIELDS if hasattr(record, key)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # json.dumps escapes newlines, so a traceback stays on its record's one line.
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``LEVEL:     logger: message``, then ``[request_id=…]`` inside a request."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id is None:
            return text
        first, newline, rest = text.partition("\n")  # after the message, before a traceback
        return f"{first} [request_id={request_id}]{newline}{rest}"


def handler(log_format: LogFormat, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing ``log_format`` lines to ``stream`` (standard error), request ids
    stamped."""
    found = logging.StreamHandler(stream or sys.stderr)
    found.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    found.addFilter(RequestIdFilter())
    return found


QUIETED = ("httpx", "httpcore")
"""Loggers kept at WARNING: httpx logs every outgoing request's URL with its query string at
INFO, and a Brightspace user look-up names a student number there."""


def configure_logging(log_format: LogFormat, level: int = logging.INFO) -> None:
    """Every logger (uvicorn's too: it is started without a logging configuration of its own)
    writes through one handler in ``log_format``."""
    logging.basicConfig(level=level, handlers=[handler(log_format)], force=True)
    for name in QUIETED:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


__all__ = [
    "LOG_FORMATS",
    "QUIETED",
    "REQUEST_ID",
    "JsonFormatter",
    "LogFormat",
    "RequestIdFilter",
    "TextFormatter",
    "configure_logging",
    "handler",
]
