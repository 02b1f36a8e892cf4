"""HTTP helpers shared by the notifiers that talk to a web endpoint (webhook, Slack, Discord).

One table says what an HTTP status means for a delivery, so every notifier answers the engine's
delivery worker the same way. Messages carry the channel label and the status only: never the
URL (which may embed a token), never the response body (which may echo it).
"""

from __future__ import annotations

import enum
from http import HTTPStatus

import httpx

from bot.model import PermanentError, RetryableError
from bot.retry_after import parse_retry_after, retry_hint

# Statuses that say the endpoint itself is unusable: stop the channel, keep its backlog.
_DISABLING = frozenset({401, 403, 404, 410})
# Statuses that say "not now": throttled, timed out, or the server is in trouble.
_RETRYABLE = frozenset({408, 425, 429})


class Verdict(enum.Enum):
    """What one answer means for the delivery attempt (the engine's worker has its own outcomes)."""

    SUCCESS = "success"
    RETRY = "retry"  # RetryableError
    DROP = "drop"  # PermanentError: this message only
    DISABLE = "disable"  # PermanentError(disable_channel=True)


def classify_status(status: int) -> Verdict:
    """What an HTTP status means for one delivery attempt."""
    if 200 <= status < 300:
        return Verdict.SUCCESS
    if 300 <= status < 400 or status in _DISABLING:
        return Verdict.DISABLE  # redirects are never followed: the configured URL is wrong
    if status in _RETRYABLE or 500 <= status < 600:
        return Verdict.RETRY
    if 400 <= status < 500:
        return Verdict.DROP  # the endpoint rejected this payload; the next one may pass
    return Verdict.RETRY  # outside HTTP's range: safe to retry, the idempotency key dedups


def status_text(status: int) -> str:
    """'HTTP 503 Service Unavailable': the standard phrase, never the server's own text."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def raise_for_response(response: httpx.Response, label: str) -> None:
    """Return on 2xx, else raise the typed error the delivery worker expects."""
    status = response.status_code
    verdict = classify_status(status)
    if verdict is Verdict.SUCCESS:
        return
    if verdict is Verdict.RETRY:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise RetryableError(f"{label}: {status_text(status)}{retry_hint(retry_after)}", retry_after=retry_after)
    if verdict is Verdict.DISABLE:
        raise PermanentError(f"{label}: {_disable_reason(status)}", disable_channel=True)
    raise PermanentError(f"{label}: {status_text(status)}: message rejected")


def _disable_reason(status: int) -> str:
    if status == 410:
        return "HTTP 410 Gone: endpoint disabled"
    if 300 <= status < 400:
        return f"{status_text(status)}: redirects are not followed, channel disabled"
    return f"{status_text(status)}: channel disabled"

