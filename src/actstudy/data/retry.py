"""Retrying network calls that failed for a passing reason, with bounded exponential backoff.

Transient: connection errors (refused, reset, dropped, a body cut short), timeouts, and HTTP
408, 429 and 5xx answers, whose ``Retry-After`` is honoured when it is a number of seconds (capped).
Anything else (another HTTP 4xx, a checksum mismatch, missing credentials) fails at the first
attempt; so does a failed name lookup (DNS), which means no network far more often than a
passing fault, and which retries would only make the user wait for. Each retry is logged as one
line. ``ACTSTUDY_RETRY_ATTEMPTS`` and ``ACTSTUDY_RETRY_BASE_DELAY`` (seconds) override the number
of attempts and the first delay.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import random
import socket
import sys
import time
import urllib.error
from collections.abc import Callable
from typing import TypeVar

from actstudy.environment import environment_number

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

ATTEMPTS = 4
BASE_DELAY_S = 2.0
MAX_DELAY_S = 30.0
MAX_TOTAL_WAIT_S = 120.0
RETRY_AFTER_CAP_S = 60.0
JITTER = 0.25
ATTEMPTS_VARIABLE = "ACTSTUDY_RETRY_ATTEMPTS"
BASE_DELAY_VARIABLE = "ACTSTUDY_RETRY_BASE_DELAY"
TRANSIENT_STATUSES = frozenset({408, 429})

_sleep = time.sleep  # tests replace it to see the delays without waiting


def http_status(error: BaseException) -> int | None:
    """The HTTP status an error carries: urllib's HTTPError, requests' HTTPError (through its
    response) and wfdb's NetFileError; None for any other error."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code
    status = getattr(error, "status_code", None)
    if status is None:
        status = getattr(getattr(error, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def _requests_transient(error: BaseException) -> bool:
    requests = sys.modules.get("requests")  # an error can only be one of its kind once imported
    if requests is None:
        return False
    kinds = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
    return isinstance(error, kinds)


def _causes(error: BaseException) -> list[BaseException]:
    """``error``, the errors it wraps (cause, context, urllib's reason, urllib3's in args), and
    theirs, each once."""
    found: list[BaseException] = []
    pending = [error]
    while pending:
        current = pending.pop()
        if any(current is seen for seen in found):
            continue
        found.append(current)
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += [e for e in [*inner, *current.args] if isinstance(e, BaseException)]
    return found


def name_lookup_failed(error: BaseException) -> bool:
    """Whether ``error`` is, or wraps, a failed name lookup (no DNS, usually no network)."""
    return any(
        isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError"
        for e in _causes(error)
    )


def is_transient(error: BaseException) -> bool:
    """Whether trying again may succeed (see the module's description)."""
    if name_lookup_failed(error):
        return False
    status = http_status(error)
    if status is not None:
        return status >= 500 or status in TRANSIENT_STATUSES
    if isinstance(error, ConnectionError | TimeoutError) or _requests_transient(error):
        return True
    if isinstance(error, http.client.HTTPException):
        return not isinstance(error, http.client.InvalidURL)
    # urllib wraps socket errors (refused, unreachable, name lookup) into URLError.
    return isinstance(error, urllib.error.URLError) and isinstance(error.reason, OSError)


def reason(error: BaseException) -> str:
    """A short reason for a log line or a sentence: the HTTP status when there is one, else the
    message; only the type of requests' and urllib3's errors, whose messages may hold signed
    URLs."""
    if name_lookup_failed(error):
        return "its host name could not be looked up: no network?"
    status = http_status(error)
    if status is not None:
        return f"HTTP {status}"
    if type(error).__module__.partition(".")[0] in ("requests", "urllib3"):
        return type(error).__name__
    detail = getattr(error, "reason", None) if isinstance(error, urllib.error.URLError) else None
    return str(detail or error) or type(error).__name__


def attempts_made(error: BaseException) -> int:
    """How many attempts :func:`retry` made before raising ``error`` (1 if it did not see it)."""
    return getattr(error, "_actstudy_attempts", 1)


def attempts_phrase(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


def _retry_after(error: BaseException) -> float | None:
    """The server's Retry-After in seconds when it is a plain number (capped), else None."""
    headers = getattr(error, "headers", None)
    if headers is None:
        headers = getattr(getattr(error, "response", None), "headers", None)
    value = headers.get("Retry-After") if headers is not None else None
    if value is None or not str(value).strip().isdigit():
        return None
    return min(float(value), RETRY_AFTER_CAP_S)


def retry(
    call: Callable[[], Result],
    *,
    what: str,
    attempts: int | None = None,
    base_delay: float | None = None,
    max_delay: float = MAX_DELAY_S,
    max_total_wait: float = MAX_TOTAL_WAIT_S,
    transient: Callable[[BaseException], bool] = is_transient,
    describe: Callable[[BaseException], str] = reason,
) -> Result:
    """Return ``call()``, calling again after a transient failure.

    The delay before retry ``n`` is ``base_delay * 2**(n-1)`` plus up to a quarter more, at most
    ``max_delay`` and never beyond ``max_total_wait`` in all; a larger numeric ``Retry-After``
    lengthens it. ``attempts`` and ``base_delay`` default to the environment's settings or
    ``ATTEMPTS`` and ``BASE_DELAY_S``. A non-transient error is raised at once; after the last
    attempt the last error is raised. Either way :func:`attempts_made` tells how many were made.
    ``what`` names the call in the log lines, as in "download of mnist.gz".
    """
    if attempts is None:
        attempts = int(environment_number(ATTEMPTS_VARIABLE, ATTEMPTS, 1, whole=True))
    if base_delay is None:
        base_delay = environment_number(BASE_DELAY_VARIABLE, BASE_DELAY_S, 0)
    waited = 0.0
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as error:
            with contextlib.suppress(AttributeError):
                error._actstudy_attempts = attempt  # type: ignore[attr-defined]
            budget = max_total_wait - waited
            if attempt == attempts or not transient(error) or budget <= 0:
                raise
            delay = min(base_delay * 2 ** (attempt - 1) * (1 + JITTER * random.random()), max_delay)
            delay = min(max(delay, _retry_after(error) or 0.0), budget)
            logger.warning(
                "%s failed (%s); attempt %d of %d in %.1f s",
                what,
                describe(error),
                attempt + 1,
                attempts,
                delay,
            )
            _sleep(delay)
            waited += delay
    raise AssertionError("unreachable")  # the loop returns or raises
