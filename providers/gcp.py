"""Google Cloud's status page: `/incidents.json`, a JSON array of every incident ever posted.

Incidents carry stable ids; their updates carry none, so an update is keyed by its creation time
and its status (Google edits update texts later, bumping `modified`: the key must not move).
Google has no component statuses: an incident names the products it affects.

Phases use Google's own words, as its page shows them: an update's `SERVICE_INFORMATION`,
`SERVICE_DISRUPTION` or `SERVICE_OUTAGE` becomes "service_information", "service_disruption" or
"service_outage" (so an escalation from disruption to outage is announced as a phase change),
`AVAILABLE` becomes "resolved". An incident is "resolved" once it has an `end`, else it is in the
phase of its newest update ("investigating" without one).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from bot.model import JSON, Answer, Document, Format, Incident, Limits, ParseError, Reading, Sign, Snapshot, Update
from bot.text import one_line, tidy
from providers._parse import (
    Caps,
    chronological,
    ident,
    load_array,
    numbered,
    objects,
    text,
    timestamp,
)
from providers._signs import at_path, base_url

_IMPACT_BY_SEVERITY = {"low": "minor", "medium": "major", "high": "critical"}
_IMPACT_BY_STATUS = {
    "SERVICE_INFORMATION": "minor",
    "SERVICE_DISRUPTION": "major",
    "SERVICE_OUTAGE": "critical",
}

# A path on the page's own host such as "incidents/<id>": anything else (a scheme, "//host",
# spaces or chat markup characters) is not trusted to build a link.
_PAGE_PATH = re.compile(r"/?[\w.~-]+(/[\w.~-]+)*")


_INCIDENTS_PATH = "/incidents.json"


def documents(base_url: str) -> list[Document]:
    """The one document of the page; a path prefix in `base_url` is kept."""
    return [Document("incidents", f"{base_url.rstrip('/')}{_INCIDENTS_PATH}")]


def read(role: str, body: bytes, base_url: str, limits: Limits) -> Reading:
    """The page's incidents, the newest within `limits` (the list is newest first). Raises
    ParseError only."""
    site = base_url.rstrip("/")
    caps = Caps(limits)
    items = load_array(body, lambda listed: caps.incidents(listed, lambda item: timestamp(item, "created")))
    incidents = (_incident(caps, item, site) for item in items)
    return caps.reading(Snapshot(incidents={i.id: i for i in incidents if i is not None}))


def _incident(caps: Caps, item: JSON, site: str) -> Incident | None:
    incident_id = ident(item)
    if incident_id is None:
        return None
    updates = _updates(caps, objects(item, "updates"))
    ended = bool(text(item, "end").strip())
    latest = updates[-1].status if updates else ""
    products = _products(item)
    return Incident(
        id=incident_id,
        title=one_line(text(item, "external_desc")),
        status="resolved" if ended else latest or "investigating",
        impact=_impact(item),
        url=_link(item, incident_id, site),
        created_at=timestamp(item, "created"),
        updated_at=timestamp(item, "modified"),
        component_ids=tuple(products),
        component_names=tuple(products.values()),
        updates=updates,
    )


def _updates(caps: Caps, raw_updates: list[JSON]) -> tuple[Update, ...]:
    """Oldest first, the newest within the limit; the list is newest first, so it is reversed
    before the stable sort. Keys are numbered over the whole list, so they stay put as it grows.

    An update without a readable creation time has no key, and is skipped.
    """
    dated = [
        (moment, _code(entry), entry)
        for entry in chronological(raw_updates[::-1], "created")
        if (moment := timestamp(entry, "created")) is not None
    ]
    keys = numbered([f"{moment.isoformat()}:{code}" for moment, code, _ in dated])
    return tuple(
        Update(id=key, status=_status(code), body=tidy(text(entry, "text")), created_at=moment)
        for key, (moment, code, entry) in caps.updates(list(zip(keys, dated, strict=True)))
    )


def _code(entry: JSON) -> str:
    """Google's status word as sent, e.g. SERVICE_DISRUPTION: part of an update's key."""
    return one_line(text(entry, "status")).upper()


def _status(code: str) -> str:
    return "resolved" if code == "AVAILABLE" else code.lower()


def _products(item: JSON) -> dict[str, str]:
    """Affected product ids to titles, in listed order."""
    return {
        product_id: one_line(text(entry, "title")) or product_id
        for entry in objects(item, "affected_products")
        if (product_id := ident(entry)) is not None
    }


def _impact(item: JSON) -> str:
    severity = text(item, "severity").strip().lower()
    status = text(item, "status_impact").strip().upper()
    return _IMPACT_BY_SEVERITY.get(severity) or _IMPACT_BY_STATUS.get(status, "none")


def _link(item: JSON, incident_id: str, site: str) -> str:
    uri = text(item, "uri").strip()
    if _PAGE_PATH.fullmatch(uri):
        return f"{site}/{uri.lstrip('/')}"
    return f"{site}/incidents/{quote(incident_id, safe='')}"


# ---------------------------------------------------------------- platform detection

# Fields of a Google incident no other platform's incidents.json has together.
_GOOGLE_FIELDS = ("external_desc", "begin", "most_recent_update")


def _google_sign(address: str, answer: Answer) -> str | None:
    """An incidents.json array whose first incident has Google's fields (the history is never empty)."""
    if answer.status != 200:
        return None
    try:
        items = load_array(answer.body)
    except ParseError:
        return None
    first = items[0] if items else None
    return base_url(answer, _INCIDENTS_PATH) if isinstance(first, dict) and all(
        key in first for key in _GOOGLE_FIELDS) else None


FORMAT = Format(
    kind="gcp",
    platform="Google Cloud",
    description="Google Cloud status (/incidents.json: every incident, updates keyed by time)",
    documents=documents,
    read=read,
    signs=(Sign(ask=at_path(_INCIDENTS_PATH), read=_google_sign),),
)
