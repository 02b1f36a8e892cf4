"""Discord notifier: exact payloads, mention safety, embed limits, threads kept by editing the
first message, rate limits and errors — with real httpx against a real local fake Discord, and
through the engine's DeliveryWorker and Store where the engine's behaviour matters."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bot.deliver import DeliveryWorker
from bot.logs import setup_logging
from bot.message import GREEN, ORANGE, RED, compose
from bot.model import (
    Component,
    DeliveryError,
    Event,
    EventType,
    Incident,
    PermanentError,
    RetryableError,
    Update,
)
from bot.retry_after import UnexpectedAnswer
from bot.state import Store
from notifiers.discord import (
    DESTINATION,
    DiscordNotifier,
    DiscordSettings,
    allowed_mentions,
    build_embed,
    edit_payload,
    first_payload,
    neutralise,
    update_payload,
)
from tests.builders import RecordedSleep
from tests.fakes.discord import FakeDiscord
from tests.ports import free_port

ZW = "\u200b"
STARTED = datetime(2026, 2, 24, 0, 50, tzinfo=UTC)
THREAD = "acme:incident:inc1"


def incident_event(n: int, kind: EventType, status: str, body: str, title: str = "Elevated errors",
                   current: str | None = None, components: tuple[str, ...] = ("API", "Dashboard"),
                   provider_title: str = "Acme") -> Event:
    """Update `n` of one incident; `current` is the incident's status when it differs from the update's."""
    incident = Incident(id="inc1", title=title, status=current or status, impact="major",
                        url="https://status.acme.com/incidents/inc1", component_names=components)
    return Event(id=f"evt_{n}", type=kind, key=f"inc1/u{n}", provider="acme", provider_title=provider_title,
                 thread_key=THREAD, impact="major", occurred_at=STARTED + timedelta(minutes=n),
                 incident=incident, update=Update(id=f"u{n}", status=status, body=body))


STORY = [
    incident_event(1, "incident.created", "investigating", "We are investigating elevated error rates."),
    incident_event(2, "incident.updated", "investigating", "About 5% of requests fail."),
    incident_event(3, "incident.status", "monitoring", "A fix is deployed; we are monitoring."),
    incident_event(4, "incident.resolved", "resolved", "This incident has been resolved."),
]
COMPONENT_EVENT = Event(
    id="evt_c", type="component.status", key="c1/major_outage", provider="acme", provider_title="Acme",
    thread_key="acme:component:c1", impact="critical", component=Component(id="c1", name="Chat API", status="major_outage"),
    old_status="operational", new_status="major_outage",
)
HOSTILE = "@everyone @here <@123> <@!124> <@&456> <#789> [sign in](https://evil.example)"
RAW_MENTIONS = ("@everyone", "@here", "<@123>", "<@!124>", "<@&456>", "<#789>", "](https")


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    with FakeDiscord() as fake:
        yield fake


def notifier_for(url: str, http: httpx.AsyncClient, **settings: Any) -> DiscordNotifier:
    sleep = settings.pop("sleep", asyncio.sleep)
    return DiscordNotifier("alerts", DiscordSettings.model_validate({"webhook_url": url, **settings}), http, sleep)


async def enqueue(store: Store, *events: Event) -> None:
    await store.commit_poll("acme", [], [], [("alerts", event) for event in events], changed=True)


def embed_of(payload: dict[str, Any]) -> dict[str, Any]:
    [embed] = payload["embeds"]
    return embed


def embed_size(embed: dict[str, Any]) -> int:
    """What Discord counts towards its 6,000-character total."""
    fields = sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return len(embed["title"]) + len(embed.get("description", "")) + fields + len(embed["footer"]["text"])


# ---------------------------------------------------------------- pure payloads


def test_first_payload_exact_json() -> None:
    assert first_payload(compose(STORY[0]), username="Status") == {
        "username": "Status",
        "embeds": [{
            "title": "Acme: Elevated errors",
            "url": "https://status.acme.com/incidents/inc1",
            "description": "We are investigating elevated error rates.",
            "color": ORANGE,
            "fields": [
                {"name": "Status", "value": "Investigating", "inline": True},
                {"name": "Impact", "value": "Major", "inline": True},
                {"name": "Components", "value": "API, Dashboard", "inline": False},
            ],
            "footer": {"text": "New incident"},
            "timestamp": "2026-02-24T00:51:00Z",
        }],
        "allowed_mentions": {"parse": []},
    }


def test_update_shows_its_phase_and_the_edit_shows_the_current_one() -> None:
    # GitHub rewrites an old update after the incident is resolved.
    message = compose(incident_event(2, "incident.edited", "investigating", "Root cause: a bad deploy.",
                                     current="resolved"))
    card = {
        "title": "Acme: Elevated errors",
        "url": "https://status.acme.com/incidents/inc1",
        "description": "Root cause: a bad deploy.",
        "fields": [
            {"name": "Impact", "value": "Major", "inline": True},
            {"name": "Components", "value": "API, Dashboard", "inline": False},
        ],
        "footer": {"text": "Update edited"},
        "timestamp": "2026-02-24T00:52:00Z",
    }
    status = {"name": "Status", "inline": True}
    assert update_payload(message) == {
        "embeds": [{**card, "color": ORANGE, "fields": [{**status, "value": "Investigating"}, *card["fields"]]}],
        "allowed_mentions": {"parse": []},
    }
    assert edit_payload(message) == {
        "embeds": [{**card, "color": GREEN, "fields": [{**status, "value": "Resolved"}, *card["fields"]]}],
        "allowed_mentions": {"parse": []},
    }


def test_component_payload_exact_json() -> None:
    assert first_payload(compose(COMPONENT_EVENT)) == {
        "embeds": [{
            "title": "Acme: Chat API",
            "description": "Operational → Major outage",
            "color": RED,
            "fields": [
                {"name": "Status", "value": "Major outage", "inline": True},
                {"name": "Impact", "value": "Critical", "inline": True},
                {"name": "Components", "value": "Chat API", "inline": False},
            ],
            "footer": {"text": "Component status"},
        }],
        "allowed_mentions": {"parse": []},
    }


def test_opt_in_mention_goes_in_content_and_is_the_only_one_allowed() -> None:
    payload = first_payload(compose(STORY[0], mention="<@&456>"))
    assert (payload["content"], payload["allowed_mentions"]) == ("<@&456>", {"roles": ["456"]})
    assert "content" not in edit_payload(compose(STORY[0], mention="<@&456>")), "an edit never pings"


@pytest.mark.parametrize(
    ("mention", "allowed"),
    [
        (None, {"parse": []}),
        ("", {"parse": []}),
        ("@here", {"parse": ["everyone"]}),
        ("@everyone", {"parse": ["everyone"]}),
        ("<@&456>", {"roles": ["456"]}),
        ("<@123>", {"users": ["123"]}),
        ("<@!123>", {"users": ["123"]}),
        ("@here <@&1> <@&1> <@2>", {"parse": ["everyone"], "roles": ["1"], "users": ["2"]}),
        ("<!here>", {"parse": []}),  # Slack syntax: shown, pings nobody
        ("<#789>", {"parse": []}),
    ],
)
def test_allowed_mentions(mention: str | None, allowed: dict[str, list[str]]) -> None:
    assert allowed_mentions(mention) == allowed


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("@everyone", f"@{ZW}everyone"),
        ("ping @HERE now", f"ping @{ZW}HERE now"),
        ("<@123> <@!123>", f"<{ZW}@123> <{ZW}@!123>"),
        ("<@&456>", f"<{ZW}@&456>"),
        ("<#789>", f"<{ZW}#789>"),
        ("[status](https://evil.example)", f"[status]{ZW}(https://evil.example)"),
        ("mail ops@example.com if a < b", "mail ops@example.com if a < b"),
    ],
)
def test_neutralise(text: str, safe: str) -> None:
    assert neutralise(text) == safe


def test_non_web_urls_are_left_out() -> None:
    for url in ("javascript:alert(1)", "ftp://status.acme.com/x", "/incidents/1", ""):
        incident = STORY[0].incident.model_copy(update={"url": url})
        assert "url" not in build_embed(compose(STORY[0].model_copy(update={"incident": incident})), "x", 0)


def test_embed_stays_within_every_limit() -> None:
    event = incident_event(1, "incident.created", "investigating", "word " * 2000, title="T" * 300,
                           components=tuple(f"component-{n:02d}-" + "c" * 40 for n in range(40)))
    embed = build_embed(compose(event), "Investigating", 0)
    assert len(embed["title"]) <= 256 and embed["title"].endswith("…")
    assert len(embed["fields"]) <= 25
    assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in embed["fields"])
    assert len(embed["description"]) <= 4096 and embed["description"].endswith("…")
    assert embed_size(embed) <= 6000


def test_the_description_gives_way_first_to_the_6000_total() -> None:
    message = compose(incident_event(1, "incident.created", "investigating", "word " * 2000, title="T" * 300,
                                     components=("c" * 2000,))).model_copy(update={"label": "L" * 3000})
    embed = build_embed(message, "Investigating", 0)
    assert (len(embed["title"]), len(embed["footer"]["text"]), len(embed["fields"][-1]["value"])) == (256, 2048, 1024)
    assert embed["description"].endswith("…") and 6000 - 10 < embed_size(embed) <= 6000


# ---------------------------------------------------------------- a thread through the engine


async def test_incident_story_edits_the_first_message_and_posts_each_update(
    discord: FakeDiscord, http: httpx.AsyncClient, store: Store
) -> None:
    worker = DeliveryWorker("alerts", notifier_for(discord.webhook_url(), http), store, sleep=RecordedSleep())
    await enqueue(store, *STORY)
    assert await worker.drain(asyncio.Event()) == 0

    calls = discord.requests
    assert [c.method for c in calls] == ["POST", "PATCH", "POST", "PATCH", "POST", "PATCH", "POST"]
    assert all(c.status == 200 for c in calls), "no 429: the bucket headers paced the 7 requests"
    first, *updates = discord.messages
    webhook_path = httpx.URL(discord.webhook_url()).path
    assert all(c.query == {"wait": "true"} and c.path == webhook_path for c in calls if c.method == "POST")
    assert all(c.path == f"{webhook_path}/messages/{first.id}" for c in calls if c.method == "PATCH")
    assert all(c.json["allowed_mentions"] == {"parse": []} for c in calls)

    assert await store.thread("alerts", THREAD) == {"message_id": first.id}
    assert first.edits == 3
    phases = [version["embeds"][0]["fields"][0]["value"] for version in first.versions]
    assert phases == ["Investigating", "Investigating", "Monitoring", "Resolved"]
    assert first.current["embeds"][0]["color"] == GREEN
    assert [m.current["embeds"][0]["description"] for m in updates] == [e.update.body for e in STORY[1:]]


async def test_a_deleted_first_message_is_replaced(discord: FakeDiscord, http: httpx.AsyncClient, store: Store) -> None:
    worker = DeliveryWorker("alerts", notifier_for(discord.webhook_url(), http), store, sleep=RecordedSleep())
    await enqueue(store, STORY[0])
    await worker.drain(asyncio.Event())
    old = (await store.thread("alerts", THREAD))["message_id"]
    discord.delete(old)

    await enqueue(store, STORY[1])
    await worker.drain(asyncio.Event())
    new = (await store.thread("alerts", THREAD))["message_id"]
    assert new != old and not discord.message(new).deleted

    await enqueue(store, STORY[2])
    await worker.drain(asyncio.Event())
    calls = [(c.method, c.path.rsplit("/", 1)[-1], c.status) for c in discord.requests]
    token = discord.webhook_url().rsplit("/", 1)[-1]
    assert calls == [("POST", token, 200), ("PATCH", old, 404), ("POST", token, 200),
                     ("PATCH", new, 200), ("POST", token, 200)]
    assert discord.message(new).current["embeds"][0]["fields"][0]["value"] == "Monitoring"


async def test_a_thread_ref_that_is_no_discord_id_starts_a_new_thread(discord: FakeDiscord, http: httpx.AsyncClient) -> None:
    notifier = notifier_for(discord.webhook_url(), http)
    for ref in ({"message_id": "../../x"}, {"ts": "1700000000.1"}, {"message_id": ""}):
        assert await notifier.send(compose(STORY[1]), ref) is not None
    assert [c.method for c in discord.requests] == ["POST"] * 3


async def test_a_thread_id_in_the_webhook_url_is_kept(discord: FakeDiscord, http: httpx.AsyncClient) -> None:
    notifier = notifier_for(discord.webhook_url() + "?thread_id=777", http)
    ref = await notifier.send(compose(STORY[0]), None)
    await notifier.send(compose(STORY[1]), ref)
    assert [c.query for c in discord.requests] == [{"thread_id": "777", "wait": "true"}, {"thread_id": "777"},
                                                   {"thread_id": "777", "wait": "true"}]


# ---------------------------------------------------------------- mentions


async def test_page_text_pings_nobody_and_renders_literally(discord: FakeDiscord, http: httpx.AsyncClient) -> None:
    event = incident_event(1, "incident.created", "investigating", f"Body {HOSTILE}", title=f"Title {HOSTILE}",
                           components=(f"API {HOSTILE}",), provider_title="Acme @everyone")
    ref = await notifier_for(discord.webhook_url(), http).send(compose(event), None)
    [call] = discord.requests
    [message] = discord.messages
    assert ref == {"message_id": message.id}
    assert "content" not in call.json and call.json["allowed_mentions"] == {"parse": []}
    assert (message.current["mention_everyone"], message.current["mentions"], message.current["mention_roles"]) == (
        False, [], [])
    embed = embed_of(call.json)
    shown = json.dumps(embed, ensure_ascii=False)
    assert not [raw for raw in RAW_MENTIONS if raw in shown]
    assert embed["title"].startswith(f"Acme @{ZW}everyone: Title @{ZW}everyone @{ZW}here <{ZW}@123>")
    assert f"[sign in]{ZW}(https://evil.example)" in embed["description"]
    assert f"<{ZW}@&456>" in embed["fields"][-1]["value"]


@pytest.mark.parametrize(
    ("mention", "allowed", "everyone", "roles", "users"),
    [
        ("@here", {"parse": ["everyone"]}, True, [], []),
        ("<@&456>", {"roles": ["456"]}, False, ["456"], []),
        ("<@123>", {"users": ["123"]}, False, [], [{"id": "123"}]),
    ],
)
async def test_opt_in_mention_pings_exactly_that(
    mention: str, allowed: dict[str, list[str]], everyone: bool, roles: list[str], users: list[dict[str, str]],
    discord: FakeDiscord, http: httpx.AsyncClient, store: Store,
) -> None:
    event = incident_event(1, "incident.created", "investigating", f"Body {HOSTILE}", title=f"Title {HOSTILE}")
    worker = DeliveryWorker("alerts", notifier_for(discord.webhook_url(), http), store,
                            sleep=RecordedSleep(), mention=lambda _: mention)
    await enqueue(store, event)
    assert await worker.drain(asyncio.Event()) == 0
    [call] = discord.requests
    [message] = discord.messages
    assert (call.json["content"], call.json["allowed_mentions"]) == (mention, allowed)
    assert (message.current["mention_everyone"], message.current["mention_roles"], message.current["mentions"]) == (
        everyone, roles, users)
    assert not [raw for raw in RAW_MENTIONS if raw in json.dumps(call.json["embeds"], ensure_ascii=False)]


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize("worst_case", [False, True])
async def test_a_10000_character_update_is_truncated_and_delivered(
    worst_case: bool, discord: FakeDiscord, http: httpx.AsyncClient
) -> None:
    body = ("All requests to the API fail intermittently. " * 250)[:10_000]
    extra: dict[str, Any] = {"title": "T" * 400, "components": tuple("c" * 60 for _ in range(30))} if worst_case else {}
    event = incident_event(1, "incident.created", "investigating", body, **extra)
    assert await notifier_for(discord.webhook_url(), http).send(compose(event), None) is not None
    [message] = discord.messages  # the fake applies Discord's validation: a 400 would have raised
    embed = message.current["embeds"][0]
    assert embed["description"].endswith("…") and len(embed["description"]) <= 4096
    assert embed_size(embed) <= 6000


# ---------------------------------------------------------------- rate limits


async def test_a_429_is_waited_out_by_the_worker_then_delivered_once(
    discord: FakeDiscord, http: httpx.AsyncClient, store: Store
) -> None:
    worker = DeliveryWorker("alerts", notifier_for(discord.webhook_url("ratelimited-once"), http), store)
    await enqueue(store, STORY[0])
    started = time.monotonic()
    assert await worker.drain(asyncio.Event()) == 0
    assert time.monotonic() - started >= 1.2
    rejected, accepted = discord.requests
    assert (rejected.status, accepted.status) == (429, 200)
    assert accepted.at - rejected.at >= 1.2
    assert len(discord.messages) == 1


async def test_an_empty_bucket_delays_the_next_send(http: httpx.AsyncClient) -> None:
    with FakeDiscord(limit=2, window=0.8) as discord:
        notifier = notifier_for(discord.webhook_url(), http)
        for _ in range(3):
            await notifier.send(compose(STORY[0]), None)
        calls = discord.requests
    assert [c.status for c in calls] == [200, 200, 200], "waited for the bucket instead of meeting a 429"
    assert calls[2].at - calls[0].at >= 0.8


async def test_only_an_empty_bucket_makes_the_next_request_wait(discord: FakeDiscord, http: httpx.AsyncClient) -> None:
    sleep = RecordedSleep()
    notifier = notifier_for(discord.webhook_url(), http, sleep=sleep)
    discord.respond(200, {"id": "1"}, headers={"X-RateLimit-Remaining": "1", "X-RateLimit-Reset-After": "9"})
    await notifier.send(compose(STORY[0]), None)
    discord.respond(200, {"id": "2"}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "0.5"})
    await notifier.send(compose(STORY[0]), None)
    assert sleep.waits == []
    await notifier.send(compose(STORY[0]), None)
    [wait] = sleep.waits
    assert 0.4 < wait <= 0.5


@pytest.mark.parametrize(
    ("body", "headers", "retry_after", "text"),
    [
        ({"message": "You are being rate limited.", "retry_after": 1.2, "global": False}, {"Retry-After": "2"},
         1.2, "discord channel 'alerts': HTTP 429 Too Many Requests (retry after 1.2s)"),
        ({"message": "You are being rate limited.", "retry_after": 0.5, "global": True}, {},
         0.5, "discord channel 'alerts': HTTP 429 Too Many Requests (global, retry after 0.5s)"),
        (None, {"Retry-After": "3"}, 3.0, "discord channel 'alerts': HTTP 429 Too Many Requests (retry after 3s)"),
        ({"retry_after": "soon"}, {}, None, "discord channel 'alerts': HTTP 429 Too Many Requests"),
    ],
)
async def test_429_retry_after(body: Any, headers: dict[str, str], retry_after: float | None, text: str,
                               discord: FakeDiscord, http: httpx.AsyncClient) -> None:
    discord.respond(429, body, headers={**headers, "Via": "1.1 google"})
    with pytest.raises(RetryableError) as caught:
        await notifier_for(discord.webhook_url(), http).send(compose(STORY[0]), None)
    assert (caught.value.retry_after, str(caught.value)) == (retry_after, text)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "body", "text"),
    [
        (404, {"message": "Unknown Webhook", "code": 10015}, "webhook gone (404): channel disabled"),
        (404, None, "webhook gone (404): channel disabled"),
        (401, {"message": "Invalid Webhook Token", "code": 50027}, "HTTP 401 Unauthorized: channel disabled"),
        (403, {"message": "Missing Access", "code": 50001}, "HTTP 403 Forbidden: channel disabled"),
    ],
)
async def test_an_unusable_webhook_disables_the_channel_without_posting(
    status: int, body: Any, text: str, discord: FakeDiscord, http: httpx.AsyncClient
) -> None:
    notifier = notifier_for(discord.webhook_url(), http)
    thread = await notifier.send(compose(STORY[0]), None)
    discord.respond(status, body)
    with pytest.raises(PermanentError) as caught:
        await notifier.send(compose(STORY[1]), thread)
    assert caught.value.disable_channel and str(caught.value) == f"discord channel 'alerts': {text}"
    assert [c.method for c in discord.requests] == ["POST", "PATCH"]


async def test_gone_webhook_disables_the_channel_at_the_first_attempt(
    discord: FakeDiscord, http: httpx.AsyncClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    worker = DeliveryWorker("alerts", notifier_for(discord.webhook_url("gone"), http), store, sleep=RecordedSleep())
    await enqueue(store, *STORY[:2])
    await asyncio.wait_for(worker.run(asyncio.Event()), timeout=5)  # returns: the channel is disabled
    assert [(c.method, c.status) for c in discord.requests] == [("POST", 404)]
    assert await store.disabled_reason("alerts") == "discord channel 'alerts': webhook gone (404): channel disabled"
    assert await store.pending_count("alerts") == 2, "the backlog is kept for when it is fixed"
    assert sum("disabled" in r.getMessage() for r in caplog.records) == 1


async def test_unauthorized_webhook_disables_the_channel(discord: FakeDiscord, http: httpx.AsyncClient, store: Store) -> None:
    worker = DeliveryWorker("alerts", notifier_for(discord.webhook_url("unauthorized"), http), store)
    await enqueue(store, STORY[0])
    await asyncio.wait_for(worker.run(asyncio.Event()), timeout=5)
    assert len(discord.requests) == 1
    assert await store.disabled_reason("alerts") == "discord channel 'alerts': HTTP 401 Unauthorized: channel disabled"


async def test_server_errors_are_retried_by_the_worker(discord: FakeDiscord, http: httpx.AsyncClient, store: Store) -> None:
    sleep = RecordedSleep()
    worker = DeliveryWorker("alerts", notifier_for(discord.webhook_url("5xx-2"), http), store, sleep=sleep)
    await enqueue(store, STORY[0])
    assert await worker.drain(asyncio.Event(), max_attempts=5) == 0
    assert [c.status for c in discord.requests] == [500, 500, 200]
    backoffs = [wait for wait in sleep.waits if wait > DiscordNotifier.min_interval]  # the rest is pacing
    assert len(backoffs) == 2 and len(discord.messages) == 1


async def test_a_rejected_payload_is_dead_lettered_and_the_next_goes_on(
    discord: FakeDiscord, http: httpx.AsyncClient, store: Store
) -> None:
    discord.respond(400, {"message": "Invalid Form Body", "code": 50035, "errors": {}})
    worker = DeliveryWorker("alerts", notifier_for(discord.webhook_url(), http), store, sleep=RecordedSleep())
    await enqueue(store, *STORY[:2])
    assert await worker.drain(asyncio.Event()) == 0
    assert [c.status for c in discord.requests] == [400, 200]
    [(event, error)] = await store.dead_letters("alerts")
    assert (event.id, error) == ("evt_1", "discord channel 'alerts': HTTP 400 Bad Request: message rejected")
    assert await store.disabled_reason("alerts") is None


@pytest.mark.parametrize(
    ("status", "body", "raw", "text"),
    [
        (200, None, b"<html>proxy says hi</html>", "HTTP 200 OK with 26 bytes of text/html"),
        (200, None, None, "HTTP 200 OK with no body"),
        (204, None, None, "HTTP 204 No Content with no body"),
        (200, ["not", "an", "object"], None, "HTTP 200 OK with 23 bytes of application/json"),
        (200, {"id": 1234}, None, "HTTP 200 OK with 12 bytes of application/json"),
        (200, {"id": "../../messages/1"}, None, "HTTP 200 OK with 26 bytes of application/json"),
    ],
)
async def test_a_first_post_without_a_usable_id_is_an_unexpected_answer(
    status: int, body: Any, raw: bytes | None, text: str, discord: FakeDiscord, http: httpx.AsyncClient
) -> None:
    discord.respond(status, body, raw=raw)
    with pytest.raises(UnexpectedAnswer) as caught:
        await notifier_for(discord.webhook_url(), http).send(compose(STORY[0]), None)
    assert str(caught.value) == f"discord channel 'alerts': {text}, not Discord's message: an unexpected answer"


async def test_an_edit_or_update_needs_no_body(discord: FakeDiscord, http: httpx.AsyncClient) -> None:
    notifier = notifier_for(discord.webhook_url(), http)
    thread = await notifier.send(compose(STORY[0]), None)
    discord.respond(200, raw=b"<html>ok</html>")
    discord.respond(204)
    assert await notifier.send(compose(STORY[1]), thread) is None


# ---------------------------------------------------------------- no secrets anywhere

WEBHOOK_ID = "987654321987654321"
TOKEN = "Sx9-T0KEN_secretpart_ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NOISY = ("httpx", "httpcore", "aiohttp", "slack_sdk", "aiosqlite", "asyncio")


@contextmanager
def engine_logging() -> Iterator[None]:
    """The engine's logging setup (httpx's URL-logging loggers raised to WARNING) at DEBUG, for the
    duration of one test's call phase, with pytest's capture handlers kept (setup_logging replaces them)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in NOISY}
    setup_logging("DEBUG")
    root.handlers.extend(handlers)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, noisy_level in levels.items():
            logging.getLogger(name).setLevel(noisy_level)


async def test_no_error_or_log_record_reveals_the_webhook_url_or_token(
    discord: FakeDiscord, http: httpx.AsyncClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with engine_logging():
        errors = await _fail_in_every_way(discord, http, store)
    assert sum(isinstance(error, PermanentError) for error in errors) == 7  # 301 and 302 are retried, a few times
    records = caplog.records
    assert any(r.levelno == logging.DEBUG for r in records), "captured at DEBUG"
    assert any("deleted" in r.getMessage() for r in records) and any("disabled" in r.getMessage() for r in records)
    texts = [text for error in errors for text in (str(error), repr(error), *traceback.format_exception(error))]
    texts += [record.getMessage() for record in records] + [record.exc_text or "" for record in records]
    texts.append(await store.disabled_reason("alerts") or "")
    for text in texts:
        for secret in (TOKEN, "T0KEN", WEBHOOK_ID, discord.webhook_url(TOKEN, WEBHOOK_ID)):
            assert secret not in text


async def _fail_in_every_way(discord: FakeDiscord, http: httpx.AsyncClient, store: Store) -> list[DeliveryError]:
    """Every failure the notifier knows, plus a replaced first message and a disabled channel."""
    url = discord.webhook_url(TOKEN, WEBHOOK_ID)
    echo = {"message": f"bad request to {url}", "code": 0}  # a server echoing the URL is never quoted
    notifier = notifier_for(url, http, timeout=0.3)
    thread = await notifier.send(compose(STORY[0]), None)
    errors: list[DeliveryError] = []
    for status in (301, 302, 400, 401, 403, 404, 408, 410, 413, 422, 425, 429, 500, 502, 503, 504):
        # An emptied bucket makes the next request log its (DEBUG) pause.
        empty = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "0.01"}
        discord.respond(status, echo, headers={"Retry-After": "1", "Location": url, **empty})
        errors.append(await _failure(notifier.send(compose(STORY[1]), thread)))
    discord.respond(200, {"id": "1"}, delay=1.0)
    errors.append(await _failure(notifier.send(compose(STORY[1]), None)))
    refused = notifier_for(f"http://127.0.0.1:{free_port()}/api/webhooks/{WEBHOOK_ID}/{TOKEN}", http)
    errors.append(await _failure(refused.send(compose(STORY[1]), None)))
    discord.delete(thread["message_id"])
    await notifier.send(compose(STORY[2]), thread)  # logs the replacement of a deleted first message

    discord.respond(404, echo)
    worker = DeliveryWorker("alerts", notifier_for(url, http), store, sleep=RecordedSleep())
    await enqueue(store, STORY[3])
    await asyncio.wait_for(worker.run(asyncio.Event()), timeout=5)
    return errors


async def _failure(send: Any) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        await send
    return caught.value


# ---------------------------------------------------------------- why not the discord-webhook package
# It is a test dependency only, for these: each is something the notifier above needs.


async def test_discord_webhook_execute_cannot_read_an_empty_or_html_answer(discord: FakeDiscord) -> None:
    from discord_webhook import AsyncDiscordWebhook

    discord.respond(502, raw=b"<html>Bad Gateway</html>", headers={"Retry-After": "7"})
    with pytest.raises(json.JSONDecodeError):  # the status and Retry-After are lost with it
        await AsyncDiscordWebhook(discord.webhook_url(), content="x").execute()
    with pytest.raises(json.JSONDecodeError):  # Discord's own answer without ?wait=true
        await AsyncDiscordWebhook(discord.webhook_url(), content="x", wait=False).execute()
    assert [c.status for c in discord.requests] == [502, 204]


async def test_discord_webhook_sends_its_attributes_and_loses_a_thread(discord: FakeDiscord) -> None:
    from discord_webhook import AsyncDiscordWebhook

    webhook = AsyncDiscordWebhook(discord.webhook_url(), content="x", timeout=5)
    await webhook.execute()
    await webhook.edit()
    posted, edited = (c.json for c in discord.requests)
    assert (posted["wait"], posted["timeout"], edited["id"]) == (True, 5, webhook.id)

    threaded = AsyncDiscordWebhook(discord.webhook_url() + "?thread_id=777", content="x")
    await threaded.execute()
    response = await threaded.edit()
    post, edit = discord.requests[2:]
    assert post.query == {"wait": "true"}, "the thread_id is gone: the message lands in the channel"
    assert (edit.path, response.status_code) == (httpx.URL(discord.webhook_url()).path, 405)


async def test_discord_webhook_opens_a_client_per_call() -> None:
    from discord_webhook import AsyncDiscordWebhook

    webhook = AsyncDiscordWebhook("http://127.0.0.1:9/api/webhooks/1/x")
    async with webhook.http_client as first, webhook.http_client as second:
        assert first is not second


# ---------------------------------------------------------------- settings and registry


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"webhook_url": "ftp://discord.invalid/api/webhooks/1/T0KEN"},
        {"webhook_url": "discord.invalid/api/webhooks/1/T0KEN"},
        {"webhook_url": "https://discord.invalid"},
        {"webhook_url": "https://discord.invalid/"},
        {"webhook_url": "https:///api/webhooks/1/T0KEN"},
        {"webhook_url": "https://discord.invalid:T0KEN/api/webhooks/1/T0KEN"},
        {"webhook_url": "https://discord.invalid/api/webhooks/1/T0KEN", "timeout": 0},
        {"webhook_url": "https://discord.invalid/api/webhooks/1/T0KEN", "timeout": float("inf")},
        {"webhook_url": "https://discord.invalid/api/webhooks/1/T0KEN", "username": ""},
        {"webhook_url": "https://discord.invalid/api/webhooks/1/T0KEN", "username": "u" * 81},
        {"webhook_url": "https://discord.invalid/api/webhooks/1/T0KEN", "wait": True},
    ],
)
def test_invalid_settings_never_echo_the_url(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        DiscordSettings.model_validate(raw)
    assert "T0KEN" not in str(caught.value)


def test_settings_defaults_and_redaction() -> None:
    settings = DiscordSettings.model_validate({"webhook_url": "http://127.0.0.1:9/api/webhooks/1/T0KEN"})
    assert (settings.username, settings.timeout) == (None, 15.0)
    assert "T0KEN" not in repr(settings)


async def test_created_through_the_destination(discord: FakeDiscord, http: httpx.AsyncClient) -> None:
    assert (DESTINATION.type, DESTINATION.settings, DESTINATION.secret_keys) == ("discord", DiscordSettings,
                                                                                 ("webhook_url",))
    settings = DESTINATION.settings.model_validate({"webhook_url": discord.webhook_url(), "username": "Status"})
    notifier = DESTINATION.create("alerts", settings, http)
    assert notifier.min_interval == 0.5
    assert await notifier.send(compose(STORY[0]), None) == {"message_id": discord.messages[0].id}
    await notifier.aclose()
    assert discord.messages[0].current["author"]["username"] == "Status"


# ---------------------------------------------------------------- the fake is as strict as Discord


def oversized(**embed: Any) -> dict[str, Any]:
    return {"embeds": [{"title": "t", **embed}], "allowed_mentions": {"parse": []}}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (oversized(description="d" * 4097), ["embeds", "0", "description"]),
        (oversized(title="t" * 257), ["embeds", "0", "title"]),
        (oversized(fields=[{"name": "n", "value": "v" * 1025}]), ["embeds", "0", "fields", "0", "value"]),
        (oversized(fields=[{"name": "n", "value": " "}]), ["embeds", "0", "fields", "0", "value"]),
        (oversized(description="d" * 4000, footer={"text": "f" * 2000}), ["embeds"]),
        ({"content": "<@1>", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}, ["allowed_mentions", "users"]),
    ],
)
async def test_the_fake_rejects_what_discord_rejects(
    body: dict[str, Any], where: list[str], discord: FakeDiscord, http: httpx.AsyncClient
) -> None:
    response = await http.post(discord.webhook_url(), params={"wait": "true"}, json=body)
    assert response.status_code == 400 and response.json()["code"] == 50035
    node = response.json()["errors"]
    for part in where:
        node = node[part]
    assert node["_errors"]
    assert discord.messages == []


async def test_the_fake_answers_like_discord(http: httpx.AsyncClient) -> None:
    with FakeDiscord(limit=2, window=5.0) as discord:
        url = discord.webhook_url()
        no_wait = await http.post(url, json={"content": "hi"})
        created = await http.post(url, params={"wait": "true"}, json={"content": "<@1> @here"})
        limited = await http.post(url, params={"wait": "true"}, json={"content": "hi"})
    assert (no_wait.status_code, no_wait.content) == (204, b"")
    assert created.status_code == 200 and created.headers["x-ratelimit-remaining"] == "0"
    message = created.json()
    assert message["id"].isdigit() and message["mentions"] == [{"id": "1"}] and not message["mention_everyone"]
    assert limited.status_code == 429 and limited.json()["global"] is False
    assert 0 < limited.json()["retry_after"] <= 5 and limited.headers["via"] and limited.headers["retry-after"]
    assert len(discord.messages) == 2
