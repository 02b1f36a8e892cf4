"""Mattermost notifier: exact payloads, page text made inert (no mention, link, image or formatting
from a page), every part within Mattermost's limits, and its answers (ok, 429, a deleted hook, a
missing channel, a refused payload, outages) — with real httpx against a local fake Mattermost,
through the engine's DeliveryWorker and Store where the engine's behaviour matters, and through
the installed bot."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bot.deliver import DeliveryWorker
from bot.message import GREEN, ORANGE, RED, compose
from bot.model import Component, DeliveryError, Event, EventType, Incident, PermanentError, RetryableError, Update
from bot.retry_after import UnexpectedAnswer
from bot.state import Store
from notifiers._mattermost_render import (
    MAX_TEXT,
    Overrides,
    inert_line,
    inert_markdown,
    payload,
)
from notifiers.mattermost import DESTINATION, MattermostNotifier, MattermostSettings
from tests.bot_process import BotProcess
from tests.builders import RecordedSleep, component_event
from tests.builders import incident_event as trouble
from tests.fakes.mattermost import MAX_POST_SIZE, FakeMattermost
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.world import World

ZW = "\u200b"
STARTED = datetime(2026, 2, 24, 0, 50, tzinfo=UTC)
THREAD = "acme:incident:inc1"
HOSTILE = ("@channel @here @all @alice <!channel> <!here> <!all> <@u1alice0000000000000000000> "
           "[sign in](https://evil.example) ![pixel](https://evil.example/p.png) <https://evil.example|click> "
           "# Heading **bold** `code` | a | b | ~town-square")


def incident_event(n: int, kind: EventType, status: str, body: str, title: str = "Elevated errors",
                   components: tuple[str, ...] = ("API", "Dashboard"), provider_title: str = "Acme",
                   url: str = "https://status.acme.com/incidents/inc1") -> Event:
    incident = Incident(id="inc1", title=title, status=status, impact="major", url=url, component_names=components)
    return Event(id=f"evt_{n}", type=kind, key=f"inc1/u{n}", provider="acme", provider_title=provider_title,
                 thread_key=THREAD, impact="major", occurred_at=STARTED + timedelta(minutes=n),
                 incident=incident, update=Update(id=f"u{n}", status=status, body=body))


STORY = [
    incident_event(1, "incident.created", "investigating", "We are investigating elevated error rates."),
    incident_event(2, "incident.status", "monitoring", "A fix is deployed; we are monitoring."),
    incident_event(3, "incident.resolved", "resolved", "This incident has been resolved."),
]


@pytest.fixture
def mattermost() -> Iterator[FakeMattermost]:
    with FakeMattermost() as fake:
        yield fake


def notifier_for(url: str, http: httpx.AsyncClient, **settings: Any) -> MattermostNotifier:
    return MattermostNotifier("alerts", MattermostSettings.model_validate({"webhook_url": url, **settings}), http)


async def enqueue(store: Store, *events: Event) -> None:
    await store.commit_poll("acme", [], [], [("alerts", event) for event in events], changed=True)


def card_of(body: dict[str, Any]) -> dict[str, Any]:
    [card] = body["attachments"]
    return card


# ---------------------------------------------------------------- pure payloads


def test_an_incident_exact_json() -> None:
    assert payload(compose(STORY[0])) == {
        "attachments": [{
            "fallback": "New incident: Acme: Elevated errors — Investigating",
            "color": f"#{ORANGE:06x}",
            "title": "Acme: Elevated errors",
            "title_link": "https://status.acme.com/incidents/inc1",
            "text": "We are investigating elevated error rates.",
            "fields": [
                {"short": True, "title": "Status", "value": "Investigating"},
                {"short": True, "title": "Impact", "value": "Major"},
                {"short": False, "title": "Components", "value": "API, Dashboard"},
            ],
            "footer": "New incident",
        }],
        "props": {"statusbot": {"event_id": "evt_1", "event_type": "incident.created"}},
    }


def test_the_channels_mention_and_overrides_exact_json() -> None:
    overrides = Overrides(channel="incidents", username="Status", icon_url="https://cdn.example/bot.png")
    body = payload(compose(STORY[2], mention="@channel"), overrides)
    assert {key: value for key, value in body.items() if key != "attachments"} == {
        "text": "@channel",
        "channel": "incidents",
        "username": "Status",
        "icon_url": "https://cdn.example/bot.png",
        "props": {"statusbot": {"event_id": "evt_3", "event_type": "incident.resolved"}},
    }
    assert (card_of(body)["color"], card_of(body)["fields"][0]["value"]) == (f"#{GREEN:06x}", "Resolved")


def test_a_component_change_exact_json() -> None:
    event = Event(id="evt_c", type="component.status", key="c1/major_outage", provider="acme", provider_title="Acme",
                  thread_key="acme:component:c1", impact="critical",
                  component=Component(id="c1", name="Chat API", status="major_outage"),
                  old_status="operational", new_status="major_outage")
    assert card_of(payload(compose(event))) == {
        "fallback": "Component status: Acme: Chat API — Major outage",
        "color": f"#{RED:06x}",
        "title": "Acme: Chat API",
        "text": "Operational → Major outage",
        "fields": [
            {"short": True, "title": "Status", "value": "Major outage"},
            {"short": True, "title": "Impact", "value": "Critical"},
        ],
        "footer": "Component status",
    }


def test_a_grouped_message_lists_its_other_changes() -> None:
    first, second = component_event("api", "operational", "major_outage"), component_event("web", None, "degraded_performance")
    card = card_of(payload(compose(first.model_copy(update={"related": (second,)}))))
    assert card["title"] == "Acme: api and 1 more component"
    assert card["fields"][-1] == {"short": False, "title": "Also changed", "value": "web: Degraded performance"}


def test_a_reminder_says_how_long_and_a_digest_keeps_whole_lines() -> None:
    reminder = STORY[0].model_copy(update={"type": "incident.reminder", "since": STARTED,
                                           "occurred_at": STARTED + timedelta(hours=4, minutes=12)})
    card = card_of(payload(compose(reminder)))
    assert (card["text"], card["footer"]) == ("Still investigating after 4h 12m.", "Reminder")

    events = tuple(trouble(f"i{n}-" + "t" * 400, "investigating") for n in range(400))
    digest = Event(id="evt_d", type="digest", key="digest", provider="acme", provider_title="Acme",
                   thread_key="digest", since=STARTED, occurred_at=STARTED + timedelta(days=1), related=events)
    text = card_of(payload(compose(digest)))["text"]
    assert len(text) <= 8_000 and text.endswith("more")
    assert all(len(line) <= 300 for line in text.splitlines())


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("@channel @here @all @alice", f"@{ZW}channel @{ZW}here @{ZW}all @{ZW}alice"),
        ("<!channel> <@U1>", f"&lt;!channel&gt; &lt;@{ZW}U1&gt;"),
        ("[x](https://evil.example) ![i](https://e.example/i.png)",
         "\\[x\\](https://evil.example) !\\[i\\](https://e.example/i.png)"),
        ("<https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
        ("# Big\n---\n**b** _i_ ~~s~~ `c` | t |", "\\# Big\n\\---\n\\*\\*b\\*\\* \\_i\\_ \\~\\~s\\~\\~ \\`c\\` \\| t \\|"),
        ("a \\* b & c", "a \\\\\\* b &amp; c"),
        ("see https://status.acme.com/x_y?a=1&b=2#top now", "see https://status.acme.com/x_y?a=1&b=2#top now"),
        ("https://x.example/@channel", f"https://x.example/@{ZW}channel"),
        ("mail ops@example.com at 10:00 — 5% of calls", f"mail ops@{ZW}example.com at 10:00 — 5% of calls"),
    ],
)
def test_inert_markdown(text: str, safe: str) -> None:
    assert inert_markdown(text) == safe


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("@channel <!here> <@U1> <https://e.example|x> a < b", f"@{ZW}channel <{ZW}!here> <{ZW}@{ZW}U1> <{ZW}https://e.example|x> a < b"),
        ("[x](https://evil.example) [y][ref] [ref]: https://e", f"[x]{ZW}(https://evil.example) [y]{ZW}[ref] [ref]{ZW}: https://e"),
        ("API (EU) errors: 5% fail *again*", "API (EU) errors: 5% fail *again*"),
    ],
)
def test_inert_line(text: str, safe: str) -> None:
    assert inert_line(text) == safe


def test_only_web_links_are_linked() -> None:
    for url in ("javascript:alert(1)", "ftp://status.acme.com/x", "/incidents/1", "", "https://a.example/" + "x" * 2000):
        assert "title_link" not in card_of(payload(compose(incident_event(1, "incident.created", "x", "y", url=url))))


@pytest.mark.parametrize("size", [10_000, 1_000_000])
def test_megabyte_page_text_stays_within_mattermosts_limits(size: int) -> None:
    huge = ("All requests fail @channel [x](https://e.example) *" * (size // 50 + 1))[:size]
    event = incident_event(1, "incident.created", huge, huge, title=huge, components=(huge,) * 30,
                           provider_title=huge[:5000])
    started = time.perf_counter()
    body = payload(compose(event.model_copy(update={"related": (STORY[1],) * 200})))
    elapsed = time.perf_counter() - started
    card = card_of(body)
    assert len(card["text"]) <= MAX_TEXT and card["text"].endswith("…")
    assert len(json.dumps(card, ensure_ascii=False)) < MAX_POST_SIZE, "under even one post's message limit"
    assert "@channel" not in json.dumps(body, ensure_ascii=False)
    assert elapsed < 1.0, f"rendering took {elapsed:.2f}s"


# ---------------------------------------------------------------- sends to the fake


async def test_an_incidents_life_is_one_post_per_event(
    mattermost: FakeMattermost, http: httpx.AsyncClient, store: Store
) -> None:
    worker = DeliveryWorker("alerts", notifier_for(mattermost.webhook_url(), http), store, sleep=RecordedSleep())
    await enqueue(store, *STORY)
    assert await worker.drain(asyncio.Event()) == 0
    assert [call.status for call in mattermost.requests] == [200, 200, 200]
    assert all(call.content_type == "application/json" for call in mattermost.requests)
    posts = mattermost.posts
    assert [post.attachments[0]["fields"][0]["value"] for post in posts] == ["Investigating", "Monitoring", "Resolved"]
    assert [post.attachments[0]["color"] for post in posts] == [f"#{ORANGE:06x}", f"#{ORANGE:06x}", f"#{GREEN:06x}"]
    assert all(post.channel == "town-square" and post.message == "" and post.mentions == frozenset() for post in posts)
    assert await store.thread("alerts", THREAD) is None, "a webhook returns no post id: nothing to thread on"


async def test_overrides_reach_the_post(mattermost: FakeMattermost, http: httpx.AsyncClient) -> None:
    notifier = notifier_for(mattermost.webhook_url(), http, channel="#incidents", username="Status",
                            icon_url="https://cdn.example/bot.png")
    assert await notifier.send(compose(STORY[0], mention="@here"), None) is None
    [post] = mattermost.posts
    assert (post.channel, post.username, post.icon_url, post.message) == (
        "incidents", "Status", "https://cdn.example/bot.png", "@here")
    assert post.mentions == {"here"}, "the channel's own mention, and only it"
    assert post.props == {"statusbot": {"event_id": "evt_1", "event_type": "incident.created"}}


async def test_hostile_page_text_pings_nobody_and_links_nothing(mattermost: FakeMattermost, http: httpx.AsyncClient) -> None:
    event = incident_event(1, "incident.created", "investigating", f"Body {HOSTILE}", title=f"Title {HOSTILE}",
                           components=(f"API {HOSTILE}",), provider_title="Acme @all")
    await notifier_for(mattermost.webhook_url(), http).send(compose(event.model_copy(update={"related": (event,)})), None)
    [post] = mattermost.posts  # as the server stored it, after its Slack compatibility
    assert post.mentions == frozenset()
    stored = json.dumps(post.attachments, ensure_ascii=False)
    for raw in ("@channel", "@here", "@all", "@alice", "<!", "<https://evil", "[sign in](", "[pixel]("):
        assert raw not in stored, raw
    assert not re.search(r"(?<!\\)\]\(", stored.replace("\\\\", "\\")), "every ]( is escaped or broken"
    card = post.attachments[0]
    assert card["text"].startswith(f"Body @{ZW}channel @{ZW}here @{ZW}all @{ZW}alice &lt;!channel&gt;")
    assert "\\[sign in\\](https://evil.example) !\\[pixel\\]" in card["text"]
    assert card["title"].startswith(f"Acme @{ZW}all: Title @{ZW}channel")


async def test_a_megabyte_update_is_one_post_within_the_limit(mattermost: FakeMattermost, http: httpx.AsyncClient) -> None:
    event = incident_event(1, "incident.created", "investigating", "word " * 200_000, title="T" * 100_000)
    await notifier_for(mattermost.webhook_url(), http).send(compose(event), None)
    [post] = mattermost.posts  # a message over MaxPostSize would have been split into several
    assert len(post.attachments[0]["text"]) <= MAX_TEXT and post.attachments[0]["text"].endswith("…")


async def test_a_429_is_waited_out_then_delivered_once(
    mattermost: FakeMattermost, http: httpx.AsyncClient, store: Store
) -> None:
    mattermost.respond(429, raw=b"limit exceeded\n", headers={
        "Content-Type": "text/plain; charset=utf-8", "Retry-After": "1", "X-Ratelimit-Limit": "10",
        "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "1"})
    worker = DeliveryWorker("alerts", notifier_for(mattermost.webhook_url(), http), store)
    await enqueue(store, STORY[0])
    assert await worker.drain(asyncio.Event()) == 0
    rejected, accepted = mattermost.requests
    assert (rejected.status, accepted.status) == (429, 200)
    assert accepted.at - rejected.at >= 1.0
    assert len(mattermost.posts) == 1


@pytest.mark.parametrize(
    ("headers", "retry_after", "hint"),
    [
        ({"Retry-After": "3", "X-Ratelimit-Reset": "9"}, 3.0, " (retry after 3s)"),
        ({"X-Ratelimit-Reset": "2"}, 2.0, " (retry after 2s)"),
        ({}, None, ""),
    ],
)
async def test_429_says_how_long(headers: dict[str, str], retry_after: float | None, hint: str,
                                 mattermost: FakeMattermost, http: httpx.AsyncClient) -> None:
    mattermost.respond(429, raw=b"limit exceeded\n", headers=headers)
    with pytest.raises(RetryableError) as caught:
        await notifier_for(mattermost.webhook_url(), http).send(compose(STORY[0]), None)
    assert (caught.value.retry_after, str(caught.value)) == (
        retry_after, f"mattermost channel 'alerts': HTTP 429 Too Many Requests{hint}")


async def test_a_reset_given_as_a_time_is_waited_until(mattermost: FakeMattermost, http: httpx.AsyncClient) -> None:
    mattermost.respond(429, headers={"X-Ratelimit-Reset": str(int(time.time()) + 30)})
    with pytest.raises(RetryableError) as caught:
        await notifier_for(mattermost.webhook_url(), http).send(compose(STORY[0]), None)
    assert caught.value.retry_after is not None and 28 <= caught.value.retry_after <= 30


async def test_a_deleted_hook_disables_the_channel_once_and_keeps_the_backlog(
    mattermost: FakeMattermost, http: httpx.AsyncClient, store: Store
) -> None:
    url = mattermost.webhook_url()
    mattermost.delete_hook(url)
    worker = DeliveryWorker("alerts", notifier_for(url, http), store, sleep=RecordedSleep())
    await enqueue(store, *STORY)
    await asyncio.wait_for(worker.run(asyncio.Event()), timeout=5)  # returns: the channel is disabled
    assert [call.status for call in mattermost.requests] == [400]
    assert await store.disabled_reason("alerts") == (
        "mattermost channel 'alerts': HTTP 400 Bad Request: Mattermost refused the webhook (deleted, or "
        "'channel' names no user): channel disabled")
    assert await store.pending_count("alerts") == 3


@pytest.mark.parametrize(
    ("settings", "status", "reason"),
    [
        ({"channel": "no-such-channel"}, 404, "HTTP 404 Not Found: Mattermost has no such channel"),
        ({"channel": "@nobody"}, 400, "HTTP 400 Bad Request: Mattermost refused the webhook (deleted, or "
                                      "'channel' names no user)"),
        ({"channel": "off-topic"}, 403, "HTTP 403 Forbidden: Mattermost may not post there (the webhook is locked "
                                        "to its channel, or the channel is private)"),
    ],
)
async def test_a_channel_it_cannot_post_to_disables_it(
    settings: dict[str, str], status: int, reason: str, mattermost: FakeMattermost, http: httpx.AsyncClient
) -> None:
    notifier = notifier_for(mattermost.webhook_url(locked=True), http, **settings)
    with pytest.raises(PermanentError) as caught:
        await notifier.send(compose(STORY[0]), None)
    assert caught.value.disable_channel
    assert str(caught.value) == f"mattermost channel 'alerts': {reason}: channel disabled"
    assert [call.status for call in mattermost.requests] == [status]


@pytest.mark.parametrize(("status", "body"), [(401, None), (403, None), (404, b"404 page not found")])
async def test_any_401_403_404_disables_the_channel(status: int, body: bytes | None, mattermost: FakeMattermost,
                                                    http: httpx.AsyncClient) -> None:
    mattermost.respond(status, raw=body)
    with pytest.raises(PermanentError) as caught:
        await notifier_for(mattermost.webhook_url(), http).send(compose(STORY[0]), None)
    assert caught.value.disable_channel and str(caught.value).endswith(": channel disabled")


async def test_a_refused_payload_drops_that_message_and_the_next_goes_on(
    mattermost: FakeMattermost, http: httpx.AsyncClient, store: Store
) -> None:
    mattermost.respond(400, {"id": "web.incoming_webhook.decode.app_error", "message": "Unable to decode.",
                             "status_code": 400})
    worker = DeliveryWorker("alerts", notifier_for(mattermost.webhook_url(), http), store, sleep=RecordedSleep())
    await enqueue(store, *STORY[:2])
    assert await worker.drain(asyncio.Event()) == 0
    assert [call.status for call in mattermost.requests] == [400, 200]
    [(event, error)] = await store.dead_letters("alerts")
    assert (event.id, error) == ("evt_1", "mattermost channel 'alerts': HTTP 400 Bad Request: message rejected")
    assert await store.disabled_reason("alerts") is None


async def test_server_errors_are_retried_by_the_worker(
    mattermost: FakeMattermost, http: httpx.AsyncClient, store: Store
) -> None:
    mattermost.respond(500, {"id": "", "message": "Internal Server Error", "status_code": 500}, times=2)
    sleep = RecordedSleep()
    worker = DeliveryWorker("alerts", notifier_for(mattermost.webhook_url(), http), store, sleep=sleep)
    await enqueue(store, STORY[0])
    assert await worker.drain(asyncio.Event(), max_attempts=5) == 0
    assert [call.status for call in mattermost.requests] == [500, 500, 200]
    assert len(mattermost.posts) == 1


@pytest.mark.parametrize("body", [b"", b"<html>proxy says hi</html>", b'{"ok": true}'])
async def test_a_2xx_that_is_not_ok_is_accepted_with_a_warning(
    body: bytes, mattermost: FakeMattermost, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    mattermost.respond(200, raw=body, headers={"Content-Type": "text/html"})
    assert await notifier_for(mattermost.webhook_url(), http).send(compose(STORY[0]), None) is None
    [warning] = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    size = f"{len(body)} bytes of text/html" if body else "no body"
    assert warning == f"mattermost channel 'alerts': accepted (HTTP 200 OK with {size}), though Mattermost answers 'ok'"
    assert len(mattermost.requests) == 1, "never posted twice"


async def test_ok_with_whitespace_is_quietly_accepted(
    mattermost: FakeMattermost, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    mattermost.respond(200, raw=b"ok\n", headers={"Content-Type": "text/plain"})
    await notifier_for(mattermost.webhook_url(), http).send(compose(STORY[0]), None)
    assert not [record for record in caplog.records if record.levelname == "WARNING"]


async def test_a_redirect_is_not_followed(mattermost: FakeMattermost, http: httpx.AsyncClient) -> None:
    mattermost.respond(301, headers={"Location": "https://elsewhere.example/hooks/x"})
    with pytest.raises(UnexpectedAnswer):
        await notifier_for(mattermost.webhook_url(), http).send(compose(STORY[0]), None)
    assert len(mattermost.requests) == 1


async def test_no_error_names_the_hooks_key(mattermost: FakeMattermost, http: httpx.AsyncClient) -> None:
    url = mattermost.webhook_url()
    key = url.rsplit("/", 1)[-1]
    errors: list[DeliveryError] = []
    for status in (400, 403, 404, 413, 429, 500, 503):
        mattermost.respond(status, {"id": "web.incoming_webhook.general.app_error", "status_code": status,
                                    "message": f"Failed to handle the payload for incoming webhook {key}."})
        with pytest.raises(DeliveryError) as caught:
            await notifier_for(url, http).send(compose(STORY[0]), None)
        errors.append(caught.value)
    refused = notifier_for(f"http://127.0.0.1:9/hooks/{key}", http, timeout=0.3)
    with pytest.raises(RetryableError) as caught:
        await refused.send(compose(STORY[0]), None)
    errors.append(caught.value)
    assert all(key not in f"{error} {error!r}" for error in errors)


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"webhook_url": "ftp://mm.example.com/hooks/T0KEN"},
        {"webhook_url": "mm.example.com/hooks/T0KEN"},
        {"webhook_url": "https://mm.example.com/"},
        {"webhook_url": "https://mm.example.com/api/webhooks/1/T0KEN"},
        {"webhook_url": "https://mm.example.com/hooks/T0KEN/extra"},
        {"webhook_url": "https://mm.example.com/hooks/T0KEN", "channel": "town square"},
        {"webhook_url": "https://mm.example.com/hooks/T0KEN", "channel": ""},
        {"webhook_url": "https://mm.example.com/hooks/T0KEN", "username": ""},
        {"webhook_url": "https://mm.example.com/hooks/T0KEN", "username": "u" * 65},
        {"webhook_url": "https://mm.example.com/hooks/T0KEN", "username": "two\nlines"},
        {"webhook_url": "https://mm.example.com/hooks/T0KEN", "icon_url": "javascript:alert(1)"},
        {"webhook_url": "https://mm.example.com/hooks/T0KEN", "timeout": 0},
        {"webhook_url": "https://mm.example.com/hooks/T0KEN", "root_id": "abc"},
    ],
)
def test_invalid_settings_never_echo_the_url(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        MattermostSettings.model_validate(raw)
    assert "T0KEN" not in str(caught.value)


def test_settings_defaults_and_redaction() -> None:
    settings = MattermostSettings.model_validate({"webhook_url": "https://mm.example.com/team/hooks/T0KEN",
                                                  "channel": "#incidents"})
    assert (settings.channel, settings.username, settings.icon_url, settings.timeout) == ("incidents", None, None, 15.0)
    assert "T0KEN" not in repr(settings)
    assert MattermostSettings.model_validate({"webhook_url": "https://mm.example.com/hooks/K",
                                              "channel": "@alice"}).channel == "@alice"


async def test_created_through_the_destination(mattermost: FakeMattermost, http: httpx.AsyncClient) -> None:
    assert (DESTINATION.type, DESTINATION.settings, DESTINATION.secret_keys) == (
        "mattermost", MattermostSettings, ("webhook_url",))
    notifier = DESTINATION.create("alerts", DESTINATION.settings.model_validate(
        {"webhook_url": mattermost.webhook_url(), "username": "Status"}), http)
    assert await notifier.send(compose(STORY[0]), None) is None
    await notifier.aclose()
    assert mattermost.posts[0].username == "Status"


# ---------------------------------------------------------------- the fake is as strict as Mattermost


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"attachments": [{"color": "orange", "text": "x"}]}, 400),
        ({"attachments": [{"title_link": "https://a.example", "text": "x"}]}, 400),
        ({"text": "x", "channel": "nowhere"}, 404),
    ],
)
async def test_the_fake_refuses_what_mattermost_refuses(body: dict[str, Any], status: int,
                                                        mattermost: FakeMattermost, http: httpx.AsyncClient) -> None:
    url = mattermost.webhook_url()
    response = await http.post(url, json=body)
    assert response.status_code == status
    assert response.json()["id"] == "web.incoming_webhook.general.app_error"
    assert url.rsplit("/", 1)[-1] in response.json()["message"], "as the server, it quotes the key"
    assert mattermost.posts == []


async def test_the_fake_answers_and_splits_like_mattermost(mattermost: FakeMattermost, http: httpx.AsyncClient) -> None:
    url = mattermost.webhook_url()
    response = await http.post(url, json={"text": "<!channel> <@u1alice0000000000000000000> " + "x" * MAX_POST_SIZE})
    assert (response.status_code, response.text, response.headers["content-type"]) == (200, "ok", "text/plain")
    first, second = mattermost.posts
    assert first.message.startswith("@channel @alice x") and first.mentions == {"channel", "alice"}
    assert len(first.message) == MAX_POST_SIZE and second.message == "x" * 16
    not_json = await http.post(url, content=b"{oops", headers={"content-type": "application/json"})
    assert (not_json.status_code, not_json.json()["id"]) == (400, "web.incoming_webhook.decode.app_error")


# ---------------------------------------------------------------- through the installed bot


def mattermost_channel(url: str) -> str:
    return f"""
[[channels]]
name = "ops-mm"
type = "mattermost"
webhook_url = "{url}"
username = "Status"
mention = "@channel"
"""


@pytest.fixture
def world(tmp_path: Any) -> Iterator[tuple[World, FakeMattermost]]:
    with StatusPageServer() as pages, WebhookReceiver() as receiver, FakeMattermost() as fake:
        yield World(tmp_path, pages, receiver), fake


def test_the_bot_delivers_an_incidents_life_to_mattermost(world: tuple[World, FakeMattermost]) -> None:
    world_, fake = world
    world_.acme.open_incident("live", f"API errors {HOSTILE}", f"Investigating {HOSTILE}", impact="critical")
    world_.publish()
    with world_.bot(channels=mattermost_channel(fake.webhook_url())) as bot:
        world_.expect(1)
        world_.acme.update("live", "identified", "Cause found")
        world_.publish()
        world_.expect(2)
        world_.acme.update("live", "resolved", "All clear")
        world_.publish()
        world_.expect(3)
        fake.wait_for(3, timeout=30)
        assert bot.stop() == 0
    posts = fake.posts
    assert [post.attachments[0]["fields"][0]["value"] for post in posts] == ["Investigating", "Identified", "Resolved"]
    assert posts[-1].attachments[0]["color"] == f"#{GREEN:06x}" and "All clear" in posts[-1].attachments[0]["text"]
    assert all(post.username == "Status" for post in posts)
    assert posts[0].mentions == {"channel"}, "critical and new: the channel's own mention, and no page's"
    assert all(not (post.mentions - {"channel"}) for post in posts)
    assert all(call.status == 200 for call in fake.requests)


def test_send_test_and_check_for_a_mattermost_channel(world: tuple[World, FakeMattermost]) -> None:
    world_, fake = world
    url = fake.webhook_url()
    key = url.rsplit("/", 1)[-1]
    config = world_.config(extra=mattermost_channel(url))
    sent = BotProcess("send-test", "ops-mm", "--config", str(config), cwd=world_.tmp)
    assert sent.run() == 0 and "delivered to channel ops-mm" in "".join(sent.stdout)
    [post] = fake.posts
    assert "Test message from statusbot" in json.dumps(post.attachments)

    fake.delete_hook(url)
    refused = BotProcess("send-test", "ops-mm", "--config", str(config), cwd=world_.tmp)
    assert refused.run() == 1
    assert "Mattermost refused the webhook" in "".join(refused.stderr) and key not in "".join(refused.stderr)

    checked = BotProcess("check", "--config", str(config), cwd=world_.tmp)
    assert checked.run() == 0
    output = "".join(checked.stdout + checked.stderr)
    assert "ops-mm" in output and "mattermost" in output
    assert key not in output and "/hooks/" not in output, "check hides the whole URL"
