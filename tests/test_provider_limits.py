"""The limits on what one document may make the bot read ([bot] max_incidents, max_components,
max_updates), in every format: beyond them the newest incidents and updates are kept whatever
order the page lists them in, the first components, ids stay those of a full reading, and the
reading says what was cut."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from bot.config import BotSettings
from bot.model import Limits, Reading
from providers import FORMATS
from tests.fakes.hostile import CROWDED_INCIDENTS, crowded_items

LIMITS = Limits(incidents=5, components=3, updates=4)
UNLIMITED = Limits(incidents=10**6, components=10**6, updates=10**6)
NEWEST = datetime(2026, 6, 1, 12, tzinfo=UTC)
BASE = "https://status.acme.test"


def ago(minutes: int) -> str:
    return (NEWEST - timedelta(minutes=minutes)).isoformat()


def shuffled(items: list[Any]) -> list[Any]:
    items = list(items)
    random.Random(7).shuffle(items)
    return items


def read(kind: str, role: str, document: object, limits: Limits = LIMITS) -> Reading:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return FORMATS[kind].read(role, body, BASE, limits)


def test_the_defaults_are_the_documented_settings() -> None:
    settings = BotSettings()
    assert Limits() == Limits(settings.max_incidents, settings.max_components, settings.max_updates)


# ---------------------------------------------------------------- Statuspage (and incident.io)


def statuspage_incident(number: int, updates: int = 1) -> dict[str, Any]:
    """Incident `number`, created `number` minutes before NEWEST; updates newest first, as the API
    lists them, the oldest saying the API went down."""
    hit = [{"code": "api", "name": "API", "old_status": "operational", "new_status": "major_outage"}]
    return {"id": f"i{number}", "name": f"Incident {number}", "status": "investigating", "created_at": ago(number),
            "incident_updates": [{"id": f"i{number}u{n}", "status": "investigating", "body": f"Update {n}",
                                  "created_at": ago(number - n), "affected_components": [] if n else hit}
                                 for n in reversed(range(updates))]}


def test_statuspage_keeps_the_newest_incidents_whatever_their_order_and_the_first_components() -> None:
    document = {
        "incidents": shuffled([statuspage_incident(n) for n in range(12)]),
        "scheduled_maintenances": [{**statuspage_incident(n), "id": f"m{n}"} for n in range(3)],
        "components": [{"id": f"c{n}", "name": f"C{n}", "status": "operational"} for n in range(7)],
    }
    reading = read("statuspage", "summary", document)
    assert sorted(reading.snapshot.incidents) == ["i0", "i1", "i2", "i3", "i4"], "the newest five; no room left"
    assert list(reading.snapshot.components) == ["c0", "c1", "c2"]
    assert reading.cut == {"incidents": 15, "components": 7}


def test_statuspage_incidents_and_maintenances_share_the_limit_in_the_documents_order() -> None:
    document = {"incidents": [statuspage_incident(n) for n in range(3)],
                "scheduled_maintenances": shuffled([{**statuspage_incident(n), "id": f"m{n}"} for n in range(6)])}
    reading = read("incidentio", "summary", document)
    assert sorted(reading.snapshot.incidents) == ["i0", "i1", "i2", "m0", "m1"]
    assert reading.cut == {"incidents": 9}


def test_statuspage_keeps_the_newest_updates_as_a_full_reading_has_them() -> None:
    document = {"incidents": [statuspage_incident(20, updates=9), statuspage_incident(30, updates=2)]}
    full, capped = read("statuspage", "incidents", document, UNLIMITED), read("statuspage", "incidents", document)
    assert capped.snapshot.incidents["i20"].updates == full.snapshot.incidents["i20"].updates[-4:]
    assert capped.snapshot.incidents["i20"].component_ids == ("api",), "from every update, the cut ones too"
    assert capped.snapshot.incidents["i30"] == full.snapshot.incidents["i30"]
    assert capped.cut == {"updates": 9} and full.cut == {}


def test_a_crowded_page_is_read_within_the_default_limits() -> None:
    body = b'{"incidents": [%s]}' % crowded_items()
    reading = FORMATS["statuspage"].read("summary", body, BASE, Limits())
    assert len(reading.snapshot.incidents) == 500
    assert set(reading.snapshot.incidents) == {f"c{n:06d}" for n in range(500)}, "the fake lists newest first"
    assert reading.cut == {"incidents": CROWDED_INCIDENTS}


# ---------------------------------------------------------------- Google Cloud


def gcp_incident(number: int, updates: int = 1) -> dict[str, Any]:
    # Two updates share each instant: their keys are numbered, over the whole list.
    return {"id": f"g{number}", "external_desc": f"Incident {number}", "created": ago(number),
            "updates": [{"created": ago(number - n // 2), "status": "SERVICE_DISRUPTION", "text": f"Update {n}"}
                        for n in reversed(range(updates))]}


def test_gcp_keeps_the_newest_incidents_and_updates_with_their_full_keys() -> None:
    document = [gcp_incident(0, updates=9), *shuffled([gcp_incident(n) for n in range(1, 12)])]
    full, capped = read("gcp", "incidents", document, UNLIMITED), read("gcp", "incidents", document)
    assert sorted(capped.snapshot.incidents) == ["g0", "g1", "g2", "g3", "g4"]
    assert capped.snapshot.incidents["g0"].updates == full.snapshot.incidents["g0"].updates[-4:]
    assert capped.cut == {"incidents": 12, "updates": 9}


# ---------------------------------------------------------------- Slack


def slack_incident(number: int, notes: int = 1) -> dict[str, Any]:
    return {"id": number, "title": f"Incident {number}", "type": "incident", "status": "resolved",
            "date_created": ago(number), "notes": [{"date_created": ago(number - n), "body": f"Note {n}"}
                                                   for n in reversed(range(notes))]}


@pytest.mark.parametrize("role", ["current", "history"])
def test_slack_keeps_the_newest_incidents_and_notes(role: str) -> None:
    incidents = [slack_incident(0, notes=9), *shuffled([slack_incident(n) for n in range(1, 12)])]
    document = {"status": "active", "active_incidents": incidents} if role == "current" else incidents
    full, capped = read("slack", role, document, UNLIMITED), read("slack", role, document)
    assert sorted(capped.snapshot.incidents) == ["0", "1", "2", "3", "4"]
    updates = capped.snapshot.incidents["0"].updates
    assert updates == full.snapshot.incidents["0"].updates[-4:]
    assert updates[-1].status == "resolved", "the newest note still carries the incident's phase"
    assert capped.cut == {"incidents": 12, "updates": 9}


# ---------------------------------------------------------------- status.io


def statusio_item(number: int, messages: int = 1) -> dict[str, Any]:
    # States rise then stay: phases come from the messages before too, so a cut keeps them.
    return {"_id": f"s{number}", "name": f"Item {number}", "datetime_open": ago(number),
            "messages": [{"_id": f"s{number}m{n}", "details": f"Message {n}", "state": 100 * min(n + 1, 3),
                          "datetime": ago(number - n)} for n in range(messages)]}


def test_statusio_lists_share_the_limit_and_keep_their_newest() -> None:
    document = {"result": {
        "status": [{"id": f"c{n}", "name": f"C{n}", "status_code": 100} for n in range(7)],
        "incidents": [statusio_item(0, messages=9), *shuffled([statusio_item(n) for n in range(1, 4)])],
        "maintenance": {"active": shuffled([{**statusio_item(n), "_id": f"a{n}"} for n in range(3)]),
                        "upcoming": [{**statusio_item(n), "_id": f"u{n}"} for n in range(3)]},
    }}
    full, capped = read("statusio", "status", document, UNLIMITED), read("statusio", "status", document)
    assert sorted(capped.snapshot.incidents) == ["a0", "s0", "s1", "s2", "s3"]
    assert list(capped.snapshot.components) == ["c0", "c1", "c2"]
    assert capped.snapshot.incidents["s0"].updates == full.snapshot.incidents["s0"].updates[-4:]
    assert capped.snapshot.incidents["s0"].status == "monitoring"
    assert capped.cut == {"incidents": 10, "components": 7, "updates": 9}


# ---------------------------------------------------------------- feeds


def rss(items: list[tuple[str, int]]) -> bytes:
    """An RSS feed of (guid, minutes ago) items, in the given order."""
    entries = "".join(
        f"<item><guid>{guid}</guid><title>Incident {guid}</title><description>Investigating</description>"
        f"<pubDate>{format_datetime(NEWEST - timedelta(minutes=minutes))}</pubDate></item>"
        for guid, minutes in items
    )
    return f'<rss version="2.0"><channel><title>Acme</title>{entries}</channel></rss>'.encode()


def test_a_feed_keeps_its_first_entries_which_feeds_list_newest_first() -> None:
    reading = read("feed", "feed", rss([(f"tag:acme.test,2026:{n}", n) for n in range(12)]))
    assert sorted(reading.snapshot.incidents) == [f"tag:acme.test,2026:{n}" for n in range(5)]
    assert reading.cut == {"entries": 12}


@pytest.mark.parametrize(("head", "tail"), [
    ('<rss version="2.0"><channel><title>Acme</title>', "</channel></rss>"),
    ('<?xml version="1.0"?><!-- a <channel> in a comment --><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>',
     "</feed>"),
    ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
     '<channel rdf:about="x"><title>Acme</title><items/></channel>', "</rdf:RDF>"),
])
def test_a_feed_is_cut_in_its_markup_and_its_open_elements_closed_again(head: str, tail: str) -> None:
    tag = "entry" if "Atom" in head else "item"
    entries = "".join(f"<{tag}><id>tag:x,2026:{n}</id><guid>tag:x,2026:{n}</guid><title>Incident {n}</title></{tag}>"
                      for n in range(40))
    reading = read("feed", "feed", f"{head}{entries}{tail}".encode())
    assert sorted(reading.snapshot.incidents) == sorted(f"tag:x,2026:{n}" for n in range(5))
    assert reading.cut == {"entries": 40}


def test_a_crowded_feed_is_read_within_the_default_limits() -> None:
    body = rss([(f"tag:acme.test,2026:{n}", n % 600) for n in range(110_000)])  # 5 MB of small items
    reading = FORMATS["feed"].read("feed", body, BASE, Limits())
    assert len(reading.snapshot.incidents) == 500 and reading.cut == {"entries": 110_000}


def history_atom(updates: int) -> bytes:
    """A Statuspage history feed: one entry whose HTML lists its updates newest first."""
    posts = "".join(f"<p><small>Jun  1, 11:{n:02d} UTC</small><br><strong>Update</strong> - Step {n}.</p>"
                    for n in reversed(range(updates)))
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Acme</title><entry><id>tag:acme,2005:Incident/1</id>'
        '<link href="https://status.acme.test/incidents/abc123"/><title>Slow API</title>'
        f'<updated>2026-06-01T12:00:00Z</updated><content type="html"><![CDATA[{posts}]]></content></entry></feed>'
    ).encode()


def test_a_history_feed_keeps_the_newest_updates_of_an_entry_as_a_full_reading_has_them() -> None:
    full, capped = read("feed", "feed", history_atom(9), UNLIMITED), read("feed", "feed", history_atom(9))
    assert capped.snapshot.incidents["abc123"].updates == full.snapshot.incidents["abc123"].updates[-4:]
    assert [update.body for update in capped.snapshot.incidents["abc123"].updates] == [
        f"Step {n}." for n in range(5, 9)
    ]
    assert capped.cut == {"updates": 9}
