"""Atlassian Statuspage: the public `/api/v2/summary.json` and `/api/v2/incidents.json`.

summary.json gives the components, the unresolved incidents and the upcoming or running
maintenances; incidents.json the 50 most recent incidents, resolved ones included. Each parses
into a partial snapshot that the engine merges. incident.io's Statuspage-compatible API has the
same shapes with fewer fields, so `providers.incidentio` reuses this parser as it is.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from bot.model import (
    COMPONENT_OK,
    IMPACTS,
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
from bot.urls import is_web_link
from providers._parse import Caps, chronological, ident, load_object, mapping, objects, text, timestamp
from providers._signs import at_path, base_url, json_object

# Top-level keys of the Statuspage v2 documents; JSON with none of them (a broken page's error
# object, say) must be reported, not read as "no incidents, no components".
_DOCUMENT_KEYS = ("page", "status", "components", "incidents", "scheduled_maintenances")

# incident.io's compatible API names the maintenance phases its own way.
_STATUS_ALIASES = {
    "maintenance_scheduled": "scheduled",
    "maintenance_in_progress": "in_progress",
    "maintenance_complete": "completed",
}

# Phases only a maintenance has: such an item is one even when listed among incidents.
_MAINTENANCE_STATUSES = frozenset({"scheduled", "in_progress", "verifying", "completed"})


# The history documents are read whenever summary.json changed, and otherwise now and then:
# a resolution or completion changes the summary (the item leaves it). Only what never shows in
# the summary waits for the periodic read: an edit of a resolved incident (a root cause added
# days later) or a back-filled one, every HISTORY_EVERY-th poll; an edit of a completed
# maintenance, every MAINTENANCES_EVERY-th (maintenances are announced ahead, so they are in the
# summary while upcoming). Each read is a request even when it answers 304: at ten thousand pages,
# reading all three documents every poll would triple the cost of watching them.
HISTORY_EVERY = 5
MAINTENANCES_EVERY = 30


SUMMARY_PATH = "/api/v2/summary.json"

# incident.io's page ids are ULIDs (26 characters of Crockford's base 32, upper case); Atlassian's
# are 12 lower-case base-36 characters. The compatible summary.json carries the page's id, and
# both real captures and the public clients agree on the two forms (reference §1, §2).
_ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


def documents(base_url: str) -> list[Document]:
    """What a Statuspage page is read from; a path prefix in `base_url` is kept.

    summary.json lists only upcoming and running maintenances: the completed ones, and so a
    maintenance's last update, are in scheduled-maintenances.json.
    """
    maintenances = Document("maintenances", f"{_base(base_url)}/api/v2/scheduled-maintenances.json",
                            MAINTENANCES_EVERY)
    return [*compatible_documents(base_url), maintenances]


def compatible_documents(base_url: str) -> list[Document]:
    """The documents incident.io's Statuspage-compatible API also serves."""
    base = _base(base_url)
    return [
        Document("summary", f"{base}{SUMMARY_PATH}"),
        Document("incidents", f"{base}/api/v2/incidents.json", HISTORY_EVERY),
    ]


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def read(role: str, body: bytes, base_url: str, limits: Limits) -> Reading:
    """A partial snapshot of one document. Raises ParseError only.

    Incidents and maintenances share `limits.incidents`, in the order the document lists them
    (incidents first, in Statuspage's documents): the newest of each list by creation.
    """
    caps = Caps(limits)
    document = load_object(body, {
        ("incidents",): lambda items: caps.incidents(items, _created),
        ("scheduled_maintenances",): lambda items: caps.incidents(items, _created),
        ("components",): caps.components,
    })
    if not any(key in document for key in _DOCUMENT_KEYS):
        raise ParseError(f"not a Statuspage {role}: none of the keys {', '.join(_DOCUMENT_KEYS)}")
    _check_containers(document, role)
    site = _site_url(document, base_url)
    incidents = _incidents(caps, objects(document, "incidents"), site, listed_as_maintenance=False)
    maintenances = _incidents(caps, objects(document, "scheduled_maintenances"), site, listed_as_maintenance=True)
    snapshot = Snapshot(incidents=incidents, components=_components(document))
    return caps.reading(snapshot.merged(Snapshot(incidents=maintenances)))


def _created(item: JSON) -> datetime | None:
    return timestamp(item, "created_at")


def _check_containers(document: JSON, role: str) -> None:
    """A top-level section of the wrong type means a broken page, to be reported, not read as
    "nothing to see" (an odd item inside a list is skipped instead; null is an empty section)."""
    for key, kind in (("page", dict), ("status", dict), ("components", list), ("incidents", list),
                      ("scheduled_maintenances", list)):
        value = document.get(key)
        if value is not None and not isinstance(value, kind):
            wanted = "an object" if kind is dict else "a list"
            raise ParseError(f"not a Statuspage {role}: '{key}' is not {wanted}")


# ---------------------------------------------------------------- components


def _components(document: JSON) -> dict[str, Component]:
    items = objects(document, "components")
    groups = {gid: text(item, "name").strip() for item in items if item.get("group") is True and (gid := ident(item))}
    components = (_component(item, groups) for item in items)
    return {component.id: component for component in components if component is not None}


def _component(item: JSON, groups: dict[str, str]) -> Component | None:
    component_id = ident(item)
    # A group is a container: its status only echoes its children, which are listed themselves.
    # Children carry the group's name instead, so a scope may name the whole group.
    if component_id is None or item.get("group") is True:
        return None
    group_id = ident(item, "group_id")
    return Component(
        id=component_id,
        name=text(item, "name").strip() or component_id,
        # Without a readable status, do not invent an outage.
        status=_status(item) or COMPONENT_OK,
        group_id=group_id,
        group=groups.get(group_id or "") or None,
    )


# ---------------------------------------------------------------- incidents and maintenances


def _incidents(caps: Caps, items: list[JSON], site: str, listed_as_maintenance: bool) -> dict[str, Incident]:
    incidents = (_incident(caps, item, site, listed_as_maintenance) for item in items)
    return {incident.id: incident for incident in incidents if incident is not None}


def _incident(caps: Caps, item: JSON, site: str, listed_as_maintenance: bool) -> Incident | None:
    incident_id = ident(item)
    if incident_id is None:
        return None
    # The API lists updates newest first: reversed, those of one instant keep their posting order.
    raw_updates = chronological(objects(item, "incident_updates")[::-1], "created_at")
    updates = _updates(caps.updates(raw_updates))
    status = _status(item) or (updates[-1].status if updates else "")
    scheduled_for = timestamp(item, "scheduled_for")
    maintenance = (
        listed_as_maintenance
        or text(item, "impact").strip().lower() == "maintenance"
        or status in _MAINTENANCE_STATUSES
        or scheduled_for is not None
    )
    # From every update, read or not: what an incident hit does not move as its oldest updates are cut.
    component_ids, component_names = _affected(item, raw_updates)
    return Incident(
        id=incident_id,
        kind="maintenance" if maintenance else "incident",
        title=one_line(text(item, "name")),
        status=status,
        impact=_impact(item),
        url=_link(item, incident_id, site),
        created_at=timestamp(item, "created_at"),
        updated_at=timestamp(item, "updated_at"),
        scheduled_for=scheduled_for,
        scheduled_until=timestamp(item, "scheduled_until"),
        component_ids=component_ids,
        component_names=component_names,
        updates=updates,
    )


def _updates(raw_updates: list[JSON]) -> tuple[Update, ...]:
    updates: dict[str, Update] = {}
    for entry in raw_updates:
        update_id = ident(entry)
        # One update per id: of repeated copies, the last in time order (listed first) wins.
        if update_id is not None:
            updates[update_id] = Update(
                id=update_id,
                status=_status(entry),
                body=tidy(text(entry, "body")),
                created_at=timestamp(entry, "created_at"),
            )
    return tuple(updates.values())


def _affected(item: JSON, raw_updates: list[JSON]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Component ids and names an incident really hit.

    Pages often tie an incident to every component although one was degraded (so a channel
    scoped to another component would hear of it): the components that some update moved off
    `operational` are the ones hit. Without such transitions, the incident's `components`, else
    every component its updates mention. Ids keep their first-seen position; a name seen later
    wins, since pages rename components and each update carries the name of its time.
    """
    mentioned: dict[str, str] = {}
    hit: dict[str, str] = {}
    for update in raw_updates:
        for entry in objects(update, "affected_components"):
            code = ident(entry, "code")
            if code is None:
                continue
            name = text(entry, "name").strip() or code
            mentioned[code] = name
            moved = {text(entry, key).strip().lower() for key in ("old_status", "new_status")}
            if moved - {"", COMPONENT_OK}:
                hit[code] = name
    listed = {
        component_id: text(entry, "name").strip() or component_id
        for entry in objects(item, "components")
        if (component_id := ident(entry)) is not None
    }
    # Of two names for one id, the incident's own list has the component's current one.
    found = {code: listed.get(code, name) for code, name in hit.items()} or listed or mentioned
    return tuple(found), tuple(found.values())


# ---------------------------------------------------------------- fields


def _status(item: JSON) -> str:
    status = text(item, "status").strip().lower()
    return _STATUS_ALIASES.get(status, status)


def _impact(item: JSON) -> str:
    """none|minor|major|critical; a maintenance's "maintenance" and anything unknown are none."""
    impact = text(item, "impact").strip().lower()
    return impact if impact in IMPACTS else "none"


def _link(item: JSON, incident_id: str, site: str) -> str:
    shortlink = text(item, "shortlink").strip()
    if is_web_link(shortlink):
        return shortlink
    return f"{site}/incidents/{quote(incident_id, safe='')}"


def _site_url(document: JSON, base_url: str) -> str:
    """The page's public address (incident.io's ends with "/"), else the configured base URL."""
    page_url = text(mapping(document, "page"), "url").strip()
    return (page_url if is_web_link(page_url) else base_url).rstrip("/")


# ---------------------------------------------------------------- platform detection


def summary_page(answer: Answer) -> tuple[JSON, str] | None:
    """The `page` object and the base URL of a Statuspage-shaped summary.json answer (an
    Atlassian page's or incident.io's compatible one): a page with a textual id, and a status
    object or a list of components."""
    document = json_object(answer)
    if document is None:
        return None
    page, base = document.get("page"), base_url(answer, SUMMARY_PATH)
    shaped = isinstance(document.get("status"), dict) or isinstance(document.get("components"), list)
    if not isinstance(page, dict) or not isinstance(page.get("id"), str) or not shaped or base is None:
        return None
    return page, base


def is_incident_io(page: JSON) -> bool:
    """Whether a summary's `page` is an incident.io page's (its id a ULID)."""
    return _ULID.fullmatch(page["id"]) is not None


def _atlassian(address: str, answer: Answer) -> str | None:
    found = summary_page(answer)
    return found[1] if found is not None and not is_incident_io(found[0]) else None


FORMAT = Format(
    kind="statuspage",
    platform="Statuspage",
    description="Atlassian Statuspage (/api/v2/summary.json, incidents.json, scheduled-maintenances.json)",
    documents=documents,
    read=read,
    signs=(Sign(ask=at_path(SUMMARY_PATH), read=_atlassian),),
)
