"""What an HTTP error says in a delivery error (the status's own phrase, never the server's text),
and Retry-After parsing. The verdict per status, for every destination, is test_retry_classification's
one table."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from bot.message import compose
from bot.model import Event, Incident, PermanentError, RetryableError
from bot.retry_after import parse_retry_after
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


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
async def webhook(receiver: WebhookReceiver) -> AsyncIterator[WebhookNotifier]:
    async with httpx.AsyncClient() as http:
        yield WebhookNotifier("hooks", WebhookSettings(url=f"{receiver.url}/hook"), http)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (503, "webhook channel 'hooks': HTTP 503 Service Unavailable"),
        (410, "webhook channel 'hooks': HTTP 410 Gone: endpoint disabled"),
        (401, "webhook channel 'hooks': HTTP 401 Unauthorized: channel disabled"),
        (302, "webhook channel 'hooks': HTTP 302 Found with 27 bytes of no stated type: a redirect, not followed"),
        (600, "webhook channel 'hooks': HTTP 600 with 27 bytes of no stated type: an unexpected answer"),
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

