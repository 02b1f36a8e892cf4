"""Webhook notifier: exact payload, Standard Webhooks headers and signature, transport failures, no leaks."""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import ValidationError

from bot.message import compose
from bot.model import (
    Component,
    DeliveryError,
    Event,
    Incident,
    PermanentError,
    RetryableError,
    Update,
)
from notifiers import DESTINATIONS
from notifiers.webhook import (
    WebhookNotifier,
    WebhookSettings,
    build_payload,
    encode,
    envelope,
    sign,
    signing_key,
)
from tests.fakes import WebhookReceiver, verify_standard_webhook
from tests.ports import free_port

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = datetime(2026, 2, 24, 0, 54, 58, tzinfo=UTC)

UPDATE = Update(
    id="upd_2",
    status="identified",
    body="We found the “cause”.\nFix rolling out.",
    created_at=datetime(2026, 2, 24, 0, 50, tzinfo=UTC),
)
INCIDENT = Incident(
    id="inc_1",
    title="Elevated errors",
    status="identified",
    impact="major",
    url="https://status.example.com/incidents/inc_1",
    created_at=datetime(2026, 2, 24, 0, 40, tzinfo=UTC),
    component_ids=("c1", "c2"),
    component_names=("Chat Completions", "Responses"),
    updates=(UPDATE,),
)
EVENT = Event(
    id="evt_abc",
    type="incident.updated",
    key="inc_1/upd_2",
    provider="openai",
    provider_title="OpenAI",
    thread_key="inc_1",
    impact="major",
    occurred_at=datetime(2026, 2, 24, 0, 50, 30, tzinfo=UTC),
    incident=INCIDENT,
    update=UPDATE,
    url="https://status.example.com/incidents/inc_1",
)
COMPONENT_EVENT = Event(
    id="evt_def",
    type="component.status",
    key="c1/major_outage",
    provider="openai",
    provider_title="OpenAI",
    thread_key="c1",
    impact="critical",
    component=Component(id="c1", name="Chat API", status="major_outage"),
    old_status="operational",
    new_status="major_outage",
    url="https://status.example.com",
)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def notifier_for(url: str, http: httpx.AsyncClient, **settings: object) -> WebhookNotifier:
    return WebhookNotifier("hooks", WebhookSettings.model_validate({"url": url, **settings}), http)


# ---------------------------------------------------------------- pure payload


def test_exact_body_bytes() -> None:
    assert (
        encode(envelope(EVENT, NOW))
        == (
            '{"type":"incident.updated","timestamp":"2026-02-24T00:50:30Z","data":{'
            '"id":"evt_abc","provider":"openai","provider_title":"OpenAI","key":"inc_1/upd_2",'
            '"thread_key":"inc_1","status":"identified","old_status":null,"new_status":null,"impact":"major",'
            '"summarised":0,"url":"https://status.example.com/incidents/inc_1","since":null,'
            '"incident":{"id":"inc_1","kind":"incident","title":"Elevated errors","status":"identified",'
            '"impact":"major","url":"https://status.example.com/incidents/inc_1",'
            '"components":["Chat Completions","Responses"],"created_at":"2026-02-24T00:40:00Z",'
            '"scheduled_for":null,"scheduled_until":null},'
            '"update":{"id":"upd_2","status":"identified","body":"We found the “cause”.\\nFix rolling out.",'
            '"created_at":"2026-02-24T00:50:00Z"},'
            '"component":null}}'
        ).encode()
    )


def test_component_payload() -> None:
    assert build_payload(COMPONENT_EVENT) == {
        "id": "evt_def",
        "provider": "openai",
        "provider_title": "OpenAI",
        "key": "c1/major_outage",
        "thread_key": "c1",
        "status": "major_outage",
        "old_status": "operational",
        "new_status": "major_outage",
        "impact": "critical",
        "summarised": 0,
        "url": "https://status.example.com",
        "since": None,
        "incident": None,
        "update": None,
        "component": {"id": "c1", "name": "Chat API", "status": "major_outage"},
    }


def test_timestamp_falls_back_to_now_and_naive_times_are_utc() -> None:
    naive = INCIDENT.model_copy(update={"created_at": datetime(2026, 1, 2, 3, 4, 5)})
    event = EVENT.model_copy(update={"occurred_at": None, "incident": naive})
    document = envelope(event, NOW)
    assert document["timestamp"] == "2026-02-24T00:54:58Z"
    assert document["data"]["incident"]["created_at"] == "2026-01-02T03:04:05Z"


def test_maintenance_window_is_in_the_payload() -> None:
    window = INCIDENT.model_copy(
        update={
            "kind": "maintenance",
            "scheduled_for": datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
            "scheduled_until": datetime(2026, 3, 1, 4, 0, tzinfo=UTC),
        }
    )
    incident = build_payload(EVENT.model_copy(update={"incident": window}))["incident"]
    assert (incident["kind"], incident["scheduled_for"], incident["scheduled_until"]) == (
        "maintenance",
        "2026-03-01T02:00:00Z",
        "2026-03-01T04:00:00Z",
    )


# ---------------------------------------------------------------- signature


def test_sign_matches_the_spec_test_vector() -> None:
    # From standard-webhooks' own library tests.
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, signing_key(SECRET)) == expected
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,bm9wZQ== " + expected,
    }
    assert verify_standard_webhook(SECRET, headers, body, now=1614265330)
    assert not verify_standard_webhook(SECRET, headers, body + b" ", now=1614265330)
    assert not verify_standard_webhook(SECRET, headers, body, now=1614265330 + 301)
    assert not verify_standard_webhook("whsec_" + "A" * 32, headers, body, now=1614265330)


def test_plain_secret_is_used_as_utf8_bytes() -> None:
    assert signing_key("ünïcode secret") == "ünïcode secret".encode()


async def test_post_is_signed_over_the_exact_bytes(receiver: WebhookReceiver, http: httpx.AsyncClient) -> None:
    before = int(time.time())
    assert await notifier_for(f"{receiver.url}/in?x=1", http, secret=SECRET).send(compose(EVENT), None) is None
    (request,) = receiver.wait_for(1)
    assert (request.method, request.path) == ("POST", "/in?x=1")
    assert request.body == encode(envelope(EVENT, NOW))  # occurred_at is set: the body is deterministic
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == EVENT.id
    assert before <= int(request.headers["webhook-timestamp"]) <= int(time.time())
    assert verify_standard_webhook(SECRET, request.headers, request.body)


async def test_plain_secret_signature_verifies(receiver: WebhookReceiver, http: httpx.AsyncClient) -> None:
    await notifier_for(receiver.url, http, secret="correct horse battery staple").send(compose(COMPONENT_EVENT), None)
    (request,) = receiver.wait_for(1)
    assert verify_standard_webhook("correct horse battery staple", request.headers, request.body)
    assert not verify_standard_webhook("wrong", request.headers, request.body)


async def test_no_secret_no_signature(receiver: WebhookReceiver, http: httpx.AsyncClient) -> None:
    await notifier_for(receiver.url, http).send(compose(EVENT), None)
    (request,) = receiver.wait_for(1)
    assert "webhook-signature" not in request.headers
    assert request.headers["webhook-id"] == EVENT.id


async def test_webhook_id_is_stable_across_attempts(receiver: WebhookReceiver, http: httpx.AsyncClient) -> None:
    receiver.respond(503)
    attempts = iter([NOW, NOW + timedelta(minutes=5)])
    settings = WebhookSettings(url=receiver.url, secret=SECRET)
    notifier = WebhookNotifier("hooks", settings, http, clock=lambda: next(attempts))
    undated = EVENT.model_copy(update={"occurred_at": None})
    with pytest.raises(RetryableError):
        await notifier.send(compose(undated), None)
    await notifier.send(compose(undated), None)
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == EVENT.id
    assert (first.headers["webhook-timestamp"], second.headers["webhook-timestamp"]) == (
        str(int(NOW.timestamp())),
        str(int(NOW.timestamp()) + 300),
    )
    for request in (first, second):
        stamp = int(request.headers["webhook-timestamp"])
        assert verify_standard_webhook(SECRET, request.headers, request.body, now=stamp)
    assert json.loads(first.body)["data"] == json.loads(second.body)["data"]


async def test_created_through_the_registry(receiver: WebhookReceiver, http: httpx.AsyncClient) -> None:
    destination = DESTINATIONS["webhook"]
    settings = destination.settings.model_validate({"url": receiver.url, "secret": SECRET})
    notifier = destination.create("hooks", settings, http)
    await notifier.send(compose(EVENT), None)
    await notifier.aclose()
    assert notifier.min_interval == 0
    (request,) = receiver.wait_for(1)
    assert verify_standard_webhook(SECRET, request.headers, request.body)


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"url": "ftp://example.com/hook"},
        {"url": "example.com/hook"},
        {"url": "https:///nohost"},
        {"url": "https://example.com", "timeout": 0},
        {"url": "https://example.com", "timeout": float("inf")},
        {"url": "https://example.com", "secret": ""},
        {"url": "https://example.com", "secret": "whsec_not base64!"},
        {"url": "https://example.com", "secret": "whsec_"},
        {"url": "https://example.com", "retries": 3},
    ],
)
def test_invalid_settings(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        WebhookSettings.model_validate(raw)


def test_settings_defaults_and_redaction() -> None:
    settings = WebhookSettings.model_validate({"url": "https://example.com/hook/T0KEN", "secret": "whsec_c2VjcmV0"})
    assert settings.timeout == 15.0
    assert "T0KEN" not in repr(settings) and "whsec_" not in repr(settings)
    with pytest.raises(ValidationError) as caught:
        WebhookSettings.model_validate({"url": "ftp://example.com/hook/T0KEN", "secret": "whsec_!!T0KEN"})
    assert "T0KEN" not in str(caught.value)


# ---------------------------------------------------------------- transport failures and leaks

TOKEN_PATH = "/hooks/T0KEN-in-path"
TOKEN_QUERY = "s3cr3t-query-token"
LEAK_SECRET = "whsec_" + "c3VwZXItc2VjcmV0LXNpZ25pbmcta2V5LWJ5dGVzISE="


async def test_no_error_or_log_record_reveals_url_or_secret(
    receiver: WebhookReceiver, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # httpx itself logs every request URL at INFO: the composition root's logging setup must
    # raise the "httpx" logger to WARNING, as here. Everything else is captured at DEBUG.
    # (Order matters: set_level also sets the capturing handler's level, the last call wins.)
    caplog.set_level(logging.WARNING, logger="httpx")
    caplog.set_level(logging.DEBUG, logger="httpcore")  # whatever an earlier test's logging setup left
    caplog.set_level(logging.DEBUG)
    statuses = [301, 400, 401, 403, 404, 408, 410, 413, 422, 425, 429, 500, 502, 503, 504]
    for status in statuses:
        receiver.respond(status, headers={"Retry-After": "1"})
    receiver.respond(200, delay=2.0)
    url = f"{receiver.url}{TOKEN_PATH}?token={TOKEN_QUERY}"
    notifier = notifier_for(url, http, secret=LEAK_SECRET, timeout=0.3)
    refused = notifier_for(f"http://127.0.0.1:{free_port()}{TOKEN_PATH}?token={TOKEN_QUERY}", http, secret=LEAK_SECRET)

    errors: list[DeliveryError] = []
    for attempt in [*(notifier for _ in statuses), notifier, refused]:
        with pytest.raises(DeliveryError) as caught:
            await attempt.send(compose(EVENT), None)
        errors.append(caught.value)

    assert sum(isinstance(error, PermanentError) for error in errors) == 7  # 301 is retried, a few times
    texts = [text for error in errors for text in (str(error), repr(error), *traceback.format_exception(error))]
    texts += [record.getMessage() for record in caplog.records]
    texts += [record.exc_text or "" for record in caplog.records]
    assert caplog.records, "httpcore's DEBUG records were expected to be captured"
    for text in texts:
        for forbidden in (TOKEN_PATH, "T0KEN", TOKEN_QUERY, LEAK_SECRET, LEAK_SECRET.removeprefix("whsec_")):
            assert forbidden not in text
