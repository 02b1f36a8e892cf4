"""Slack's own status API: `/api/v2.0.0/current` and `/api/v2.0.0/history`.

`current` is an object whose `active_incidents` are the open incidents, notices and maintenances;
`history` is an array of the same objects, resolved ones included. Each parses into a partial
snapshot that the engine merges. Ids are integers (strings in Slack's own docs); timestamps carry
the page's offset (`-07:00`) and are held in UTC; `\\/` escapes are plain JSON.

Slack has no component statuses: an incident names the `services` it affects. Its notes have no
ids, so a note is keyed by its creation time (`#2`, `#3` for notes of the same instant).

Phases: `active` is "investigating" for an incident or notice and "in_progress" for a
maintenance; `resolved`, `scheduled`, `completed` and `canceled` keep their names. Notes carry no
phase of their own: the newest note carries the incident's phase, so the note that closes an
incident is its resolution; earlier ones carry the phase an incident opens in ("investigating",
or "scheduled" for a maintenance). A note's key never includes its phase, which moves when a newer
note arrives.

Impact, from `type` (the API has no impact field): outage critical, incident major, notice minor,
maintenance none. It does not fall when the incident is resolved, so a channel that heard of an
incident also hears of its resolution.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.model import JSON, Answer, Document, Format, Incident, Limits, ParseError, Reading, Sign, Snapshot, Update
from bot.text import one_line, tidy
from bot.urls import is_web_link
from providers._parse import (
    Caps,
    chronological,
    clean,
    ident,
    load_array,
    load_object,
    numbered,
    objects,
    text,
    timestamp,
)
from providers._signs import at_path, base_url, json_object

# Top-level keys of `current`; JSON with neither (an error object, say) is not "all is well".
_CURRENT_KEYS = ("status", "active_incidents")
_CURRENT_PATH = "/api/v2.0.0/current"

_IMPACTS = {"outage": "critical", "incident": "major", "notice": "minor"}


def documents(base_url: str) -> list[Document]:
    """The two documents of the page; a path prefix in `base_url` is kept."""
    base = base_url.rstrip("/")
    return [
        Document("current", f"{base}{_CURRENT_PATH}"),
        Document("history", f"{base}/api/v2.0.0/history"),
    ]


def read(role: str, body: bytes, base_url: str, limits: Limits) -> Reading:
    """A partial snapshot of one document, the newest incidents within `limits` (both documents
    list them newest first). Raises ParseError only."""
    caps = Caps(limits)
    items = _history(caps, body) if role == "history" else _current(caps, body)
    incidents = (_incident(caps, item, base_url.rstrip("/")) for item in items)
    return caps.reading(Snapshot(incidents={i.id: i for i in incidents if i is not None}))


def _current(caps: Caps, body: bytes) -> list[JSON]:
    document = load_object(body, {("active_incidents",): lambda items: caps.incidents(items, _created)})
    if not any(key in document for key in _CURRENT_KEYS):
        raise ParseError(f"not a Slack current status: none of the keys {', '.join(_CURRENT_KEYS)}")
    return objects(document, "active_incidents")


def _history(caps: Caps, body: bytes) -> list[JSON]:
    return load_array(body, lambda items: caps.incidents(items, _created))


def _created(item: JSON) -> datetime | None:
    return timestamp(item, "date_created")


def _incident(caps: Caps, item: JSON, site: str) -> Incident | None:
    incident_id = ident(item)
    if incident_id is None:
        return None
    kind = text(item, "type").strip().lower()
    maintenance = kind == "maintenance"
    status = _status(item, maintenance)
    return Incident(
        id=incident_id,
        kind="maintenance" if maintenance else "incident",
        title=one_line(text(item, "title")),
        status=status,
        impact=_IMPACTS.get(kind, "none"),
        url=_link(item, site),
        created_at=timestamp(item, "date_created"),
        updated_at=timestamp(item, "date_updated"),
        component_names=_services(item.get("services")),
        updates=_notes(caps, objects(item, "notes"), status, "scheduled" if maintenance else "investigating"),
    )


def _status(item: JSON, maintenance: bool) -> str:
    # A listed item without a readable status is taken as open.
    status = text(item, "status").strip().lower() or "active"
    if status == "active":
        return "in_progress" if maintenance else "investigating"
    return status


def _notes(caps: Caps, raw_notes: list[JSON], status: str, opening: str) -> tuple[Update, ...]:
    """Oldest first, the newest within the limit; the API lists notes newest first, so they are
    reversed before the stable sort (notes of one instant keep their posting order, and so their
    keys, which are numbered over the whole list).

    A note without a readable creation time has no key, and is skipped.
    """
    dated = [
        (moment, note)
        for note in chronological(raw_notes[::-1], "date_created")
        if (moment := timestamp(note, "date_created")) is not None
    ]
    keys = numbered([moment.isoformat() for moment, _ in dated])
    kept = caps.updates(list(zip(keys, dated, strict=True)))
    newest = len(kept) - 1
    return tuple(
        Update(
            id=key,
            status=status if position == newest else opening,
            body=tidy(text(note, "body")),
            created_at=moment,
        )
        for position, (key, (moment, note)) in enumerate(kept)
    )


def _services(value: object) -> tuple[str, ...]:
    """Service names, cleaned, each once; anything that is not a string is skipped."""
    names: Iterable[object] = value if isinstance(value, list) else ()
    found = (one_line(clean(name)) for name in names if isinstance(name, str))
    return tuple(dict.fromkeys(name for name in found if name))


def _link(item: JSON, site: str) -> str:
    url = text(item, "url").strip()
    return url if is_web_link(url) else site


# ---------------------------------------------------------------- platform detection


def _slack_sign(address: str, answer: Answer) -> str | None:
    """Slack's `current`: a status word, the list of active incidents and the time of both."""
    document = json_object(answer)
    shaped = (document is not None and isinstance(document.get("status"), str)
              and isinstance(document.get("active_incidents"), list) and "date_updated" in document)
    return base_url(answer, _CURRENT_PATH) if shaped else None


FORMAT = Format(
    kind="slack",
    platform="Slack",
    description="Slack's own status (/api/v2.0.0/current and /api/v2.0.0/history)",
    documents=documents,
    read=read,
    signs=(Sign(ask=at_path(_CURRENT_PATH), read=_slack_sign),),
)
