"""status.io's public status API: `https://api.status.io/1.0/status/<page_id>`.

The configured URL is that API URL itself (not the human page): this format reads it as it is.
`result.status` lists the components, `result.incidents` the open incidents and
`result.maintenance.active` / `.upcoming` the maintenances. A resolved incident or a finished
maintenance leaves these lists: this document never shows one as over.

Components: a status.io component runs in one or more containers (regions, hosting), each with
its own status; a component is as bad as its worst container (so its id stays the one incidents
name). Status codes: 100 operational, 200 under_maintenance, 300 degraded_performance,
400 partial_outage, 500 and 600 (security event) major_outage; without a code, the status label.

Phases of a message, from its `state` (status.io's API: 100 investigating, 200 identified,
300 monitoring); for a maintenance 100 is "scheduled" and 200 "in_progress". A message with an
unknown state keeps the phase of the one before. An incident is in the phase of its newest
message; a maintenance is "in_progress" when active, "scheduled" when upcoming. Messages are keyed
by their `_id`, else by their time and state.

Impact of an incident: the worst component status its messages reported (300 minor, 400 major,
500 and 600 critical). Maintenances have none.

Detection: given the API URL, its answer is read as it is. Given the human page, its HTML names
the page: the API URL itself (the page's own status widget script calls it), else the 24-hex
page id beside "statuspage_id" / "statusPageId", from which the API URL is built. Public clients
find the id the same way (a vendor-status map's `statusio_page_id`, 2026 [3p]).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from bot.model import (
    COMPONENT_OK,
    JSON,
    Answer,
    Component,
    Document,
    Format,
    Incident,
    Limits,
    ParseError,
    Reading,
    Sign,
    Snapshot,
    Update,
)
from bot.text import one_line, tidy
from providers._parse import (
    Caps,
    chronological,
    ident,
    load_object,
    mapping,
    numbered,
    objects,
    text,
    timestamp,
)
from providers._signs import json_object, page_text, the_address

# Keys of `result`; JSON with none of them (an error object, say) must be reported.
_RESULT_KEYS = ("status_overall", "status", "incidents", "maintenance")

# Status codes, least bad first.
_CODES = ("100", "200", "300", "400", "500", "600")
_COMPONENT_STATUSES = {
    "100": COMPONENT_OK,
    "200": "under_maintenance",
    "300": "degraded_performance",
    "400": "partial_outage",
    "500": "major_outage",
    "600": "major_outage",
}
_LABELS = {
    "operational": "100",
    "planned maintenance": "200",
    "degraded performance": "300",
    "partial service disruption": "400",
    "service disruption": "500",
    "security event": "600",
    "security issue": "600",
}
_IMPACTS = {"300": "minor", "400": "major", "500": "critical", "600": "critical"}

_INCIDENT_STATES = {"100": "investigating", "200": "identified", "300": "monitoring"}
_MAINTENANCE_STATES = {"100": "scheduled", "200": "in_progress"}


def documents(url: str) -> list[Document]:
    """The page's status document: the configured URL is the API URL itself."""
    return [Document("status", url.rstrip("/"))]


def read(role: str, body: bytes, base_url: str, limits: Limits) -> Reading:
    """Components, open incidents and maintenances. Raises ParseError only.

    Incidents, active and upcoming maintenances share `limits.incidents`, in the order the
    document lists them: the newest of each list by their opening.
    """
    caps = Caps(limits)

    def newest(items: Iterable[object]) -> list[JSON]:
        return caps.incidents(items, lambda item: timestamp(item, "datetime_open"))

    lists = {("result", "incidents"): newest, ("result", "maintenance", "active"): newest,
             ("result", "maintenance", "upcoming"): newest, ("result", "status"): caps.components}
    result = mapping(load_object(body, lists), "result")
    if not any(key in result for key in _RESULT_KEYS):
        raise ParseError(f"not a status.io status: no result with {', '.join(_RESULT_KEYS)}")
    maintenance = mapping(result, "maintenance")
    listed = [
        *(_incident(caps, item, "investigating") for item in objects(result, "incidents")),
        *(_incident(caps, item, "in_progress", maintenance=True) for item in objects(maintenance, "active")),
        *(_incident(caps, item, "scheduled", maintenance=True) for item in objects(maintenance, "upcoming")),
    ]
    snapshot = Snapshot(
        incidents={incident.id: incident for incident in listed if incident is not None},
        components=_components(objects(result, "status")),
    )
    return caps.reading(snapshot)


# ---------------------------------------------------------------- components


def _components(items: list[JSON]) -> dict[str, Component]:
    components = (_component(item) for item in items)
    return {component.id: component for component in components if component is not None}


def _component(item: JSON) -> Component | None:
    component_id = ident(item)
    if component_id is None:
        return None
    codes = [_code(entry) for entry in (item, *objects(item, "containers"))]
    known = [code for code in codes if code is not None]
    return Component(
        id=component_id,
        name=one_line(text(item, "name")) or component_id,
        # Without a readable status, do not invent an outage.
        status=_COMPONENT_STATUSES[_worst(known)] if known else COMPONENT_OK,
    )


def _code(entry: JSON) -> str | None:
    """A known status code, from `status_code` or else from the `status` label."""
    code = ident(entry, "status_code")
    if code in _COMPONENT_STATUSES:
        return code
    return _LABELS.get(one_line(text(entry, "status")).lower())


def _worst(codes: list[str]) -> str:
    return max(codes, key=_CODES.index)


# ---------------------------------------------------------------- incidents and maintenances


def _incident(caps: Caps, item: JSON, listed_as: str, maintenance: bool = False) -> Incident | None:
    """An incident, or a maintenance: in the phase of the list it is in (`listed_as`)."""
    incident_id = ident(item, "_id")
    if incident_id is None:
        return None
    messages = chronological(objects(item, "messages"), "datetime")
    updates = _updates(caps, messages, _MAINTENANCE_STATES if maintenance else _INCIDENT_STATES, listed_as)
    affected = {
        component_id: one_line(text(entry, "name")) or component_id
        for entry in objects(item, "components_affected")
        if (component_id := ident(entry, "_id")) is not None
    }
    return Incident(
        id=incident_id,
        kind="maintenance" if maintenance else "incident",
        title=one_line(text(item, "name")),
        status=listed_as if maintenance or not updates else updates[-1].status,
        impact="none" if maintenance else _impact(messages),
        created_at=timestamp(item, "datetime_open"),
        updated_at=_latest(updates),
        scheduled_for=timestamp(item, "datetime_planned_start"),
        scheduled_until=timestamp(item, "datetime_planned_end"),
        component_ids=tuple(affected),
        component_names=tuple(affected.values()),
        updates=updates,
    )


def _updates(caps: Caps, messages: list[JSON], states: dict[str, str], opening: str) -> tuple[Update, ...]:
    """Messages oldest first, the newest within the limit; one without an `_id` or a readable time
    has no key, and is skipped. Phases and keys come from the whole list, so they stay put as it grows."""
    drafts: list[tuple[str, str, JSON]] = []
    phase = opening
    for message in messages:
        state = ident(message, "state") or ""
        phase = states.get(state, phase)
        key = ident(message, "_id") or _time_key(timestamp(message, "datetime"), state)
        if key is not None:
            drafts.append((key, phase, message))
    keys = numbered([key for key, _, _ in drafts])
    return tuple(
        Update(
            id=key,
            status=phase,
            body=tidy(text(message, "details")),
            created_at=timestamp(message, "datetime"),
        )
        for key, (_, phase, message) in caps.updates(list(zip(keys, drafts, strict=True)))
    )


def _time_key(moment: datetime | None, state: str) -> str | None:
    return f"{moment.isoformat()}:{state}" if moment is not None else None


def _impact(messages: list[JSON]) -> str:
    codes = [code for message in messages if (code := ident(message, "status")) in _IMPACTS]
    return _IMPACTS[_worst(codes)] if codes else "none"


def _latest(updates: tuple[Update, ...]) -> datetime | None:
    stamps = [update.created_at for update in updates if update.created_at is not None]
    return max(stamps, default=None)


# ---------------------------------------------------------------- platform detection

API = "https://api.status.io/1.0/status/"
# The API URL a page names (in a script, maybe JSON-escaped), and the page id it may name instead.
_API_URL = re.compile(r"https?://[\w.:-]+(?:/[\w.~-]+)*/1\.0/status/[0-9a-f]{24}\b")
_PAGE_ID = re.compile(r"status_?page_?id[\"'\s:=]{1,8}([0-9a-f]{24})\b", re.IGNORECASE)


def _statusio_sign(address: str, answer: Answer) -> str | None:
    document = json_object(answer)
    if document is not None:
        result = document.get("result")
        return answer.url if isinstance(result, dict) and isinstance(result.get("status_overall"), dict) else None
    html = page_text(answer)
    if html is None:
        return None
    html = html.replace("\\/", "/")
    if named := _API_URL.search(html):
        return named[0]
    return API + found[1] if (found := _PAGE_ID.search(html)) else None


FORMAT = Format(
    kind="statusio",
    platform="status.io",
    description="status.io public status API (url: https://api.status.io/1.0/status/<page id>)",
    documents=documents,
    read=read,
    vanished_means_resolved=True,  # resolved incidents and finished maintenances leave the list
    signs=(Sign(ask=the_address, read=_statusio_sign),),
)
