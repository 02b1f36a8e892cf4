"""Any RSS or Atom status feed, read with feedparser; the configured URL is the feed's own.

Feeds come in two families, told apart by their content:

- Statuspage `history.atom` / `history.rss` (GitHub, ...): one entry per incident, its updates
  folded into the entry's HTML (see `providers._feed_statuspage`). The incident id is the API
  code in the entry's link (`/incidents/<code>`), so it matches the JSON API's; else the entry id.
- Feeds where each item is one update (AWS, Better Stack) or one incident (Azure, most others).
  Items are grouped into incidents by what their ids say: AWS guids (`…#<service>_<unix time>`)
  by service and title without its status prefix; an incident link with a per-update fragment
  (`…/incident/<id>#<hash>`) by that link; items sharing a guid by the guid. Anything else is an
  incident of its own (guid, else link, else a digest of title and date).

Feeds have no components, and outside Statuspage's say neither phase nor impact outright: the
phase is read from the text ("[RESOLVED]", "has been mitigated", ...), the impact from words such
as "disruption" in the title.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin
from xml.parsers.expat import errors as expat_errors
from xml.sax import SAXParseException

import feedparser

from bot.model import IMPACTS, Answer, Document, Format, Incident, Limits, ParseError, Reading, Sign, Snapshot, Update
from bot.text import html_to_text, one_line, tidy
from bot.urls import is_web_link
from providers import _feed_statuspage
from providers._feed_entries import first_entries
from providers._parse import Caps, clean, describe, numbered, undated_first
from providers._signs import html_links, page_text, the_address

Entry = dict[str, Any]  # one feedparser entry

# The Statuspage API code at the end of an incident link.
_API_CODE = re.compile(r"/incidents/(?P<code>[A-Za-z0-9]+)/?(?:[?#].*)?$")

# AWS guid: `https://status.aws.amazon.com/#ec2-us-east-1_1639599392`.
_AWS_GUID = re.compile(r"#(?P<service>[A-Za-z0-9][\w.-]*)_\d{9,}$")

# AWS title: `Service is operating normally: [RESOLVED] Increased API error rates`.
_AWS_PREFIX = re.compile(r"^[^:\[\]]{1,60}:\s*")
_MARKER = re.compile(r"\[(?:resolved|completed|update)\]\s*", re.IGNORECASE)

# A link to one incident's page (Better Stack: `…/incident/123`), before a per-update fragment.
_INCIDENT_PAGE = re.compile(r"/incidents?/[^/?#]+/?$", re.IGNORECASE)

# Titles are short and say their state plainly ("Service A recovered", "[RESOLVED] …").
_RESOLVED_TITLE = re.compile(
    r"\[(?:resolved|completed)\]|\b(?:resolved|recovered|completed|mitigated|operating normally)\b",
    re.IGNORECASE,
)
# Bodies say it in a sentence ("This issue is now mitigated."), but also in promises ("an update
# once the issue is resolved"): a clause with a conditional word does not count.
_RESOLVED_CLAUSE = re.compile(
    r"\b(?:is|are|was|were|has been|have been)\s+(?:now\s+)?(?:fully\s+)?"
    r"(?:resolved|mitigated|recovered|restored|completed|fixed)\b"
    r"|\bwe have (?:now\s+)?(?:resolved|mitigated|fixed)\b"
    r"|\bstatus:\s*(?:resolved|completed)\b",
    re.IGNORECASE,
)
_CONDITIONAL = re.compile(r"\b(?:until|once|when|if|after|before|expect\w*)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.;!?\n]+")

# Feeds do not say how bad an incident is. A posted incident is at least minor, so that a
# channel with `min_impact = "minor"` still hears of it; one whose title says so is major.
_POSTED_IMPACT = "minor"
_MAJOR_TITLE = re.compile(r"\b(?:disruption|outage|down)\b", re.IGNORECASE)

# feedparser's warnings that leave the document intact (a declared charset that was wrong).
_HARMLESS = feedparser.ThingsNobodyCaresAboutButMe

# Expat's errors for a document that stops early: whatever items came before the cut, the
# rest of the feed is missing.
_CUT_OFF = frozenset(
    {
        expat_errors.XML_ERROR_NO_ELEMENTS,
        expat_errors.XML_ERROR_UNCLOSED_TOKEN,
        expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
        expat_errors.XML_ERROR_PARTIAL_CHAR,
    }
)

def documents(url: str) -> list[Document]:
    """The feed itself: for this kind the configured URL is the feed's URL."""
    return [Document("feed", url)]


def read(role: str, body: bytes, base_url: str, limits: Limits) -> Reading:
    """The incidents of a feed, from its first entries (feeds list the newest first) within
    `limits.incidents`. A feed with no items is all clear; a body that is not a feed (an HTML
    page served with 200, JSON, an empty body) raises ParseError, and nothing else."""
    caps = Caps(limits)
    body, listed = first_entries(body, limits.incidents)
    caps.entries(listed)
    entries: list[Entry] = _load(body, base_url).entries
    if any(_feed_statuspage.has_updates(_markup(entry)) for entry in entries):
        incidents: Sequence[Incident | None] = [_history_incident(caps, entry) for entry in entries]
    else:
        incidents = _grouped_incidents(caps, entries)
    found: dict[str, Incident] = {}
    for incident in incidents:
        # Feeds list newest first: of two entries for one incident, the newest wins.
        if incident is not None:
            found.setdefault(incident.id, incident)
    return caps.reading(Snapshot(incidents=found))


# ---------------------------------------------------------------- the document


def _load(body: bytes, base_url: str) -> feedparser.FeedParserDict:
    if not body.strip():
        raise ParseError("empty body")
    try:
        # A stream, never bytes: feedparser opens a bytes argument as a file path if one exists.
        feed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": base_url})
    # feedparser's fallback (sgmllib) parser is old code fed untrusted markup: whatever it
    # raises means the same as a document it rejects.
    except Exception as error:
        raise ParseError(f"unreadable feed: {type(error).__name__}") from None
    if not feed.get("version"):
        raise ParseError(f"not an RSS or Atom feed: {_describe(body)}")
    problem = feed.get("bozo_exception")
    if not feed.get("bozo") or isinstance(problem, _HARMLESS):
        return feed
    detail = clean(one_line(str(problem)))[:200]
    if isinstance(problem, SAXParseException) and problem.getMessage() in _CUT_OFF:
        raise ParseError(f"truncated feed: {detail}")
    # Items read despite a fault (an undefined `&nbsp;`, say) are news; zero items from a
    # broken document are not "all clear".
    if not feed.entries:
        raise ParseError(f"malformed feed with no items: {detail}")
    return feed


def _describe(body: bytes) -> str:
    """What a body that is not a feed looks like."""
    if body.decode("utf-8-sig", "replace").lstrip().startswith(("{", "[")):
        return "looks like JSON"
    seen = describe(body)
    return "looks like XML of another kind" if seen.startswith("looks like an XML") else seen


# ---------------------------------------------------------------- Statuspage history feeds


def _history_incident(caps: Caps, entry: Entry) -> Incident | None:
    link = _link(entry)
    code = _API_CODE.search(link)
    incident_id = code["code"] if code else _guid(entry)
    if incident_id is None:
        return None
    updated = _time(entry, "updated_parsed") or _time(entry, "published_parsed")
    history = _feed_statuspage.read(_markup(entry), updated, caps)
    title = _title(entry)
    first = history.updates[0] if history.updates else None
    return Incident(
        id=incident_id,
        kind="maintenance" if history.maintenance else "incident",
        title=title,
        status=history.updates[-1].status if history.updates else _status(title, _body(entry)),
        impact="none" if history.maintenance else _POSTED_IMPACT,
        url=link,
        created_at=(first.created_at if first else None) or _time(entry, "published_parsed"),
        updated_at=updated,
        updates=history.updates,
    )


# ---------------------------------------------------------------- item-per-update feeds


class _Item(NamedTuple):
    """One feed item, as one update of the incident `incident_id`."""

    incident_id: str
    own_id: str | None  # the item's id when it differs from its incident's
    subject: str  # the incident's title as this item tells it
    title: str
    body: str
    url: str
    posted_at: datetime | None
    updated_at: datetime | None


def _grouped_incidents(caps: Caps, entries: list[Entry]) -> list[Incident]:
    groups: dict[str, list[_Item]] = {}
    # Oldest listed first, so items of the same instant keep the order they were posted in.
    for entry in reversed(entries):
        item = _item(entry)
        if item is not None:
            groups.setdefault(item.incident_id, []).append(item)
    incidents = [_grouped_incident(caps, incident_id, items) for incident_id, items in groups.items()]
    return incidents[::-1]  # newest first, as feeds list them


def _item(entry: Entry) -> _Item | None:
    guid, link, title, body = _guid(entry), _link(entry), _title(entry), _body(entry)
    if not (guid or link or title or body):
        return None
    posted_at = _time(entry, "published_parsed") or _time(entry, "updated_parsed")
    aws = _AWS_GUID.search(guid or "")
    subject = _aws_subject(title) if aws else title
    if aws:
        incident_id = f"{aws['service']}:{_digest(subject.casefold())}"
    else:
        incident_id = _incident_id(guid, link, title, posted_at)
    return _Item(
        incident_id=incident_id,
        own_id=guid if guid != incident_id else None,
        subject=subject,
        title=title,
        body=body,
        url=link,
        posted_at=posted_at,
        updated_at=_time(entry, "updated_parsed") or posted_at,
    )


def _incident_id(guid: str | None, link: str, title: str, posted_at: datetime | None) -> str:
    if guid:
        page, hashmark, _ = guid.partition("#")
        return page if hashmark and _INCIDENT_PAGE.search(page) else guid
    if link:
        return link
    return _digest(f"{title}\x00{posted_at.isoformat() if posted_at else ''}")


def _aws_subject(title: str) -> str:
    """An AWS title without its status prefix and markers: the same for every update."""
    return one_line(_MARKER.sub("", _AWS_PREFIX.sub("", title))) or title


def _grouped_incident(caps: Caps, incident_id: str, items: list[_Item]) -> Incident:
    items = sorted(items, key=lambda item: undated_first(item.posted_at))
    ids = numbered([_update_key(item) for item in items])
    updates = tuple(
        Update(
            id=update_id,
            status=_status(item.title, item.body),
            body=item.body or item.title,
            created_at=item.posted_at,
        )
        for item, update_id in caps.updates(list(zip(items, ids, strict=True)))
    )
    stamps = [item.updated_at for item in items if item.updated_at is not None]
    return Incident(
        id=incident_id,
        title=items[0].subject,
        status=updates[-1].status,
        impact=max((_impact(item.title) for item in items), key=IMPACTS.index),
        url=next((item.url for item in reversed(items) if item.url), ""),
        created_at=items[0].posted_at,
        updated_at=max(stamps, default=None),
        updates=updates,
    )


def _update_key(item: _Item) -> str:
    """The item's own id, else its date, else its title: never its text, so an edited item
    stays the same update."""
    if item.own_id:
        return item.own_id
    return item.posted_at.isoformat() if item.posted_at else _digest(item.title)


def _status(title: str, body: str) -> str:
    """resolved when the title or a plain statement in the body says so, else investigating."""
    if _RESOLVED_TITLE.search(title):
        return "resolved"
    for clause in _CLAUSE_END.split(body):
        if _RESOLVED_CLAUSE.search(clause) and not _CONDITIONAL.search(clause):
            return "resolved"
    return "investigating"


def _impact(title: str) -> str:
    return "major" if _MAJOR_TITLE.search(title) else _POSTED_IMPACT


# ---------------------------------------------------------------- entry fields


def _guid(entry: Entry) -> str | None:
    value = dict.get(entry, "id")
    return (clean(value).strip() or None) if isinstance(value, str) else None


def _link(entry: Entry) -> str:
    value = dict.get(entry, "link")
    link = clean(value).strip() if isinstance(value, str) else ""
    return link if is_web_link(link) else ""


def _title(entry: Entry) -> str:
    return one_line(_text(dict.get(entry, "title"), dict.get(entry, "title_detail")))


def _body(entry: Entry) -> str:
    content = _content(entry)
    return _text(content.get("value"), content)


def _markup(entry: Entry) -> str:
    value = _content(entry).get("value")
    return value if isinstance(value, str) else ""


def _content(entry: Entry) -> dict[str, Any]:
    """The fullest text of an entry: Atom `content`, else the summary (RSS `description`)."""
    contents = dict.get(entry, "content")
    for content in contents if isinstance(contents, list) else []:
        value = content.get("value") if isinstance(content, dict) else None
        if isinstance(value, str) and value.strip():
            return content
    summary = dict.get(entry, "summary_detail")
    return summary if isinstance(summary, dict) else {}


def _text(value: object, detail: object) -> str:
    """Readable text of a field; feedparser says in its `*_detail` whether it is HTML."""
    if not isinstance(value, str):
        return ""
    kind = detail.get("type") if isinstance(detail, dict) else None
    is_html = isinstance(kind, str) and "html" in kind
    return clean(html_to_text(value) if is_html else tidy(value))


def _time(entry: Entry, key: str) -> datetime | None:
    """A date feedparser has read (RFC 822 with zone names, ISO 8601) as aware UTC."""
    parsed = dict.get(entry, key)
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    # A leap second (:60) or a year past 9999.
    except (ValueError, OverflowError):
        return None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- platform detection

_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})


def _feed_sign(address: str, answer: Answer) -> str | None:
    """The address is a feed itself, or HTML whose `<link rel="alternate">` names one: its URL."""
    if answer.status == 200 and describe(answer.body) == "looks like an XML document or feed":
        return answer.url
    html = page_text(answer)
    return None if html is None else linked_feed(html, answer.url)


def linked_feed(html: str, page_url: str) -> str | None:
    """The absolute URL of the first RSS or Atom feed the page's HTML links as its alternate."""
    for link in html_links(html):
        rels = link.get("rel", "").lower().split()
        if "alternate" in rels and link.get("type", "").strip().lower() in _FEED_TYPES and link.get("href"):
            try:
                url = urljoin(page_url, link["href"].strip())
            except ValueError:  # a malformed address in the page's markup
                continue
            if is_web_link(url):
                return url
    return None


FORMAT = Format(
    kind="feed",
    platform="RSS/Atom",
    description="RSS or Atom status feed (Statuspage history.atom, AWS, Azure, Better Stack, ...)",
    documents=documents,
    read=read,
    signs=(Sign(ask=the_address, read=_feed_sign),),
)
