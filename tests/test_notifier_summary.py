"""A provider.summary event ('37 more changes on Acme'): no incident, no component, a thread of
its own. Every notifier sends it, through the delivery worker and the real fakes: a Slack parent
and a Discord card that start their own threads (never a reply in an incident's), one console
line, and a webhook payload that carries the count."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from typing import Any

import httpx
import pytest

from bot.cap import summary_event
from bot.deliver import DeliveryWorker
from bot.model import Event, Notifier
from bot.state import Store
from notifiers import DESTINATIONS
from tests.builders import RecordedSleep, update_event
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.webhook_receiver import WebhookReceiver

PAGE = "https://status.acme.example/"
INCIDENT = update_event(1)  # acme:incident:i1
SUMMARIES = [summary_event([update_event(n, thread=f"acme:incident:x{n}") for n in numbers], PAGE)
             for numbers in ((2, 3, 4), (5, 6))]


def notifier(kind: str, http: httpx.AsyncClient, **settings: Any) -> Notifier:
    destination = DESTINATIONS[kind]
    return destination.create("chat", destination.settings.model_validate(settings), http)


async def deliver(store: Store, chat: Notifier, events: list[Event]) -> None:
    """Through the outbox and the delivery worker, as the bot sends them; all delivered."""
    worker = DeliveryWorker("chat", chat, store, sleep=RecordedSleep())
    await store.commit_poll("acme", [], [], [("chat", event) for event in events], changed=True)
    assert await worker.drain(asyncio.Event()) == 0
    assert await store.dead_letters("chat") == []


def test_the_summaries_are_what_the_poller_writes() -> None:
    assert [(s.type, s.summarised, s.incident, s.component) for s in SUMMARIES] == [
        ("provider.summary", 3, None, None), ("provider.summary", 2, None, None)]
    assert len({s.thread_key for s in [INCIDENT, *SUMMARIES]}) == 3


async def test_slack_posts_each_summary_as_a_parent_of_its_own(store: Store, http: httpx.AsyncClient) -> None:
    with FakeSlack() as slack:
        chat = notifier("slack", http, token="xoxb-ok", channel="#ops", api_url=slack.api_url)
        await deliver(store, chat, [INCIDENT, *SUMMARIES, update_event(7)])
        await chat.aclose()
        incident, first, second, reply = slack.messages("#ops")
    assert incident.thread_ts is None and first.thread_ts is None and second.thread_ts is None
    assert reply.thread_ts == incident.ts, "the incident's thread is untouched by the summaries"
    assert first.text is not None and "3 more changes" in first.text and "2 more changes" in (second.text or "")
    assert PAGE in json.dumps(first.attachments)
    refs = [await store.thread("chat", s.thread_key) for s in SUMMARIES]
    assert [ref["ts"] for ref in refs if ref] == [first.ts, second.ts]


async def test_a_slack_webhook_posts_each_summary(store: Store, http: httpx.AsyncClient) -> None:
    with FakeSlack() as slack:
        chat = notifier("slack", http, webhook_url=slack.webhook_url("ok"))
        await deliver(store, chat, SUMMARIES)
        await chat.aclose()
        posts = slack.webhook_posts("ok")
    assert ["3 more changes" in posts[0]["text"], "2 more changes" in posts[1]["text"]] == [True, True]


async def test_discord_posts_each_summary_as_a_card_of_its_own(store: Store, http: httpx.AsyncClient) -> None:
    with FakeDiscord() as discord:
        await deliver(store, notifier("discord", http, webhook_url=discord.webhook_url("ok")),
                      [INCIDENT, *SUMMARIES, update_event(7)])
        calls = [(call.method, call.status) for call in discord.requests]
        messages = discord.messages
    assert calls == [("POST", 200)] * 3 + [("PATCH", 200), ("POST", 200)], "only the incident's card is edited"
    titles = [message.current["embeds"][0]["title"] for message in messages]
    assert titles[1:3] == ["Acme: 3 more changes", "Acme: 2 more changes"]
    assert messages[1].current["embeds"][0]["url"] == PAGE


async def test_the_console_prints_one_line_per_summary(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    await deliver(store, DESTINATIONS["console"].create("chat", None, None), SUMMARIES)
    lines = out.getvalue().splitlines()
    assert [line.split(" | ", 2)[2] for line in lines] == [
        "More Changes | Provider=Acme | Product= | Status= | Message=3 more changes in one poll, "
        f"not announced one by one | Link={PAGE}",
        "More Changes | Provider=Acme | Product= | Status= | Message=2 more changes in one poll, "
        f"not announced one by one | Link={PAGE}",
    ]


async def test_a_webhook_payload_carries_the_count(store: Store, http: httpx.AsyncClient) -> None:
    with WebhookReceiver() as receiver:
        await deliver(store, notifier("webhook", http, url=f"{receiver.url}/hook"), SUMMARIES[:1])
        [request] = receiver.requests
    payload = json.loads(request.body)
    assert payload["type"] == "provider.summary"
    assert request.headers["webhook-id"] == SUMMARIES[0].id == payload["data"]["id"]
    assert {key: payload["data"][key] for key in ("provider", "thread_key", "summarised", "incident", "update",
                                                  "component")} == {
        "provider": "acme", "thread_key": SUMMARIES[0].thread_key, "summarised": 3,
        "incident": None, "update": None, "component": None}
