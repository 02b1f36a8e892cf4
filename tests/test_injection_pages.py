"""A status page that writes forged log lines, table rows and invisible characters into every
string it supplies, read by the real bot (a process) on a local page, delivered to local fake
Slack, Discord and webhook receivers and the console, then shown by `statusbot status`.

Its incident id, title, status, update id and body, and its component's id, name and status,
each end in a forged `| ERROR |` record after a newline, bidi overrides and isolates, zero-width
characters, C1 controls (NEL, CSI), NUL and an ESC sequence; its title, body and component name
also carry emoji sequences, flags, Arabic, Hebrew, CJK and Persian, which must arrive whole.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from tests.bot_process import BotProcess
from tests.eventually import eventually
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.test_chat_end_to_end import channels
from tests.test_text import HOSTILE, WRITING, removed, tag_free
from tests.world import World

RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| (DEBUG|INFO|WARNING|ERROR|CRITICAL) \| ")
CONSOLE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| (INFO|WARNING) \| ")
# What each forged string becomes: the same text on the line it started on (what follows depends
# on the field: the parser drops NUL and ESC itself, and lowercases statuses).
FORGED = "1999-01-01 00:00:00 | ERROR | forgedevilabcde f 31mg"


@pytest.fixture
def world(tmp_path):
    """The World's two pages, Acme's made hostile: a component in an outage and an incident."""
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        world = World(tmp_path, pages, receiver)
        world.acme.component(f"db{HOSTILE}", f"Database {WRITING}{HOSTILE}", status=f"major_outage{HOSTILE}")
        world.acme.open_incident(f"inc{HOSTILE}", f"Outage {WRITING}{HOSTILE}", f"Body {WRITING}{HOSTILE}",
                                 status=f"investigating{HOSTILE}", impact="major")
        world.acme.incidents[f"inc{HOSTILE}"]["incident_updates"][0]["id"] = f"u1{HOSTILE}"
        world.publish()
        yield world


def strings(document: Any) -> str:
    """Every string of a decoded JSON document (keys too), one per line."""
    if isinstance(document, dict):
        return "\n".join(strings(k) + "\n" + strings(v) for k, v in document.items())
    if isinstance(document, list):
        return "\n".join(strings(item) for item in document)
    return document if isinstance(document, str) else ""


def assert_clean(text: str, where: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in tag_free(text) if removed(c) and c != "\n"})
    assert not bad, f"{where} carries {', '.join(bad)}"


def test_page_text_forges_nothing_and_reaches_no_destination_unclean(world):
    with FakeSlack() as slack, FakeDiscord() as discord, world.bot("--log-level", "DEBUG",
                                                                 channels=channels(slack, discord)) as bot:
        webhooks = world.expect(2)  # the incident, and the component's outage
        discord.wait_for(2)
        eventually(lambda: len(slack.messages("#incidents")) == 2 and len(slack.webhook_posts("ok")) == 2,
                   what="two messages in each Slack channel")
        eventually(lambda: sum("Provider=Acme" in line for line in bot.stdout) == 2, what="two console lines")
        assert bot.stop() == 0

    # The text log: one record per line, none of them forged, and the page's ids in them one line.
    records = [RECORD.match(line) for line in bot.stderr]
    assert records and all(records), "".join(bot.stderr)
    assert "ERROR" not in {record[1] for record in records if record}
    assert any(f"incident.created inc:inc {FORGED}" in line for line in bot.stderr), "".join(bot.stderr)
    assert_clean("".join(bot.stderr).replace("\n", ""), "the log")

    # The console: each event one line of its own fields, the page's writing intact.
    assert all(CONSOLE.match(line) for line in bot.stdout), "".join(bot.stdout)
    lines = [line for line in bot.stdout if "Provider=Acme" in line]
    assert any(f"Incident=Outage {WRITING} {FORGED.replace('|', '¦')}" in line for line in lines), lines
    assert any(f"Product=Database {WRITING} {FORGED.replace('|', '¦')}" in line for line in lines), lines
    assert_clean("".join(lines).replace("\n", ""), "the console")

    # The webhook: every page-supplied field clean, titles and ids on one line, the body's lines kept.
    incident = next(w["data"]["incident"] for w in webhooks if w["data"].get("incident"))
    component = next(w["data"]["component"] for w in webhooks if w["data"].get("component"))
    update = next(w["data"]["update"] for w in webhooks if w["data"].get("update"))
    # (Statuses are lowercased by the parser, and the webhook may shorten each field.)
    for value, start in ((incident["id"], "inc"), (incident["title"], f"Outage {WRITING}"), (update["id"], "u1"),
                         (component["id"], "db"), (component["name"], f"Database {WRITING}"),
                         (incident["status"], "investigating"), (update["status"], "investigating"),
                         (component["status"], "major_outage")):
        assert value.startswith(f"{start} 1999-01-01 00:00:00 |"), value
    assert update["body"].startswith(f"Body {WRITING}\n1999-01-01 00:00:00 | ERROR | forgedevilabcde\nf"), update
    for webhook in webhooks:
        assert_clean(strings(webhook), "a webhook")

    # Slack and Discord: every request's text clean, the page's writing intact.
    slack_text = "\n".join(strings(request.body) for request in slack.requests)
    discord_text = "\n".join(strings(call.json) for call in discord.requests)
    for text, where in ((slack_text, "Slack"), (discord_text, "Discord")):
        assert_clean(text, where)
        assert f"Outage {WRITING} {FORGED}" in text and f"Database {WRITING} {FORGED}" in text, where
        assert f"Body {WRITING}\n" in text, where


def test_status_rows_cannot_be_forged_by_a_page(world):
    assert BotProcess("run", "--once", "--config", str(world.config()), cwd=world.tmp).run() == 0
    status = BotProcess("status", "--config", str(world.config()), cwd=world.tmp)
    assert status.run() == 0
    out = "".join(status.stdout)
    providers = out.split("\n\n")[1].splitlines()
    assert [row.split()[0] for row in providers] == ["PROVIDER", "acme", "nova"], out
    assert f"1 open incident, major_outage {FORGED.lower()}" in providers[1]
    assert_clean(out.replace("\n", ""), "statusbot status")


async def test_stored_text_from_before_the_cleaning_shows_on_one_row(world, store):
    """A database written by an earlier version may hold an error or a reason with a line break."""
    await store.record_poll("nova", "HTTP 503\nforged  1m ago  never  ok  0")
    await store.set_disabled("hooks", "gone\nforged  webhook  0  0  never  0  ok")
    status = BotProcess("status", "--config", str(world.config()), cwd=world.tmp)
    assert await asyncio.to_thread(status.run) == 0
    out = "".join(status.stdout)
    assert not any(line.startswith("forged") for line in out.splitlines()), out
    assert "1 (HTTP 503 forged 1m ago never ok 0)" in out and "disabled: gone forged webhook" in out


def test_the_json_log_is_one_object_per_line_too(world):
    bot = BotProcess("--log-format", "json", "--log-level", "DEBUG", "run", "--once", "--config", str(world.config()),
                     cwd=world.tmp)
    assert bot.run() == 0, "".join(bot.stderr)
    records = [json.loads(line) for line in bot.stderr]
    assert any(f"inc:inc {FORGED}" in record["message"] for record in records)
    assert_clean("".join(bot.stderr).replace("\n", ""), "the JSON log")
