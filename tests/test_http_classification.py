"""The shared table: what every HTTP status means for a delivery, and Retry-After parsing.

The table runs the real webhook notifier against a real local receiver; Slack and Discord
notifiers add their rows here as they arrive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from bot.message import compose
from bot.model import Event, Incident, PermanentError, RetryableError
from bot.retry_after import parse_retry_after
from notifiers._http import Outcome, classify_status
from notifiers.webhook import WebhookNotifier, WebhookSettings
from tests.fakes import WebhookReceiver

EVENT = Event(
    id="evt_1",
    type="incident.created",
    key="inc1",
    provider="acme",
    provider_title="Acme",
    thread_key="inc1",
    incident=Incident(id="inc1", title="Down", status="investigating"),
)

TABLE: list[tuple[int, Outcome]] = [
    (200, Outcome.SUCCESS),
    (201, Outcome.SUCCESS),
    (204, Outcome.SUCCESS),
    (301, Outcome.DISABLE),
    (302, Outcome.DISABLE),
    (400, Outcome.DROP),
    (401, Outcome.DISABLE),
    (403, Outcome.DISABLE),
    (404, Outcome.DISABLE),
    (408, Outcome.RETRY),
    (410, Outcome.DISABLE),
    (413, Outcome.DROP),
    (422, Outcome.DROP),
    (425, Outcome.RETRY),
    (429, Outcome.RETRY),
    (500, Outcome.RETRY),
    (502, Outcome.RETRY),
    (503, Outcome.RETRY),
    (504, Outcome.RETRY),
]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
async def webhook(receiver: WebhookReceiver) -> AsyncIterator[WebhookNotifier]:
    async with httpx.AsyncClient() as http:
        yield WebhookNotifier("hooks", WebhookSettings(url=f"{receiver.url}/hook"), http)


async def outcome_of(notifier: WebhookNotifier) -> Outcome:
    try:
        await notifier.send(compose(EVENT), None)
    except RetryableError:
        return Outcome.RETRY
    except PermanentError as error:
        return Outcome.DISABLE if error.disable_channel else Outcome.DROP
    return Outcome.SUCCESS


@pytest.mark.parametrize(("status", "expected"), TABLE)
def test_classify_status(status: int, expected: Outcome) -> None:
    assert classify_status(status) is expected


@pytest.mark.parametrize(("status", "expected"), TABLE)
async def test_webhook_outcome_per_status(
    status: int, expected: Outcome, receiver: WebhookReceiver, webhook: WebhookNotifier
) -> None:
    # A Location pointing back at the receiver proves redirects are not followed.
    receiver.respond(status, headers={"Location": f"{receiver.url}/elsewhere"})
    assert await outcome_of(webhook) is expected
    assert [request.path for request in receiver.requests] == ["/hook"]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (503, "webhook channel 'hooks': HTTP 503 Service Unavailable"),
        (410, "webhook channel 'hooks': HTTP 410 Gone: endpoint disabled"),
        (401, "webhook channel 'hooks': HTTP 401 Unauthorized: channel disabled"),
        (302, "webhook channel 'hooks': HTTP 302 Found: redirects are not followed, channel disabled"),
        (422, "webhook channel 'hooks': HTTP 422 Unprocessable Entity: message rejected"),
    ],
)
async def test_error_messages(status: int, message: str, receiver: WebhookReceiver, webhook: WebhookNotifier) -> None:
    receiver.respond(status, body=b"server text is never quoted")
    with pytest.raises((RetryableError, PermanentError)) as caught:
        await webhook.send(compose(EVENT), None)
    assert str(caught.value) == message


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_seconds(status: int, receiver: WebhookReceiver, webhook: WebhookNotifier) -> None:
    receiver.respond(status, headers={"Retry-After": "7"})
    with pytest.raises(RetryableError) as caught:
        await webhook.send(compose(EVENT), None)
    assert caught.value.retry_after == 7.0
    assert str(caught.value).endswith("(retry after 7s)")


async def test_retry_after_http_date(receiver: WebhookReceiver, webhook: WebhookNotifier) -> None:
    when = datetime.now(UTC) + timedelta(seconds=120)
    receiver.respond(503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(RetryableError) as caught:
        await webhook.send(compose(EVENT), None)
    assert caught.value.retry_after is not None
    assert 115 <= caught.value.retry_after <= 120


async def test_retryable_without_retry_after(receiver: WebhookReceiver, webhook: WebhookNotifier) -> None:
    receiver.respond(502)
    with pytest.raises(RetryableError) as caught:
        await webhook.send(compose(EVENT), None)
    assert caught.value.retry_after is None


NOW = datetime(2026, 2, 24, 0, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("Tue, 24 Feb 2026 00:00:30 GMT", 30.0),
        ("Tuesday, 24-Feb-26 00:01:00 GMT", 60.0),  # obsolete RFC 850 form
        ("Mon, 23 Feb 2026 23:59:00 GMT", 0.0),  # already past: go now
        (None, None),
        ("", None),
        ("-5", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Tue, 99 Foo 2026", None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def test_status_outside_http_range_is_retryable() -> None:
    assert classify_status(199) is Outcome.RETRY
    assert classify_status(600) is Outcome.RETRY
