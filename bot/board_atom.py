"""The Atom feed of the board's recent events (`/events.atom`, RFC 4287), for any feed reader.

Every string of an event may come from a status page: the feed is built with ElementTree, which
escapes markup, each string is cleaned of the characters XML 1.0 cannot carry at all, and text
is sent as `type="text"`, never as HTML, so a reader never renders a page's markup.

The feed's address is the one it was asked at, without its query: a `?token=` (a secret) is never
written into the feed, and neither is a user and password in the address. The board (`/` beside
the feed, without the query either) is the feed's alternate link, and that of every entry without
a web link of its own.

Ids are `urn:uuid`s, derived (uuid5) from that address for the feed, and for an entry from the
event's id and the time it was found: an event's id is not unique in the log (a component that
flaps back to a status it had before makes an event with the id of the first time), and a reader
drops an entry whose id it has seen. The time is the database's, so the same feed and the same
logged event keep the same id across requests and restarts, whatever token was used.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from urllib.parse import urljoin
from xml.etree import ElementTree

from bot.board_model import Board, BoardEvent
from bot.text import as_utc, counted, readable
from bot.urls import is_web_link, public_address

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"

# The namespace of entry ids (fixed for good: changing it would show every entry as new again).
EVENT_NAMESPACE = uuid.UUID("3f0c5b8e-6d2a-5b1e-9a57-2d4e8c61f0a9")

# What XML 1.0 cannot carry (its Char production), and the C1 controls and DEL it discourages: a
# lone surrogate, U+FFFE/U+FFFF or a control character would make the whole feed unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def events_feed(board: Board, feed_url: str) -> bytes:
    """The board's events as an Atom 1.0 document (UTF-8), newest first. `feed_url`: the address
    the feed was requested at (its query and any credentials are dropped)."""
    self_url = public_address(feed_url, ())  # no query, fragment, user or password
    board_url = urljoin(self_url, "./")  # the board, `/` beside `/events.atom`
    # Unqualified names under a default namespace declared on the root: every element is Atom's.
    feed = ElementTree.Element("feed", xmlns=ATOM)
    _add(feed, "id", uuid.uuid5(uuid.NAMESPACE_URL, self_url).urn)
    _add(feed, "title", "statusbot: recent events", type="text")
    _add(feed, "subtitle", f"Recent events of {counted(board.counts.providers, 'watched status page')}", type="text")
    newest = max((event.at for event in board.events), default=board.generated_at)
    _add(feed, "updated", _time(newest))
    _add(_add(feed, "author"), "name", "statusbot")
    _add(feed, "link", rel="self", type=MEDIA_TYPE, href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=board_url)
    _add(feed, "generator", "statusbot", version=board.version)
    for event in board.events:
        _entry(feed, event, board_url)
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(feed: ElementTree.Element, event: BoardEvent, board_url: str) -> None:
    entry = _add(feed, "entry")
    _add(entry, "id", _entry_id(event))
    _add(entry, "title", _title(event), type="text")
    _add(entry, "updated", _time(event.at))
    _add(entry, "published", _time(event.at))
    _add(_add(entry, "author"), "name", event.provider_title or event.provider)
    # Without a web link of its own an entry links the board: readers (feedparser among them) would
    # otherwise offer its urn:uuid id as its link.
    if is_web_link(event.url):
        _add(entry, "link", rel="alternate", href=event.url)
    else:
        _add(entry, "link", rel="alternate", type="text/html", href=board_url)
    _add(entry, "category", term=event.type)
    # Content is always there, as text: the update's words, or the title for an event without any.
    _add(entry, "content", event.text or _title(event), type="text")


def _entry_id(event: BoardEvent) -> str:
    """The entry's id: one per logged event (its id and when it was found, to the microsecond)."""
    return uuid.uuid5(EVENT_NAMESPACE, f"{event.id} {as_utc(event.at).isoformat(timespec='microseconds')}").urn


def _title(event: BoardEvent) -> str:
    """E.g. "OpenAI: Elevated errors — Investigating"."""
    title = f"{event.provider_title or event.provider}: {event.title}"
    return f"{title} — {readable(event.status)}" if event.status else title


def _add(parent: ElementTree.Element, tag: str, text: str | None = None, **attributes: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, tag, {name: _xml(value) for name, value in attributes.items()})
    if text is not None:
        element.text = _xml(text)
    return element


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _time(moment: datetime) -> str:
    """RFC 3339 in UTC, to the second (what readers show)."""
    return as_utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")
