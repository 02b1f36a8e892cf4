"""The Atom feed of events (bot/board_atom.py): read back by feedparser (what feed readers use) and
checked against RFC 4287's requirements with a plain XML parser; hostile page text stays text, and
a token in the feed's address never reaches the feed."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from xml.etree import ElementTree

import feedparser
import pytest

from bot.board_atom import ATOM, events_feed
from bot.board_model import BoardEvent
from bot.state import Store
from bot.urls import is_web_link
from tests.board_builders import HOSTILE_TEXTS, HOSTILE_URLS, NOW, board, event, large_board, sample_board
from tests.builders import component_event

FEED_URL = "http://127.0.0.1:9108/events.atom"
NS = {"a": ATOM}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parsed(feed: bytes) -> feedparser.FeedParserDict:
    result = feedparser.parse(feed)
    assert result.bozo == 0, result.get("bozo_exception")
    return result


def xml(feed: bytes) -> ElementTree.Element:
    root = ElementTree.fromstring(feed)
    assert root.tag == f"{{{ATOM}}}feed"
    return root


def only(parent: ElementTree.Element, tag: str) -> ElementTree.Element:
    found = parent.findall(f"a:{tag}", NS)
    assert len(found) == 1, f"{len(found)} atom:{tag} in atom:{parent.tag.split('}')[1]}"
    return found[0]


def test_feed_readers_read_every_event_newest_first_with_its_link():
    sample = sample_board()
    feed = parsed(events_feed(sample, FEED_URL))
    assert feed.version == "atom10"
    assert [entry.title for entry in feed.entries] == [
        "P-Outage: Site down — Investigating",
        "P-Degraded: API — Degraded performance",
        "P-Maintenance: Database upgrade — In progress",
    ]
    first, component_change, _ = feed.entries
    assert first.link == "https://status.example/incidents/i1"
    assert first.content[0].value == "We are looking into it." and first.content[0].type == "text/plain"
    assert first.tags[0].term == "incident.created" and first.author == "P-Outage"
    assert first.updated_parsed[:6] == sample.events[0].at.timetuple()[:6]
    assert component_change.link == "http://127.0.0.1:9108/", "no page of its own: the board"
    assert component_change.content[0].value == "P-Degraded: API — Degraded performance"
    assert {(link.rel, link.href) for link in feed.feed.links} == {("self", FEED_URL), ("alternate", "http://127.0.0.1:9108/")}
    assert feed.feed.generator_detail.version == "1.0.0"


def test_ids_are_urn_uuids_stable_across_requests_tokens_and_boards():
    sample = sample_board()
    feed = events_feed(sample, FEED_URL)
    assert events_feed(sample, f"{FEED_URL}?token=one") == feed == events_feed(sample, f"{FEED_URL}?token=two")
    ids = [entry.id for entry in parsed(feed).entries]
    assert len(set(ids)) == len(ids) == 3 and parsed(feed).feed.id.startswith("urn:uuid:")
    for value in [parsed(feed).feed.id, *ids]:
        assert str(uuid.UUID(value.removeprefix("urn:uuid:"))) == value.removeprefix("urn:uuid:")
    # The same event keeps its entry's id on a later board, beside new events.
    later = board(events=[*sample.events, event(9, "p-outage", minutes=1)], at=NOW + timedelta(minutes=3))
    assert set(ids) < {entry.id for entry in parsed(events_feed(later, FEED_URL)).entries}
    # Another feed address is another feed.
    assert parsed(events_feed(sample, "https://bot.example/events.atom")).feed.id != parsed(feed).feed.id


async def test_an_event_id_logged_again_makes_another_entry_whose_id_stays_across_reads_and_restarts(tmp_path):
    """A component that flaps back to a status it had before logs an event with the id of the
    first time (ids derive from the change): its entry id takes the time it was found as well, or a
    reader would drop it. Read again, and from the database opened again, every entry keeps its id."""
    down, up = component_event("api", "operational", "major_outage"), component_event("api", "major_outage", "operational")
    store = await Store.open(tmp_path / "state.db")
    try:
        for flap in (down, up, down):
            await store.commit_poll("acme", [], [], [], True, events=[flap])
        logged = await store.recent_events(10)
        read_again = await store.recent_events(10)
    finally:
        await store.close()
    reopened = await Store.open(tmp_path / "state.db")
    try:
        after_restart = await reopened.recent_events(10)
    finally:
        await reopened.close()
    assert [e.id for e in logged] == [down.id, up.id, down.id] and logged[0].at != logged[2].at

    def entry_ids(events: list[BoardEvent]) -> list[str]:
        return [entry.id for entry in parsed(events_feed(board(events=events), FEED_URL)).entries]

    ids = entry_ids(logged)
    assert len(set(ids)) == 3
    assert entry_ids(read_again) == entry_ids(after_restart) == ids


def test_rfc4287_required_elements_and_timestamps():
    root = xml(events_feed(sample_board(), FEED_URL))
    for tag in ("id", "title", "updated", "generator"):
        only(root, tag)
    assert only(only(root, "author"), "name").text == "statusbot"
    assert [link.get("href") for link in root.findall("a:link[@rel='self']", NS)] == [FEED_URL]
    entries = root.findall("a:entry", NS)
    assert len(entries) == 3
    for entry in entries:
        for tag in ("id", "title", "updated", "published", "content", "author"):
            only(entry, tag)
        only(only(entry, "author"), "name")
    stamps = [element.text or "" for element in root.iter() if element.tag in (f"{{{ATOM}}}updated", f"{{{ATOM}}}published")]
    assert len(stamps) == 1 + 2 * 3
    for stamp in stamps:
        assert RFC3339.fullmatch(stamp), stamp
        assert datetime.fromisoformat(stamp).tzinfo is not None
    assert {element.get("type") for element in root.iter() if element.get("type") and element.tag != f"{{{ATOM}}}link"} == {"text"}


def test_updated_is_the_newest_events_time_else_when_the_board_was_made():
    sample = sample_board()
    assert only(xml(events_feed(sample, FEED_URL)), "updated").text == "2026-11-01T11:55:00Z"  # 5 minutes before NOW
    empty = xml(events_feed(board(at=NOW), FEED_URL))
    assert only(empty, "updated").text == "2026-11-01T12:00:00Z" and not empty.findall("a:entry", NS)
    assert parsed(events_feed(board(at=NOW), FEED_URL)).entries == []


HOSTILE = [*HOSTILE_TEXTS, "]]><x>CDATA end", "&amp; &lt;b&gt; & <b>bold</b>", "<![CDATA[x]]>", "<?xml version='1.0'?>"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_page_text_stays_text(text):
    hostile = board(events=[event(1, "acme", title=text, status=text, text=text)])
    feed = events_feed(hostile, FEED_URL)
    entry = parsed(feed).entries[0]
    assert entry.title == f"Acme: {text} — {text.replace('_', ' ').capitalize()}"
    assert entry.content[0].value == text
    children = {child.tag.split("}")[1] for child in only(xml(feed), "entry")}
    assert children == {"id", "title", "updated", "published", "author", "link", "category", "content"}


def test_characters_xml_cannot_carry_are_dropped_and_the_rest_kept():
    text = "a\x00b\x0bc\x1bd\x7fe\x85f\ufffeg\uffffh\ud800i\udfffj\tk\nl é 👩‍💻 \u202eRTL"
    feed = events_feed(board(events=[event(1, "acme", title="T", text=text)]), FEED_URL)
    assert parsed(feed).entries[0].content[0].value == "abcdefghij\tk\nl é 👩‍💻 \u202eRTL"


@pytest.mark.parametrize("url", [*HOSTILE_URLS, "ftp://files.example/x", "", "https://ok.example/incidents/1?a=1&b=2"])
def test_only_http_links_become_entry_links_and_any_other_entry_links_the_board(url):
    """A link is an http(s) address with nothing in it that could end an attribute, as on the board."""
    feed = events_feed(board(events=[event(1, "acme", url=url)]), f"{FEED_URL}?token=s3cret-token-0123456789")
    links = [link.get("href") for link in only(xml(feed), "entry").findall("a:link", NS)]
    assert links == [url if is_web_link(url) else "http://127.0.0.1:9108/"]
    assert parsed(feed).entries[0].link == links[0], "a reader follows it, not the urn:uuid id"


def test_a_token_or_credentials_in_the_feed_address_never_reach_the_feed():
    secret = "s3cret-token-0123456789"
    feed = events_feed(sample_board(), f"https://user:pa55word@bot.example/board/events.atom?token={secret}#top")
    assert secret.encode() not in feed and b"pa55word" not in feed and b"user" not in feed and b"token" not in feed
    links = {link.get("rel"): link.get("href") for link in xml(feed).findall("a:link", NS)}
    assert links == {"self": "https://bot.example/board/events.atom", "alternate": "https://bot.example/board/"}
    entry_links = {link.get("href") for link in xml(feed).iterfind("a:entry/a:link", NS)}
    assert entry_links == {"https://status.example/incidents/i1", "https://bot.example/board/"}


def test_a_big_board_makes_a_valid_feed():
    big = large_board(events=200)
    feed = parsed(events_feed(big, FEED_URL))
    assert len(feed.entries) == 200 and feed.feed.subtitle == "Recent events of 1000 watched status pages"
