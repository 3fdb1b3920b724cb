"""How ``serve`` writes its log lines (ADR 0027): JSON lines with their fields, text lines with
the request id, and what a request's logged path never shows."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest

from carepassport.entrypoints.http.logs import QUIETED, REQUEST_ID, configure_logging, handler
from carepassport.entrypoints.http.observe import logged_path, request_id


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, dict[str, io.StringIO]]]:
    """A logger of its own writing both formats to streams, each line as written."""
    streams = {"json": io.StringIO(), "text": io.StringIO()}
    found = logging.getLogger("carepassport.test.lines")
    handlers = [handler("json", streams["json"]), handler("text", streams["text"])]
    for each in handlers:
        found.addHandler(each)
    found.setLevel(logging.DEBUG)
    found.propagate = False
    yield found, streams
    for each in handlers:
        found.removeHandler(each)


def test_a_json_line_is_one_object_with_time_level_logger_and_message(
    logger: tuple[logging.Logger, dict[str, io.StringIO]],
) -> None:
    log, streams = logger

    log.warning("the %s is %d", "answer", 42)

    lines = streams["json"].getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry == {
        "time": entry["time"],
        "level": "WARNING",
        "logger": "carepassport.test.lines",
        "message": "the answer is 42",
    }
    assert entry["time"].endswith("Z")
    assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_an_exception_stays_on_its_records_one_line(
    logger: tuple[logging.Logger, dict[str, io.StringIO]],
) -> None:
    log, streams = logger

    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        log.exception("it failed")

    lines = streams["json"].getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "ERROR" and entry["message"] == "it failed"
    assert "Traceback" in entry["exception"] and "ValueError: broken" in entry["exception"]


def test_inside_a_request_both_formats_carry_its_id(
    logger: tuple[logging.Logger, dict[str, io.StringIO]],
) -> None:
    log, streams = logger

    token = REQUEST_ID.set("req-7")
    try:
        log.info("inside")
    finally:
        REQUEST_ID.reset(token)
    log.info("outside")

    inside, outside = (json.loads(line) for line in streams["json"].getvalue().splitlines())
    assert inside["request_id"] == "req-7"
    assert "request_id" not in outside
    assert streams["text"].getvalue().splitlines() == [
        "INFO:     carepassport.test.lines: inside [request_id=req-7]",
        "INFO:     carepassport.test.lines: outside",
    ]


def test_an_access_records_fields_are_kept_in_its_json_line(
    logger: tuple[logging.Logger, dict[str, io.StringIO]],
) -> None:
    log, streams = logger
    fields = {"method": "GET", "path": "/x", "route": "/x", "status": 200, "duration_ms": 1.5}

    log.info("GET /x 200 1.5 ms", extra=fields)

    entry = json.loads(streams["json"].getvalue())
    assert {key: entry[key] for key in fields} == fields


@pytest.mark.parametrize("sane", ["abc", "A.b-c_9", "x" * 128])
def test_a_sane_incoming_request_id_is_kept(sane: str) -> None:
    assert request_id(sane) == sane


@pytest.mark.parametrize("bad", [None, "", "x" * 129, "has space", "a/b", "é", "id\r\nX-Evil: 1"])
def test_any_other_incoming_request_id_is_replaced_by_a_new_one(bad: str | None) -> None:
    fresh = request_id(bad)

    assert len(fresh) == 32 and int(fresh, 16) >= 0
    assert fresh != request_id(bad)


def test_a_logged_path_masks_credentials_and_addresses_and_has_no_query() -> None:
    sign_in = {"path": "/portal/sign-in/Zm9vYmFy", "path_params": {"secret": "Zm9vYmFy"}}
    addressed = {"path": "/employees/pat.lee@example.org/status", "query_string": b"to=x"}
    message = {"path": "/outbox/<0b7e@carepassport>/retry"}

    assert logged_path(sign_in) == "/portal/sign-in/***"
    assert logged_path(addressed) == "/employees/***/status"
    assert logged_path(message) == "/outbox/<0b7e@carepassport>/retry"  # an id, not an address
    assert len(logged_path({"path": "/" + "a" * 1000})) == 256


def test_configured_logging_keeps_outgoing_request_urls_out() -> None:
    root = logging.getLogger()
    before = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in QUIETED})
    root.handlers[:] = []  # the test run's own handlers are left as they are
    try:
        configure_logging("json")

        assert [type(h.formatter).__name__ for h in root.handlers] == ["JsonFormatter"]
        assert root.level == logging.INFO
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])
        for name, level in before[2].items():
            logging.getLogger(name).setLevel(level)
