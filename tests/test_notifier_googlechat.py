"""Google Chat notifier: exact payloads, one thread per incident, inert page text, the 32,000-byte
limit, rate limits and errors — with real httpx against a local fake Google Chat, through the
engine's DeliveryWorker and Store where the engine's behaviour matters, and through the installed
bot as a process."""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bot.deliver import DeliveryWorker
from bot.message import compose
from bot.model import Component, DeliveryError, Event, EventType, Incident, RetryableError, Update
from bot.retry_after import UnexpectedAnswer
from bot.state import Store
from notifiers._googlechat_card import MESSAGE_MAX_BYTES, ZWSP, build_payload, card_text, plain, thread_key
from notifiers.googlechat import DESTINATION, GoogleChatNotifier, GoogleChatSettings
from tests.bot_process import BotProcess
from tests.builders import RecordedSleep
from tests.eventually import eventually
from tests.fakes.googlechat import WEBHOOK_KEY, FakeGoogleChat
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.ports import free_port
from tests.test_notifier_discord import engine_logging
from tests.world import World

STARTED = datetime(2026, 2, 24, 0, 50, tzinfo=UTC)
THREAD = "acme:incident:inc1"
REPLY = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"


def incident_event(n: int, kind: EventType, status: str, body: str, title: str = "Elevated errors",
                   components: tuple[str, ...] = ("API", "Dashboard"), **extra: Any) -> Event:
    incident = Incident(id="inc1", title=title, status=status, impact="major",
                        url="https://status.acme.com/incidents/inc1", component_names=components)
    return Event(id=f"evt_{n}", type=kind, key=f"inc1/u{n}", provider="acme", provider_title="Acme",
                 thread_key=THREAD, impact="major", occurred_at=STARTED + timedelta(minutes=n),
                 incident=incident, update=Update(id=f"u{n}", status=status, body=body), **extra)


STORY = [
    incident_event(1, "incident.created", "investigating", "We are investigating elevated error rates."),
    incident_event(2, "incident.updated", "investigating", "About 5% of requests fail."),
    incident_event(3, "incident.status", "monitoring", "A fix is deployed; we are monitoring."),
    incident_event(4, "incident.resolved", "resolved", "This incident has been resolved."),
]
COMPONENT_EVENT = Event(
    id="evt_c", type="component.status", key="c1/major_outage", provider="acme", provider_title="Acme",
    thread_key="acme:component:c1", impact="critical",
    component=Component(id="c1", name="Chat API", status="major_outage"),
    old_status="operational", new_status="major_outage",
)
HOSTILE = "<users/all> <users/123> <https://evil.example|click> *bold* _it_ ~gone~ `code` <a href=\"https://evil.example\">x</a> <b>b</b>"
MEGABYTE = "All requests to the API fail intermittently. " * 23_000


@pytest.fixture
def chat() -> Iterator[FakeGoogleChat]:
    with FakeGoogleChat() as fake:
        yield fake


def notifier_for(url: str, http: httpx.AsyncClient, **settings: Any) -> GoogleChatNotifier:
    return GoogleChatNotifier("alerts", GoogleChatSettings.model_validate({"webhook_url": url, **settings}), http)


async def enqueue(store: Store, *events: Event) -> None:
    await store.commit_poll("acme", [], [], [("alerts", event) for event in events], changed=True)


def size(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())


# ---------------------------------------------------------------- pure payloads


def test_first_payload_exact_json() -> None:
    assert build_payload(compose(STORY[0], mention="<users/all>")) == {
        "text": "<users/all>",
        "fallbackText": "Acme: Elevated errors: New incident · Investigating · Major impact",
        "cardsV2": [{"cardId": "statusbot", "card": {
            "header": {"title": "Acme: Elevated errors", "subtitle": "🟠 New incident · Investigating · Major impact"},
            "sections": [
                {"widgets": [{"textParagraph": {"text": "We are investigating elevated error rates."}}]},
                {"widgets": [{"decoratedText": {"topLabel": "Components", "text": "API, Dashboard", "wrapText": True}}]},
                {"widgets": [{"buttonList": {"buttons": [{
                    "text": "View on the status page",
                    "onClick": {"openLink": {"url": "https://status.acme.com/incidents/inc1"}}}]}}]},
            ],
        }}],
        "thread": {"threadKey": thread_key(THREAD)},
    }


def test_component_payload_exact_json() -> None:
    assert build_payload(compose(COMPONENT_EVENT)) == {
        "fallbackText": "Acme: Chat API: Component status · Major outage · Critical impact",
        "cardsV2": [{"cardId": "statusbot", "card": {
            "header": {"title": "Acme: Chat API", "subtitle": "🔴 Component status · Major outage · Critical impact"},
            "sections": [
                {"widgets": [{"textParagraph": {"text": "Operational → Major outage"}}]},
                {"widgets": [{"decoratedText": {"topLabel": "Components", "text": "Chat API", "wrapText": True}}]},
            ],
        }}],
        "thread": {"threadKey": thread_key("acme:component:c1")},
    }


def test_the_resolution_is_green_and_without_impact_words_when_there_is_none() -> None:
    resolved = build_payload(compose(STORY[3]))["cardsV2"][0]["card"]["header"]
    assert resolved["subtitle"] == "🟢 Resolved · Resolved · Major impact"
    quiet = STORY[0].model_copy(update={"incident": STORY[0].incident.model_copy(update={"impact": "none"})})
    assert build_payload(compose(quiet))["cardsV2"][0]["card"]["header"]["subtitle"] == "⚪ New incident · Investigating"


def test_noise_control_shows_changes_a_digest_s_lines_and_a_reminder_s_age() -> None:
    grouped = compose(STORY[0]).model_copy(update={"changes": ("API: Operational → Major outage", "Web: <b>x</b>")})
    [*_, also] = build_payload(grouped)["cardsV2"][0]["card"]["sections"][:3]
    assert also == {"header": "Also changed", "widgets": [{"textParagraph": {
        "text": "API: Operational → Major outage<br>Web: &lt;b&gt;x&lt;/b&gt;"}}]}

    reminder = compose(STORY[0]).model_copy(update={"label": "Reminder", "age": "4h 12m", "text": "Still investigating after 4h 12m."})
    card = build_payload(reminder)["cardsV2"][0]["card"]
    assert card["header"]["subtitle"] == "🟠 Reminder · Investigating · Major impact · open for 4h 12m"
    assert card["sections"][0]["widgets"][0]["textParagraph"]["text"] == "Still investigating after 4h 12m."


def test_a_digest_keeps_whole_lines_within_the_limit() -> None:
    lines = [f"Acme: incident {n} " + "é" * 150 for n in range(2_000)]
    digest = Event(id="evt_d", type="digest", key="digest:1", provider="acme", provider_title="Acme",
                   thread_key="digest:alerts:1", occurred_at=STARTED, since=STARTED - timedelta(days=1))
    message = compose(digest).model_copy(update={"text": "\n".join(lines)})
    assert message.summary is not None
    payload = build_payload(message)
    text = payload["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["textParagraph"]["text"]
    shown = text.split("<br>")
    assert shown[:-1] == lines[:len(shown) - 1], "whole lines, in order"
    assert shown[-1] == f"… and {2_000 - len(shown) + 1} more"
    assert MESSAGE_MAX_BYTES - 1_000 < size(payload) <= MESSAGE_MAX_BYTES


def test_thread_keys_are_stable_short_and_plain() -> None:
    key = thread_key(THREAD)
    assert key == thread_key(THREAD) != thread_key("acme:incident:inc2")
    assert key.startswith("statusbot-") and len(key) == 50 and key[10:].isalnum()
    assert thread_key("x" * 100_000 + "\udcff <users/all>").isascii()


@pytest.mark.parametrize(
    ("text", "as_plain", "as_card"),
    [
        ("<users/all>", f"<{ZWSP}users/all>", "&lt;users/all&gt;"),
        ("<https://evil.example|click>", f"<{ZWSP}https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
        ('<a href="https://evil.example">x</a>', f'<{ZWSP}a href="https://evil.example">x<{ZWSP}/a>',
         '&lt;a href="https://evil.example"&gt;x&lt;/a&gt;'),
        ("a & b\nc", "a & b\nc", "a &amp; b<br>c"),
        ("*bold* _it_ ~s~ `c`", "*bold* _it_ ~s~ `c`", "*bold* _it_ ~s~ `c`"),  # markers mean nothing here
    ],
)
def test_neutralise(text: str, as_plain: str, as_card: str) -> None:
    assert (plain(text), card_text(text)) == (as_plain, as_card)


def test_page_text_never_reaches_the_text_field() -> None:
    event = incident_event(1, "incident.created", "investigating", f"Body {HOSTILE}", title=f"Title {HOSTILE}",
                           components=(f"API {HOSTILE}",))
    assert "text" not in build_payload(compose(event))
    assert build_payload(compose(event, mention="<users/all>"))["text"] == "<users/all>"


def test_non_web_urls_are_left_out() -> None:
    for url in ("javascript:alert(1)", "ftp://status.acme.com/x", "/incidents/1", "", "https://x.example/" + "a" * 3000):
        incident = STORY[0].incident.model_copy(update={"url": url})
        payload = build_payload(compose(STORY[0].model_copy(update={"incident": incident})))
        assert "buttonList" not in json.dumps(payload)


@pytest.mark.parametrize("filler", ["word ", "<", "&", "\"", "é", "🔥", "a\n"])
def test_megabyte_fields_stay_under_the_limit(filler: str) -> None:
    huge = filler * (1_000_000 // len(filler.encode()))
    event = incident_event(1, "incident.created", "investigating", huge, title=huge, components=(huge, huge))
    message = compose(event, mention="<users/all> " + huge).model_copy(update={"changes": (huge[:200],) * 5_000})
    started = time.monotonic()
    payload = build_payload(message)
    assert time.monotonic() - started < 1.0, "a megabyte costs a few cuts, not a search"
    assert size(payload) <= MESSAGE_MAX_BYTES
    text = payload["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["textParagraph"]["text"]
    shown = len(json.dumps(text, ensure_ascii=False).encode())  # bytes in the body
    assert text.endswith("…") and shown > 20_000, "the update's text gets most of the room"


# ---------------------------------------------------------------- threads through the engine


async def test_an_incident_s_life_lands_in_one_thread(chat: FakeGoogleChat, http: httpx.AsyncClient, store: Store) -> None:
    worker = DeliveryWorker("alerts", notifier_for(chat.webhook_url(), http), store, sleep=RecordedSleep())
    await enqueue(store, *STORY)
    assert await worker.drain(asyncio.Event()) == 0

    calls = chat.requests
    assert [c.status for c in calls] == [200] * 4
    assert all(c.query == {"key": WEBHOOK_KEY, "token": "ok", "messageReplyOption": REPLY} for c in calls)
    first, *later = chat.messages
    assert first.started_thread and not any(m.started_thread for m in later)
    assert {m.thread for m in later} == {first.thread}
    assert await store.thread("alerts", THREAD) == {"thread": first.thread}
    texts = [m.body["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["textParagraph"]["text"] for m in chat.messages]
    assert texts == [e.update.body for e in STORY]


async def test_reply_only_events_join_the_thread_and_start_no_stored_ref(
    chat: FakeGoogleChat, http: httpx.AsyncClient
) -> None:
    notifier = notifier_for(chat.webhook_url(), http)
    reminder = STORY[1].model_copy(update={"type": "incident.reminder", "reply": True})
    assert await notifier.send(compose(reminder), None) is None, "a reply never starts a stored thread"
    ref = await notifier.send(compose(STORY[0]), None)
    assert await notifier.send(compose(reminder), ref) is None
    assert ref == {"thread": chat.messages[0].thread}
    assert len({m.thread for m in chat.messages}) == 1


async def test_other_incidents_get_threads_of_their_own(chat: FakeGoogleChat, http: httpx.AsyncClient) -> None:
    notifier = notifier_for(chat.webhook_url(), http)
    first = await notifier.send(compose(STORY[0]), None)
    other = await notifier.send(compose(COMPONENT_EVENT), None)
    assert first != other and len({m.thread for m in chat.messages}) == 2


async def test_a_thread_key_in_the_webhook_url_gives_way_to_the_incident_s(chat: FakeGoogleChat, http: httpx.AsyncClient) -> None:
    notifier = notifier_for(chat.webhook_url() + "&threadKey=all&messageReplyOption=MESSAGE_REPLY_OPTION_UNSPECIFIED", http)
    await notifier.send(compose(STORY[0]), None)
    await notifier.send(compose(COMPONENT_EVENT), None)
    assert [c.query for c in chat.requests] == [{"key": WEBHOOK_KEY, "token": "ok", "messageReplyOption": REPLY}] * 2
    assert len({m.thread for m in chat.messages}) == 2


# ---------------------------------------------------------------- page text


async def test_hostile_page_text_arrives_inert(chat: FakeGoogleChat, http: httpx.AsyncClient, store: Store) -> None:
    event = incident_event(1, "incident.created", "investigating", f"Body {HOSTILE}", title=f"Title {HOSTILE}",
                           components=(f"API {HOSTILE}",))
    grouped = event.model_copy(update={"related": (COMPONENT_EVENT.model_copy(update={
        "component": Component(id="c1", name=f"Chat {HOSTILE}", status="major_outage")}),)})
    worker = DeliveryWorker("alerts", notifier_for(chat.webhook_url(), http), store, sleep=RecordedSleep(),
                            mention=lambda _: "<users/all>")
    await enqueue(store, grouped)
    assert await worker.drain(asyncio.Event()) == 0
    [message] = chat.messages
    assert message.mentions == ["users/all"], "the channel's own mention, and nothing from the page"
    assert (message.links, message.formatting, message.card_markup) == ([], [], [])
    shown = json.dumps([*message.card_texts, message.body["fallbackText"]], ensure_ascii=False)
    assert "<users/" not in shown and "<https://" not in shown and "<a " not in shown and "<b>" not in shown
    assert "*bold*" in shown, "shown as typed"


# ---------------------------------------------------------------- limits


async def test_megabyte_page_text_is_cut_and_delivered(chat: FakeGoogleChat, http: httpx.AsyncClient) -> None:
    event = incident_event(1, "incident.created", "investigating", MEGABYTE, title=MEGABYTE, components=(MEGABYTE,))
    assert await notifier_for(chat.webhook_url(), http).send(compose(event), None) is not None
    [call] = chat.requests
    assert call.status == 200 and call.size <= MESSAGE_MAX_BYTES  # the fake rejects a larger message


# ---------------------------------------------------------------- rate limits and errors


async def test_a_429_is_waited_out_then_delivered_once(chat: FakeGoogleChat, http: httpx.AsyncClient, store: Store) -> None:
    worker = DeliveryWorker("alerts", notifier_for(chat.webhook_url("ratelimited-once"), http), store)
    await enqueue(store, STORY[0])
    assert await worker.drain(asyncio.Event()) == 0
    rejected, accepted = chat.requests
    assert (rejected.status, accepted.status) == (429, 200)
    assert accepted.at - rejected.at >= 1.0, "Retry-After: 1"
    assert len(chat.messages) == 1


@pytest.mark.parametrize(
    ("headers", "retry_after", "text"),
    [
        ({"Retry-After": "7"}, 7.0, "googlechat channel 'alerts': HTTP 429 Too Many Requests (retry after 7s)"),
        ({}, None, "googlechat channel 'alerts': HTTP 429 Too Many Requests"),
    ],
)
async def test_429_retry_after(headers: dict[str, str], retry_after: float | None, text: str,
                               chat: FakeGoogleChat, http: httpx.AsyncClient) -> None:
    chat.respond(429, {"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}},
                 headers=headers)
    with pytest.raises(RetryableError) as caught:
        await notifier_for(chat.webhook_url(), http).send(compose(STORY[0]), None)
    assert (caught.value.retry_after, str(caught.value)) == (retry_after, text)


def test_one_message_a_second_per_space() -> None:
    assert GoogleChatNotifier.min_interval == 1.0


@pytest.mark.parametrize(
    ("token", "key", "text"),
    [
        ("gone", WEBHOOK_KEY, "HTTP 404 Not Found: channel disabled"),
        ("forbidden", WEBHOOK_KEY, "HTTP 403 Forbidden: channel disabled"),
        ("ok", "bad-key", "HTTP 400 Bad Request: the webhook's key is invalid: channel disabled"),
    ],
)
async def test_an_unusable_webhook_disables_the_channel_once_keeping_the_backlog(
    token: str, key: str, text: str, chat: FakeGoogleChat, http: httpx.AsyncClient, store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = DeliveryWorker("alerts", notifier_for(chat.webhook_url(token, key), http), store, sleep=RecordedSleep())
    await enqueue(store, *STORY[:2])
    await asyncio.wait_for(worker.run(asyncio.Event()), timeout=5)  # returns: the channel is disabled
    assert len(chat.requests) == 1
    assert await store.disabled_reason("alerts") == f"googlechat channel 'alerts': {text}"
    assert await store.pending_count("alerts") == 2, "the backlog is kept for when it is fixed"
    assert sum("disabled" in r.getMessage() for r in caplog.records) == 1


async def test_a_rejected_message_is_dropped_and_the_next_goes_on(
    chat: FakeGoogleChat, http: httpx.AsyncClient, store: Store
) -> None:
    chat.respond(400, {"error": {"code": 400, "message": "Invalid JSON payload received.", "status": "INVALID_ARGUMENT"}})
    worker = DeliveryWorker("alerts", notifier_for(chat.webhook_url(), http), store, sleep=RecordedSleep())
    await enqueue(store, *STORY[:2])
    assert await worker.drain(asyncio.Event()) == 0
    assert [c.status for c in chat.requests] == [400, 200]
    [(event, error)] = await store.dead_letters("alerts")
    assert (event.id, error) == ("evt_1", "googlechat channel 'alerts': HTTP 400 Bad Request: message rejected")
    assert await store.disabled_reason("alerts") is None


async def test_server_errors_are_retried(chat: FakeGoogleChat, http: httpx.AsyncClient, store: Store) -> None:
    worker = DeliveryWorker("alerts", notifier_for(chat.webhook_url("5xx-2"), http), store, sleep=RecordedSleep())
    await enqueue(store, STORY[0])
    assert await worker.drain(asyncio.Event(), max_attempts=5) == 0
    assert [c.status for c in chat.requests] == [500, 500, 200] and len(chat.messages) == 1


@pytest.mark.parametrize(
    ("body", "raw", "text"),
    [
        (None, b"<html>proxy says hi</html>", "HTTP 200 OK with 26 bytes of text/html"),
        (None, None, "HTTP 200 OK with no body"),
        ({"name": "spaces/S/messages/M"}, None, "HTTP 200 OK with 31 bytes of application/json"),
        ({"thread": {"name": "../../x"}}, None, "HTTP 200 OK with 31 bytes of application/json"),
    ],
)
async def test_a_first_message_without_its_thread_is_an_unexpected_answer(
    body: Any, raw: bytes | None, text: str, chat: FakeGoogleChat, http: httpx.AsyncClient
) -> None:
    chat.respond(200, body, raw=raw)
    with pytest.raises(UnexpectedAnswer) as caught:
        await notifier_for(chat.webhook_url(), http).send(compose(STORY[0]), None)
    assert str(caught.value) == f"googlechat channel 'alerts': {text}, not Google Chat's message: an unexpected answer"


async def test_a_reply_needs_no_body(chat: FakeGoogleChat, http: httpx.AsyncClient) -> None:
    notifier = notifier_for(chat.webhook_url(), http)
    chat.respond(200, raw=b"<html>ok</html>", times=2)
    assert await notifier.send(compose(STORY[1]), {"thread": "spaces/S/threads/T"}) is None
    assert await notifier.send(compose(STORY[1].model_copy(update={"reply": True})), None) is None


# ---------------------------------------------------------------- no secrets anywhere

TOKEN = "Tk9-SECRETtoken_ABCDEFGHIJKLMNOPQRSTUVWXYZ%3D"
KEY = "AIzaSyKEYsecret-0123456789abcdefghijklm"


async def test_no_error_or_log_record_reveals_the_webhook_url(
    chat: FakeGoogleChat, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    url = chat.webhook_url(TOKEN, KEY)
    echo = {"error": {"code": 400, "message": f"bad request to {url}", "status": "INVALID_ARGUMENT"}}
    notifier = notifier_for(url, http, timeout=0.3)
    with engine_logging():
        errors = await _fail_in_every_way(chat, http, notifier, url, echo)
    texts = [text for error in errors for text in (str(error), repr(error), *traceback.format_exception(error))]
    texts += [record.getMessage() for record in caplog.records]
    assert len(errors) == 11
    for text in texts:
        assert TOKEN not in text and KEY not in text and "SECRET" not in text


async def _fail_in_every_way(chat: FakeGoogleChat, http: httpx.AsyncClient, notifier: GoogleChatNotifier, url: str,
                             echo: Any) -> list[DeliveryError]:
    errors: list[DeliveryError] = []
    for status in (301, 400, 401, 403, 404, 408, 429, 500, 503):
        chat.respond(status, echo, headers={"Retry-After": "1", "Location": url})
        errors.append(await _failure(notifier.send(compose(STORY[0]), None)))
    chat.respond(200, raw=b"<html>" + url.encode() + b"</html>")
    errors.append(await _failure(notifier.send(compose(STORY[0]), None)))
    refused = notifier_for(f"http://127.0.0.1:{free_port()}/v1/spaces/S/messages?key={KEY}&token={TOKEN}", http)
    errors.append(await _failure(refused.send(compose(STORY[0]), None)))
    return errors


async def _failure(send: Any) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        await send
    return caught.value


# ---------------------------------------------------------------- settings and registry


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"webhook_url": "ftp://chat.invalid/v1/spaces/S/messages?key=K&token=T0KEN"},
        {"webhook_url": "chat.invalid/v1/spaces/S/messages?key=K&token=T0KEN"},
        {"webhook_url": "https://chat.invalid/?key=K&token=T0KEN"},
        {"webhook_url": "https://chat.invalid/v1/spaces/S/messages?key=K"},  # the shell ate '&token=...'
        {"webhook_url": "https://chat.invalid/v1/spaces/S/messages?token=T0KEN"},
        {"webhook_url": "https://chat.invalid/v1/spaces/S/messages?key=K&token=T0KEN", "timeout": 0},
        {"webhook_url": "https://chat.invalid/v1/spaces/S/messages?key=K&token=T0KEN", "timeout": float("nan")},
        {"webhook_url": "https://chat.invalid/v1/spaces/S/messages?key=K&token=T0KEN", "thread_key": "x"},
    ],
)
def test_invalid_settings_never_echo_the_url(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        GoogleChatSettings.model_validate(raw)
    assert "T0KEN" not in str(caught.value)


def test_a_url_without_its_token_says_to_copy_it_whole() -> None:
    with pytest.raises(ValidationError, match="copy the whole URL, in quotes"):
        GoogleChatSettings.model_validate({"webhook_url": "https://chat.googleapis.com/v1/spaces/S/messages?key=K"})


def test_settings_defaults_and_redaction() -> None:
    settings = GoogleChatSettings.model_validate({"webhook_url": "https://chat.invalid/v1/spaces/S/messages?key=K&token=T0KEN"})
    assert settings.timeout == 15.0 and "T0KEN" not in repr(settings)


async def test_created_through_the_destination(chat: FakeGoogleChat, http: httpx.AsyncClient) -> None:
    assert (DESTINATION.type, DESTINATION.settings, DESTINATION.secret_keys) == (
        "googlechat", GoogleChatSettings, ("webhook_url",))
    notifier = DESTINATION.create("alerts", DESTINATION.settings.model_validate({"webhook_url": chat.webhook_url()}), http)
    assert await notifier.send(compose(STORY[0]), None) == {"thread": chat.messages[0].thread}
    await notifier.aclose()


# ---------------------------------------------------------------- the fake is as strict as Chat


@pytest.mark.parametrize(
    ("url", "body", "status"),
    [
        ("?key=K&token=T", {"text": "x" * 33_000}, 400),
        ("?key=K&token=T", {}, 400),
        ("?key=K&token=T", {"text": "x", "color": 1}, 400),
        ("?key=K&token=T", {"text": "x", "thread": {"threadKey": "k" * 4_001}}, 400),
        ("?key=K&token=T", {"cardsV2": [{"cardId": "c", "card": {"sections": []}}]}, 400),
        ("?key=K&token=T&messageReplyOption=SOMETIMES", {"text": "x"}, 400),
        ("?key=K", {"text": "x"}, 401),
    ],
)
async def test_the_fake_rejects_what_chat_rejects(url: str, body: Any, status: int, chat: FakeGoogleChat,
                                                  http: httpx.AsyncClient) -> None:
    response = await http.post(f"{chat.url}/v1/spaces/S/messages{url}", json=body)
    assert response.status_code == status and response.json()["error"]["code"] == status
    assert chat.messages == []


async def test_the_fake_answers_like_chat(chat: FakeGoogleChat, http: httpx.AsyncClient) -> None:
    url = chat.webhook_url()
    unthreaded = await http.post(url, json={"text": "<users/all> hi", "thread": {"threadKey": "k"}})
    first = await http.post(f"{url}&messageReplyOption={REPLY}", json={"text": "a", "thread": {"threadKey": "k"}})
    reply = await http.post(f"{url}&messageReplyOption={REPLY}", json={"text": "b", "thread": {"threadKey": "k"}})
    message = unthreaded.json()
    assert message["name"].startswith("spaces/") and message["sender"]["type"] == "BOT"
    assert message["annotations"][0]["userMention"]["user"]["name"] == "users/all"
    assert first.json()["thread"]["name"] == reply.json()["thread"]["name"] != message["thread"]["name"]


# ---------------------------------------------------------------- the installed bot


def googlechat_channel(chat: FakeGoogleChat, token: str = "ok") -> str:
    return f"""
[[channels]]
name = "ops-chat"
type = "googlechat"
webhook_url = "{chat.webhook_url(token)}"
mention = "<users/all>"
"""


@pytest.fixture
def world(tmp_path: Any) -> Iterator[tuple[World, FakeGoogleChat]]:
    with StatusPageServer() as pages, WebhookReceiver() as receiver, FakeGoogleChat() as chat:
        yield World(tmp_path, pages, receiver), chat


def test_the_bot_delivers_an_incident_s_life_to_one_thread(world: tuple[World, FakeGoogleChat]) -> None:
    w, chat = world
    w.acme.open_incident("live", f"API errors {HOSTILE}", f"Investigating {HOSTILE}", impact="critical")
    w.publish()
    with w.bot(channels=googlechat_channel(chat)) as bot:
        w.expect(1)
        for status, body in (("identified", "Cause found"), ("monitoring", "Fix deployed"), ("resolved", "All clear")):
            w.acme.update("live", status, body)
            w.publish()
            w.expect(len(w.receiver.requests) + 1)
        eventually(lambda: len(chat.messages) == 4)
        assert bot.stop() == 0
    messages = chat.messages
    assert len({m.thread for m in messages}) == 1 and messages[0].started_thread
    assert "Resolved" in messages[-1].body["cardsV2"][0]["card"]["header"]["subtitle"]
    assert messages[0].mentions == ["users/all"], "critical and new: the channel's own mention"
    assert all((m.links, m.formatting, m.card_markup) == ([], [], []) for m in messages)
    assert all(c.query["messageReplyOption"] == REPLY for c in chat.requests)
    assert all(b.at - a.at >= 0.9 for a, b in zip(chat.requests, chat.requests[1:], strict=False)), "1/s per space"


def test_send_test_and_check(world: tuple[World, FakeGoogleChat], tmp_path: Any) -> None:
    w, chat = world
    config = w.config(extra=googlechat_channel(chat, token=TOKEN))
    sent = BotProcess("send-test", "ops-chat", "--config", str(config), cwd=tmp_path)
    assert sent.run() == 0 and "delivered to channel ops-chat (googlechat)" in "".join(sent.stdout)
    [message] = chat.messages
    assert message.started_thread and "Test message from statusbot" in json.dumps(message.body)
    check = BotProcess("check", "--config", str(config), cwd=tmp_path)
    assert check.run() == 0
    output = "".join(check.stdout + check.stderr)
    assert "ops-chat" in output and "googlechat" in output
    assert TOKEN not in output and WEBHOOK_KEY not in output
