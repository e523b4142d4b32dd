"""Retrying HTTP requests: exponential backoff with jitter, honouring `Retry-After`.

Owns the one retry rule the web nodes share (`http.scrape`, `webhook.post`): retry
429 and 5xx answers and connection failures, wait `Retry-After` when the server says
how long (capped), otherwise `backoff_s * 2**attempt` with full-range jitter, and give
up after `max_retries` retries with an `HttpFailure` that says why. Callers turn that
into a `NodeError` naming their node, record and (masked) URL.

Also what the node log says about it: `attempt_line` (one line per attempt — its status
or error and the wait before the next one — so "500, 500, 200" reads as three attempts,
not one success) and `status_hint` (what a final status means: a 5xx is the server's
failure, a 401/403/404 points at the URL or token).
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import requests

from .base import RunCancelled

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    # A server asking for minutes would stall the run; past this we give up instead.
    max_retry_after_s: float = 120.0
    # A read timeout on a POST may mean the server got it: re-sending could duplicate it,
    # so only idempotent callers (GET) retry those.
    retry_read_timeouts: bool = True

    def backoff(self, retry_number: int) -> float:
        """Exponential backoff with jitter for the n-th retry (0-based)."""
        ceiling = min(self.max_backoff_s, self.backoff_s * (2 ** retry_number))
        # Jitter between half and all of the ceiling: spreads clients apart, keeps growth.
        return ceiling * random.uniform(0.5, 1.0)


def retry_after_seconds(response: requests.Response) -> float | None:
    """The response's `Retry-After` as seconds, None if absent or bad."""
    return parse_retry_after(response.headers.get("Retry-After"))


def parse_retry_after(value: str | None) -> float | None:
    """A `Retry-After` value (delta-seconds or an HTTP date) as seconds from now."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class HttpFailure(Exception):
    """A request failed for good. `response` is the last answer, if there was one."""

    def __init__(self, reason: str, *, attempts: int, response: requests.Response | None = None,
                 cause: BaseException | None = None):
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.response = response
        self.cause = cause

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None


def _retryable_error(exc: requests.RequestException, policy: RetryPolicy) -> bool:
    if isinstance(exc, requests.ConnectionError):  # includes ConnectTimeout
        return True
    return isinstance(exc, requests.Timeout) and policy.retry_read_timeouts


def request_with_retries(
    session: requests.Session,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    timeout: float,
    cancel_event: threading.Event | None = None,
    on_retry: Callable[[int, str, float], None] | None = None,
    on_attempt: Callable[[int, str, float | None], None] | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send one request, retrying per `policy`; return the first non-retryable response.

    A 4xx other than 429 is returned, not raised: the caller decides what it means.
    Raises `HttpFailure` when retries run out (with the last response or error).
    `on_retry(attempt, why, delay_s)` is called before each wait, for logging;
    `on_attempt(attempt, outcome, delay_s or None)` after every attempt, the last one too
    (None: no retry follows).
    """
    attempt = 0
    while True:
        attempt += 1
        response: requests.Response | None = None
        error: requests.RequestException | None = None
        try:
            response = session.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            if not _retryable_error(exc, policy):
                raise HttpFailure(_describe_error(exc, timeout), attempts=attempt, cause=exc) from exc
            error = exc
        if response is not None and response.status_code not in RETRY_STATUSES:
            if on_attempt is not None:
                on_attempt(attempt, f"HTTP {response.status_code} {response.reason or ''}".strip(), None)
            return response

        if response is not None:
            why = f"HTTP {response.status_code} {response.reason or ''}".strip()
        else:
            why = _describe_error(error, timeout)
        if attempt > policy.max_retries:
            if on_attempt is not None:
                on_attempt(attempt, why, None)
            suffix = f" after {attempt} attempts" if attempt > 1 else ""
            raise HttpFailure(f"{why}{suffix}", attempts=attempt, response=response, cause=error)

        delay = policy.backoff(attempt - 1)
        if response is not None:
            asked = retry_after_seconds(response)
            if asked is not None:
                if asked > policy.max_retry_after_s:
                    if on_attempt is not None:
                        on_attempt(attempt, why, None)
                    raise HttpFailure(
                        f"{why}: the server asked to retry after {asked:.0f} s, more than the "
                        f"{policy.max_retry_after_s:.0f} s this node waits", attempts=attempt, response=response)
                delay = asked
            response.close()
        if on_retry is not None:
            on_retry(attempt, why, delay)
        if on_attempt is not None:
            on_attempt(attempt, why, delay)
        _wait(delay, cancel_event)


def attempt_line(what: str, attempt: int, attempts: int, outcome: str, delay_s: float | None) -> str:
    """`POST https://h/*** (attempt 2 of 4): HTTP 500 Internal Server Error; retrying in 1.03 s`."""
    line = f"{what} (attempt {attempt} of {attempts}): {outcome}"
    return line + (f"; retrying in {delay_s:.2f} s" if delay_s is not None else "")


def status_hint(status: int | None, service: str) -> str:
    """What a final answer means, for the error a node fails with."""
    if status is None:
        return f"{service} could not be reached: check the URL and that the service is up"
    if status >= 500:
        return (f"{service} failed on its side (HTTP {status}), not because of this request: try again "
                "later, or raise the node's retries")
    if status == 429:
        return f"{service} kept rate-limiting: send less often, or raise the node's retries"
    if status in (401, 403):
        return f"{service} refused the credentials: check the webhook URL or token (revoked or expired?)"
    if status in (404, 410):
        return f"{service} does not know this URL: check the webhook URL (revoked, or its channel archived?)"
    return "the request was refused: check the payload, URL and credentials"


def _describe_error(exc: BaseException | None, timeout: float) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return f"connecting timed out after {timeout:g} s"
    if isinstance(exc, requests.Timeout):
        return f"no answer within the {timeout:g} s timeout"
    if isinstance(exc, requests.ConnectionError):
        # The exception text embeds the full URL (maybe a secret): name only the kind.
        return f"could not connect ({type(exc).__name__}: refused, reset, TLS or DNS failure)"
    return f"{type(exc).__name__}: {exc}"


def _wait(seconds: float, cancel_event: threading.Event | None) -> None:
    if cancel_event is None:
        time.sleep(seconds)
        return
    if cancel_event.wait(seconds):
        raise RunCancelled("the run was cancelled while waiting to retry a request")
