"""No page text makes a request larger than its destination takes.

Webhooks: every string field is capped, so no event's POST is larger than MAX_EVENT_BYTES, and a
digest or a group carries only the events that fit in MAX_EVENTS_BYTES, so no POST at all is larger
than MAX_PAYLOAD_BYTES, the figures README gives receivers. The figures are rebuilt here from the
caps (every field filled to its cap, a digest's events filling their budget to the byte), and
payloads built from megabyte-sized fields of the costliest characters (emoji of four bytes,
quotes and backslashes escaped to two) are posted to a real local receiver and stay under them.
Slack and Discord get the same megabyte events, as a thread's first message, its edit and a
reply, and every request stays within their documented limits."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.message import Message, compose
from bot.model import Component, Event, Incident, Update, event_id
from bot.text import plain_text
from notifiers import DESTINATIONS
from notifiers._slack_render import MAX_SECTION, MAX_TEXT
from notifiers.discord import EMBED_TOTAL_MAX
from notifiers.webhook import (
    MAX_BODY_BYTES,
    MAX_COMPONENTS,
    MAX_COUNT,
    MAX_EVENT_BYTES,
    MAX_EVENTS_BYTES,
    MAX_ID_BYTES,
    MAX_NAME_BYTES,
    MAX_PAYLOAD_BYTES,
    MAX_STATUS_BYTES,
    MAX_TITLE_BYTES,
    MAX_URL_BYTES,
    WebhookNotifier,
    WebhookSettings,
    build_payload,
    carried,
    encode,
    envelope,
)
from tests.fakes import WebhookReceiver, verify_standard_webhook
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack

# The longest time iso_utc writes: microseconds and a Z.
LATEST = datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
MEGABYTE = 1_000_000
# JSON's costliest characters: an emoji takes 4 bytes, a quote or a backslash 2 (the model has
# already made controls spaces and a lone surrogate U+FFFD, of 3 bytes).
HOSTILE = "😀\"\\\ud800 a"


@functools.cache
def megabyte_text() -> str:
    """A megabyte of HOSTILE as the model keeps it. Cleaned once here: the events below carry it in
    dozens of fields, and the model cleans a field of raw surrogates in ~40 ms but passes clean
    text through (tests/test_text.py tests the cleaning)."""
    return plain_text(HOSTILE * (MEGABYTE // len(HOSTILE)))


def event_of(text: str, status: str, ident: str, names: tuple[str, ...], count: int) -> Event:
    """An event with every field the payload carries: incident, update and component at once,
    `text` in the long fields, `status` in statuses and impacts, `ident` in ids and keys."""
    update = Update(id=ident, status=status, body=text, created_at=LATEST)
    incident = Incident(
        id=ident, kind="maintenance", title=text, status=status, impact=status, url=text, created_at=LATEST,
        scheduled_for=LATEST, scheduled_until=LATEST, component_names=names, updates=(update,),
    )
    return Event(
        id=ident, type="maintenance.completed", key=ident, provider=text, provider_title=text, thread_key=ident,
        impact=status, occurred_at=LATEST, incident=incident, update=update,
        component=Component(id=ident, name=text, status=status), old_status=status, new_status=status,
        summarised=count, url=text, since=LATEST,
    )


def at_the_caps() -> Event:
    """Every field exactly at its cap, in one-byte characters."""
    event = event_of("", "s" * MAX_STATUS_BYTES, "i" * MAX_ID_BYTES, ("n" * MAX_NAME_BYTES,) * MAX_COMPONENTS,
                     MAX_COUNT)
    incident, update = event.incident, event.update
    assert incident is not None and update is not None and event.component is not None
    return event.model_copy(update={
        "provider": "p" * MAX_NAME_BYTES, "provider_title": "p" * MAX_NAME_BYTES, "url": "u" * MAX_URL_BYTES,
        "incident": incident.model_copy(update={"title": "t" * MAX_TITLE_BYTES, "url": "u" * MAX_URL_BYTES}),
        "update": update.model_copy(update={"body": "b" * MAX_BODY_BYTES}),
        "component": event.component.model_copy(update={"name": "n" * MAX_NAME_BYTES}),
    })


def megabytes() -> Event:
    """Megabytes in every field a page fills (not `id`: ours, and the webhook-id header)."""
    text = megabyte_text()
    event = event_of(text, text, text, (text, *["name"] * 10_000), 10**400)
    return event.model_copy(update={"id": event_id("acme", "maintenance:m1")})


def test_the_documented_largest_payload_is_every_field_at_its_cap() -> None:
    capped = at_the_caps()
    assert build_payload(capped) == build_payload(capped.model_copy(update={"summarised": MAX_COUNT + 1}))
    assert len(encode(envelope(capped, LATEST))) == MAX_EVENT_BYTES


def sized(size: int) -> Event:
    """A small event whose JSON in a digest takes exactly `size` bytes (its update's body fills it)."""
    event = event_of("", "s", "z", (), 0)
    assert event.update is not None
    room = size - len(encode(carried(event)))
    assert 0 <= room <= MAX_BODY_BYTES
    return event.model_copy(update={"update": event.update.model_copy(update={"body": "b" * room})})


def digest_of(events: list[Event]) -> Event:
    """A digest whose own fields are at their caps."""
    return Event(id="i" * MAX_ID_BYTES, type="digest", key="k", provider="p" * MAX_NAME_BYTES,
                 provider_title="p" * MAX_NAME_BYTES, thread_key="t" * MAX_ID_BYTES, impact="s" * MAX_STATUS_BYTES,
                 occurred_at=LATEST, since=LATEST, related=tuple(events))


def test_the_documented_largest_digest_fills_its_events_budget() -> None:
    capped = at_the_caps()
    two = 2 + 2 * len(encode(carried(capped))) + 1  # brackets and a comma
    events = [capped, capped, sized(MAX_EVENTS_BYTES - two - 1), capped]  # the third fills the budget
    document = envelope(digest_of(events), LATEST)
    data = document["data"]
    assert (len(data["events"]), data["count"], data["omitted"]) == (3, 4, 1), "the first that fit, in order"
    assert len(encode(data["events"])) == MAX_EVENTS_BYTES
    # The counts at their cap take 16 digits each where these take 1.
    assert len(encode(document)) + 2 * (len(str(MAX_COUNT)) - 1) == MAX_PAYLOAD_BYTES


async def test_a_digest_of_megabyte_events_posts_less_than_the_largest_payload() -> None:
    event = digest_of([megabytes()] * 50)
    with WebhookReceiver() as receiver:
        async with httpx.AsyncClient() as http:
            await WebhookNotifier("hooks", WebhookSettings(url=f"{receiver.url}/hook"), http).send(compose(event), None)
        [request] = receiver.requests
    data = json.loads(request.body)["data"]
    assert len(request.body) <= MAX_PAYLOAD_BYTES
    assert (data["count"], len(data["events"]) + data["omitted"]) == (50, 50) and data["omitted"] > 0


async def test_megabyte_fields_post_less_than_the_largest_payload() -> None:
    event = megabytes()
    with WebhookReceiver() as receiver:
        async with httpx.AsyncClient() as http:
            settings = WebhookSettings(url=f"{receiver.url}/hook", secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            await WebhookNotifier("hooks", settings, http).send(compose(event), None)
        [request] = receiver.requests
    assert len(request.body) <= MAX_EVENT_BYTES
    assert verify_standard_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", request.headers, request.body)
    data = json.loads(request.body)["data"]
    assert data["update"]["body"].endswith("…") and data["update"]["body"].startswith("😀\"\\\ufffd a")
    assert len(data["incident"]["components"]) == MAX_COMPONENTS
    assert data["summarised"] == MAX_COUNT


def test_a_long_id_keeps_a_hash_of_the_whole() -> None:
    long_id = "x" * 1_000
    first, second = (build_payload(event_of("t", "s", ident, (), 0))["id"] for ident in (long_id, long_id + "y"))
    assert first != second and first.startswith("x" * 200) and first[-17] == "~"
    assert len(first.encode()) <= MAX_ID_BYTES
    assert build_payload(event_of("t", "s", long_id, (), 0))["id"] == first, "the same id, the same text"


# ---------------------------------------------------------------- Slack and Discord

# Slack: blocks per message, and the total block text beyond which it answers msg_blocks_too_long
# (undocumented; seen from about 11,300 characters).
SLACK_MAX_BLOCKS = 50
SLACK_BLOCK_TEXT = 11_000


def chat_events() -> list[Event]:
    """A megabyte incident's first event and its next one, and a megabyte component's change."""
    text = megabyte_text()
    first = event_of(text, text, "i1", (text, "API"), 0).model_copy(update={"component": None, "type": "incident.created"})
    later = first.model_copy(update={"id": "evt_2", "key": "i1/u2", "type": "incident.updated"})
    component = event_of(text, text, "c1", (), 0).model_copy(
        update={"id": "evt_3", "key": "c1/x", "type": "component.status", "incident": None, "update": None})
    return [first, later, component]


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return chat_events()


async def send_all(notifier: Any, events: list[Event]) -> None:
    first, later, component = events
    ref = await notifier.send(compose(first), None)
    await notifier.send(compose(later), ref)
    await notifier.send(compose(component), None)
    await notifier.aclose()


def slack_text(body: dict[str, Any]) -> list[str]:
    return [block["text"]["text"] for attachment in body.get("attachments") or [] for block in attachment["blocks"]]


@pytest.mark.parametrize("mode", ["token", "webhook"])
async def test_slack_requests_stay_within_slack_limits(mode: str, events: list[Event], http: httpx.AsyncClient) -> None:
    slack_ = DESTINATIONS["slack"]
    with FakeSlack() as slack:
        raw = ({"token": "xoxb-ok", "channel": "#ops", "api_url": slack.api_url} if mode == "token"
               else {"webhook_url": slack.webhook_url("ok")})
        await send_all(slack_.create("ops", slack_.settings.model_validate(raw), http), events)
        bodies = [request.body for request in slack.requests]
    assert len(bodies) == (4 if mode == "token" else 3)  # the token's second event edits, then replies
    for body in bodies:
        sections = slack_text(body)
        assert len(body["text"]) <= MAX_TEXT
        assert 0 < len(sections) <= SLACK_MAX_BLOCKS and max(map(len, sections)) <= MAX_SECTION
        assert sum(map(len, sections)) <= SLACK_BLOCK_TEXT


def noise_events(events: list[Event]) -> list[Event]:
    """A megabyte incident carrying 100 megabyte component changes, a megabyte component group, and
    a digest of them all: their lines must give way within each destination's limits too."""
    first, _, component = events
    assert component.component is not None
    changes = tuple(component.model_copy(update={
        "id": f"evt_c{n}", "component": component.component.model_copy(update={"id": f"c{n}"})}) for n in range(100))
    return [first.model_copy(update={"related": changes}), component.model_copy(update={"related": changes}),
            digest_of([first, *changes, component, *changes])]


@pytest.fixture(scope="module")
def noise_messages(events: list[Event]) -> list[Message]:
    """The messages of `noise_events`, composed once for both chats (~1 s: each of their 200 lines
    reads a megabyte status)."""
    return [compose(event) for event in noise_events(events)]


@pytest.mark.parametrize("kind", ["slack", "discord"])
async def test_groups_and_digests_stay_within_chat_limits(kind: str, noise_messages: list[Message],
                                                         http: httpx.AsyncClient) -> None:
    destination = DESTINATIONS[kind]
    with FakeSlack() as slack, FakeDiscord() as discord:
        raw = ({"token": "xoxb-ok", "channel": "#ops", "api_url": slack.api_url} if kind == "slack"
               else {"webhook_url": discord.webhook_url("ok")})
        notifier = destination.create("chat", destination.settings.model_validate(raw), http)
        for message in noise_messages:
            await notifier.send(message, None)
        await notifier.aclose()
        slack_bodies = [request.body for request in slack.requests]
        discord_answers = [call.status for call in discord.requests]
    assert len(slack_bodies or discord_answers) == 3
    assert discord_answers in ([], [200] * 3), "the fake Discord answers 400 beyond its limits"
    for body in slack_bodies:
        sections = slack_text(body)
        assert len(body["text"]) <= MAX_TEXT and max(map(len, sections)) <= MAX_SECTION
        assert len(sections) <= SLACK_MAX_BLOCKS and sum(map(len, sections)) <= SLACK_BLOCK_TEXT
        assert "… and" in sections[-1] or "… and" in sections[-2], "the lines left out are counted"


async def test_discord_requests_stay_within_discord_limits(events: list[Event], http: httpx.AsyncClient) -> None:
    discord_ = DESTINATIONS["discord"]
    with FakeDiscord() as discord:  # answers 400 to anything over Discord's limits
        settings = discord_.settings.model_validate({"webhook_url": discord.webhook_url("ok")})
        await send_all(discord_.create("alerts", settings, http), events)
        calls = [(call.method, call.status) for call in discord.requests]
        embeds = [call.json["embeds"][0] for call in discord.requests]
    assert calls == [("POST", 200), ("PATCH", 200), ("POST", 200), ("POST", 200)]
    for embed in embeds:
        texts = [embed["title"], embed.get("description", ""), embed["footer"]["text"]]
        texts += [text for field in embed["fields"] for text in (field["name"], field["value"])]
        assert sum(len(text.strip()) for text in texts) <= EMBED_TOTAL_MAX
