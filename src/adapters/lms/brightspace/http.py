"""HTTP to Brightspace: timeouts, retries with backoff, clear errors, and both paging shapes.

429 (honouring Retry-After), 5xx, timeouts and broken connections are retried with exponential
backoff (tenacity) within a time budget, then raise LmsUnavailable; a 4xx raises
LmsRequestRefused at once, with the status and an excerpt of the body. The bearer token is sent
to the configured host only (a paging link to another host is refused) and never appears in a
log or an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from carepassport.adapters.lms.brightspace.config import BrightspaceConfig
from carepassport.application.training.ports import LmsRequestRefused, LmsUnavailable

log = logging.getLogger(__name__)
EXCERPT = 200
MAX_PAGES = 10_000

JsonObject = dict[str, Any]


class _Transient(Exception):
    """A failure worth retrying; ``retry_after`` is what the server asked for, if anything."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after(header: str | None, now: datetime) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date (None when absent or odd)."""
    if not header:
        return None
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max((moment.astimezone(UTC) - now).total_seconds(), 0.0)


class ValenceHttp:
    """JSON over HTTP to one Brightspace host, with the bearer token, retried as configured."""

    def __init__(
        self,
        config: BrightspaceConfig,
        token: SecretStr,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._monotonic = monotonic
        self._down_since: float | None = None
        self._host = urlsplit(config.base_url)[:2]
        self._http = httpx.Client(
            base_url=config.base_url,
            timeout=config.timeout_seconds,
            headers={
                "Authorization": f"Bearer {token.get_secret_value()}",
                "Accept": "application/json",
            },
            transport=transport,
            follow_redirects=False,
        )
        self._backoff = wait_exponential_jitter(
            multiplier=config.retry_wait_seconds,
            max=config.retry_budget_seconds,
            jitter=config.retry_jitter_seconds,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def pages(self, path: str) -> Iterator[JsonObject]:
        """The objects of a paged list: an ObjectListPage (follow ``Next``) or a
        PagedResultSet (pass ``PagingInfo.Bookmark`` back as ``bookmark``)."""
        url: str = path
        params: dict[str, str] = {}
        seen: set[tuple[str, str]] = set()
        for _ in range(MAX_PAGES):
            page = self.json("GET", url, params=params or None)
            if isinstance(page, list):
                yield from page
                return
            if not isinstance(page, dict):
                raise LmsUnavailable(f"Brightspace answered GET {path} with an unknown shape")
            if "Objects" in page:
                yield from page["Objects"] or []
                following = page.get("Next")
                if not following:
                    return
                url, params = self._same_host(following), {}
            else:
                yield from page.get("Items") or []
                info = page.get("PagingInfo") or {}
                if not info.get("HasMoreItems") or not info.get("Bookmark"):
                    return
                params = {"bookmark": str(info["Bookmark"])}
            if (url, params.get("bookmark", "")) in seen:
                raise LmsUnavailable(f"Brightspace's paging of GET {path} goes round in circles")
            seen.add((url, params.get("bookmark", "")))
        raise LmsUnavailable(f"Brightspace's paging of GET {path} did not end")

    def _same_host(self, link: str) -> str:
        """A Next link, refused if it would take the token to another host."""
        parts = urlsplit(link)
        if parts.scheme and parts[:2] != self._host:
            raise LmsRequestRefused(f"Brightspace's Next link leaves {self.config.base_url}")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def json(self, method: str, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        response = self.request(method, path, params=params)
        try:
            return response.json()
        except ValueError:
            raise LmsUnavailable(f"Brightspace answered {method} {path} with no JSON") from None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: JsonObject | None = None,
    ) -> httpx.Response:
        """One request, retried as configured. After a request that Brightspace never
        answered, the next ones fail at once for ``outage_cooldown_seconds``, so an outage
        costs one retry budget, not one a request."""
        if self._down_since is not None:
            down_for = self._monotonic() - self._down_since
            if down_for < self.config.outage_cooldown_seconds:
                raise LmsUnavailable(
                    f"Brightspace did not answer {down_for:.0f} s ago; not asked again before "
                    f"{self.config.outage_cooldown_seconds:g} s ({method} {path})"
                )
        retrying = Retrying(
            stop=stop_after_attempt(self.config.retry_attempts)
            | stop_before_delay(self.config.retry_budget_seconds),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            reraise=True,
        )
        request = f"{method} {path}"
        try:
            for attempt in retrying:
                with attempt:
                    response = self._send(method, path, params, json)
                    self._down_since = None
                    return response
        except _Transient as failure:
            self._down_since = self._monotonic()
            tries = retrying.statistics.get("attempt_number", 1)
            raise LmsUnavailable(
                f"Brightspace did not answer {request} after {tries} tries: {failure}"
            ) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: JsonObject | None,
    ) -> httpx.Response:
        try:
            response = self._http.request(method, path, params=params, json=json)
        except httpx.TimeoutException:
            raise _Transient(f"no answer within {self.config.timeout_seconds} s") from None
        except httpx.TransportError as error:
            raise _Transient(f"connection failed ({type(error).__name__})") from None
        status = response.status_code
        if status == 429 or status >= 500:
            log.info("Brightspace answered %s %s with %s; retrying", method, path, status)
            wait = retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
            if status == 429 and wait is not None:
                raise _Transient(f"HTTP 429, retry after {wait:g} s", wait)
            raise _Transient(f"HTTP {status}")
        if status >= 400:
            excerpt = " ".join(response.text.split())[:EXCERPT]
            raise LmsRequestRefused(
                f"Brightspace refused {method} {path} with HTTP {status}: {excerpt}",
                status,
                excerpt,
            )
        if status >= 300:
            raise LmsRequestRefused(
                f"Brightspace redirected {method} {path} (HTTP {status})", status
            )
        return response

    def _wait(self, state: RetryCallState) -> float:
        """Retry-After when the server gave one, else exponential backoff with jitter."""
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _Transient) and failure.retry_after is not None:
            return failure.retry_after
        return float(self._backoff(state))
