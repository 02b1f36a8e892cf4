"""HTTP helpers shared by the notifiers that talk to a web endpoint (webhook, Slack, Discord).

One table says what an HTTP status means for a delivery, so every notifier answers the engine's
delivery worker the same way. Messages carry the channel label, the status and, where the body
matters, its type and size: never the URL (which may embed a token), never the response body
(which may echo it).
"""

from __future__ import annotations

import enum
import json
import re
from http import HTTPStatus
from typing import Any
from urllib.parse import SplitResult

import httpx

from bot.model import PermanentError, RetryableError
from bot.retry_after import UnexpectedAnswer, parse_retry_after, retry_hint
from bot.urls import http_url

# Statuses that say the endpoint itself is unusable: stop the channel, keep its backlog.
_DISABLING = frozenset({401, 403, 404, 410})
# Statuses that say "not now": throttled, timed out, or the server is in trouble.
_RETRYABLE = frozenset({408, 425, 429})
# A media type as RFC 9110 spells one; a Content-Type that is not one is not repeated.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")


class Verdict(enum.Enum):
    """What one answer means for the delivery attempt (the engine's worker has its own outcomes)."""

    SUCCESS = "success"
    RETRY = "retry"  # RetryableError: an outage, retried for as long as it lasts
    UNEXPECTED = "unexpected"  # UnexpectedAnswer: retried a few times, then given up
    DROP = "drop"  # PermanentError: this message only
    DISABLE = "disable"  # PermanentError(disable_channel=True)


def json_bytes(document: object) -> bytes:
    """Minified UTF-8 JSON. A lone surrogate (a JSON document may hold one) becomes '?' instead
    of failing the encoding, as httpx's own `json=` would."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "replace")


def webhook_url(value: str, path: str | None = None) -> SplitResult:
    """The parts of a webhook's URL, for a settings validator: an absolute http(s) URL, with a
    path when `path` (how the service's looks, e.g. "/api/webhooks/ID/TOKEN") is given. The
    ValueError never quotes the URL: it carries the webhook's credentials."""
    url = http_url(value)
    if url is None:
        raise ValueError("must be an http:// or https:// URL")
    if path is not None and not url.path.strip("/"):
        raise ValueError(f"must include the webhook's path ({path})")
    return url


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object, or {} for an empty, non-JSON or non-object body."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def classify_status(status: int) -> Verdict:
    """What an HTTP status means for one delivery attempt.

    A status HTTP does not name counts as the x00 of its class (RFC 9110, section 15): 499 is
    a 400, 520 a 500. Redirects are never followed, and a 1xx or a status outside 100-599 is
    no final answer: those are unexpected."""
    if 200 <= status < 300:
        return Verdict.SUCCESS
    if status in _DISABLING:
        return Verdict.DISABLE
    if status in _RETRYABLE or 500 <= status < 600:
        return Verdict.RETRY
    if 400 <= status < 500:
        return Verdict.DROP  # the endpoint rejected this payload; the next one may pass
    return Verdict.UNEXPECTED


def status_text(status: int) -> str:
    """'HTTP 503 Service Unavailable': the standard phrase, never the server's own text."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def body_text(content_type: str | None, size: int | None) -> str:
    """'1,234 bytes of text/html', or 'no body': what a message says instead of quoting a body."""
    if size == 0:
        return "no body"
    media = (content_type or "").split(";", 1)[0].strip().lower()
    typed = _MEDIA_TYPE.fullmatch(media) is not None
    if size is None:
        return f"a {media} body of unknown size" if typed else "an untyped body of unknown size"
    amount = f"{size:,} byte{'' if size == 1 else 's'}"
    return f"{amount} of {media}" if typed else f"{amount} of no stated type"


def answer_text(status: int, content_type: str | None, size: int | None) -> str:
    """'HTTP 200 OK with 1,234 bytes of text/html'."""
    return f"{status_text(status)} with {body_text(content_type, size)}"


def describe(response: httpx.Response) -> str:
    """`answer_text` of an httpx response (read in full: the notifiers never stream)."""
    return answer_text(response.status_code, response.headers.get("content-type"), len(response.content))


def unexpected(label: str, answer: str, status: int) -> UnexpectedAnswer:
    """The error for an answer no destination should give; a redirect says it was not followed."""
    why = "a redirect, not followed" if 300 <= status < 400 else "an unexpected answer"
    return UnexpectedAnswer(f"{label}: {answer}: {why}")


def raise_for_response(response: httpx.Response, label: str) -> None:
    """Return on 2xx, else raise the typed error the delivery worker expects."""
    status = response.status_code
    verdict = classify_status(status)
    if verdict is Verdict.SUCCESS:
        return
    if verdict is Verdict.RETRY:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise RetryableError(f"{label}: {status_text(status)}{retry_hint(retry_after)}", retry_after=retry_after)
    if verdict is Verdict.UNEXPECTED:
        raise unexpected(label, describe(response), status)
    if verdict is Verdict.DISABLE:
        raise PermanentError(f"{label}: {_disable_reason(status)}", disable_channel=True)
    raise PermanentError(f"{label}: {status_text(status)}: message rejected")


def _disable_reason(status: int) -> str:
    if status == 410:
        return "HTTP 410 Gone: endpoint disabled"
    return f"{status_text(status)}: channel disabled"
