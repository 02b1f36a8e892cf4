"""What an answer says about trying again: how long a server asks us to wait (the HTTP
Retry-After header, read by the fetcher and the notifiers, and how an error message says it), and
the error for an answer a destination should never give, which is tried only a few times."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar

from bot.model import RetryableError


class UnexpectedAnswer(RetryableError):
    """A destination answered what it never should: a redirect, a status outside HTTP's classes,
    an unreadable body where one is needed. A passing glitch or a proxy in the way for good: the
    delivery worker tries the message at most `max_attempts` times in all on such answers, then
    gives it up (a dead letter) and keeps the channel. Outages (5xx, 429, timeouts) are plain
    RetryableErrors and are retried for as long as they last."""

    max_attempts: ClassVar[int] = 3


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date; None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)  # lenient: some servers send fractions
    except ValueError:
        return _seconds_until(value, now or datetime.now(UTC))
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def retry_hint(seconds: float | None, *details: str) -> str:
    """The end of an error message: " (retry after 2.5s)", after any other `details`
    (" (global, retry after 1s)"); empty when there is nothing to say."""
    said = [*details, f"retry after {seconds:g}s"] if seconds is not None else list(details)
    return f" ({', '.join(said)})" if said else ""


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP-dates are GMT by definition
    return max((when - now).total_seconds(), 0.0)
