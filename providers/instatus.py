"""Instatus-hosted status pages: the public `<page>/summary.json` and `<page>/v2/components.json`.

summary.json is `{page: {name, url, status}, activeIncidents: [...], activeMaintenances: [...]}`;
`page.status` is UP, HASISSUES or UNDERMAINTENANCE, and a quiet page may leave both lists out.
It lists only what is ongoing: a resolved incident or a finished maintenance leaves the list
(`vanished_means_resolved`), though one may stay listed a while as RESOLVED or COMPLETED.
v2/components.json is `{components: [{id, name, status, description, group}]}`, `group` being
null or `{id, name}` (one client reads it as a plain name: both are accepted).

An incident is `{id, name, started, status, impact, url, updatedAt}`, a maintenance
`{id, name, start, status, duration, url, updatedAt}` with `duration` in minutes (a string or a
number). Instatus's own example leaves `id` out: the id is then the last segment of `url`
(`<page>/incident/<id>`, `<page>/maintenance/<id>`). Times are ISO 8601 or JavaScript's
`Date.toString()` ("Sat Jun 11 2022 18:55:50 GMT+0000 (Coordinated Universal Time)").

Phases: INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED are investigating, identified,
monitoring, resolved (an unknown word: investigating, since the incident is listed as active);
NOTSTARTEDYET, INPROGRESS, COMPLETED are scheduled, in_progress, completed (unknown: scheduled).
Impacts: DEGRADEDPERFORMANCE minor, PARTIALOUTAGE and MINOROUTAGE major, MAJOROUTAGE critical,
anything else none. Component statuses: OPERATIONAL, UNDERMAINTENANCE, DEGRADEDPERFORMANCE,
PARTIALOUTAGE and MINOROUTAGE (partial_outage), MAJOROUTAGE (major_outage); unknown: operational.

What the public documents do not expose: the updates of an incident (their texts, ids and times
are only in the incident's HTML page and the Admin API, which needs a key), and which components
an incident or maintenance affects. So an incident here has no updates: detection announces its
opening, each change of phase (`*.status` without text) and its end; scoping by component keeps
every incident.

Sources: https://instatus.com/help/api/public-data (summary.json, its statuses),
https://instatus.com/help/webhooks (component statuses and impacts), and other projects'
clients of these documents (statuspage_monitor's `providers/instatus.py`, which also reads
v2/components.json; a Manychat health check that captured both documents in 2026, an incident
impact DEGRADEDPERFORMANCE included).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

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
)
from bot.text import as_utc, one_line
from bot.urls import is_web_link
from providers._parse import Caps, ident, load_object, mapping, objects, text, timestamp
from providers._signs import at_path, base_url, json_object

SUMMARY_PATH = "/summary.json"
COMPONENTS_PATH = "/v2/components.json"

_PAGE_STATUSES = frozenset({"UP", "HASISSUES", "UNDERMAINTENANCE"})
_LISTS = ("activeIncidents", "activeMaintenances")

_INCIDENT_PHASES = {
    "INVESTIGATING": "investigating",
    "IDENTIFIED": "identified",
    "MONITORING": "monitoring",
    "RESOLVED": "resolved",
}
_MAINTENANCE_PHASES = {"NOTSTARTEDYET": "scheduled", "INPROGRESS": "in_progress", "COMPLETED": "completed"}
_IMPACTS = {"DEGRADEDPERFORMANCE": "minor", "PARTIALOUTAGE": "major", "MINOROUTAGE": "major", "MAJOROUTAGE": "critical"}
_COMPONENT_STATUSES = {
    "OPERATIONAL": COMPONENT_OK,
    "UNDERMAINTENANCE": "under_maintenance",
    "DEGRADEDPERFORMANCE": "degraded_performance",
    "PARTIALOUTAGE": "partial_outage",
    "MINOROUTAGE": "partial_outage",
    "MAJOROUTAGE": "major_outage",
}

# JavaScript's Date.toString(): "Sat Jun 11 2022 18:55:50 GMT+0000 (Coordinated Universal Time)".
_JS_DATE = re.compile(r"[A-Za-z]{3} ([A-Za-z]{3} \d{1,2} \d{4} \d{2}:\d{2}:\d{2}) GMT([+-]\d{4})")
# A maintenance longer than a year is a typo, not a window to announce.
_LONGEST_MINUTES = 366 * 24 * 60


def documents(base_url: str) -> list[Document]:
    """The page's summary and components; a path prefix in `base_url` is kept."""
    base = base_url.rstrip("/")
    return [Document("summary", f"{base}{SUMMARY_PATH}"), Document("components", f"{base}{COMPONENTS_PATH}")]


def read(role: str, body: bytes, base_url: str, limits: Limits) -> Reading:
    """The ongoing incidents and maintenances (role "summary") or the components ("components").
    Raises ParseError only. Incidents and maintenances share `limits.incidents`, the newest of
    each list by their start."""
    caps = Caps(limits)
    if role == "components":
        return caps.reading(Snapshot(components=_components(caps, body)))
    document = load_object(body, {(key,): lambda items: caps.incidents(items, _started) for key in _LISTS})
    _check_summary(document)
    site = _site(document, base_url)
    listed = [
        *(_incident(item, site) for item in objects(document, "activeIncidents")),
        *(_maintenance(item, site) for item in objects(document, "activeMaintenances")),
    ]
    return caps.reading(Snapshot(incidents={i.id: i for i in listed if i is not None}))


def _check_summary(document: JSON) -> None:
    """An Instatus summary has `page.status` or its lists; a list of the wrong type is a broken
    page, to be reported rather than read as "nothing ongoing" (null is an empty list)."""
    page = document.get("page")
    if page is not None and not isinstance(page, dict):
        raise ParseError("not an Instatus summary: 'page' is not an object")
    if not (isinstance(mapping(document, "page").get("status"), str) or any(key in document for key in _LISTS)):
        raise ParseError(f"not an Instatus summary: no page.status, {' or '.join(_LISTS)}")
    for key in _LISTS:
        if document.get(key) is not None and not isinstance(document[key], list):
            raise ParseError(f"not an Instatus summary: '{key}' is not a list")


def _site(document: JSON, base_url: str) -> str:
    """The page's public address, else the configured base URL."""
    page_url = text(mapping(document, "page"), "url").strip()
    return (page_url if is_web_link(page_url) else base_url).rstrip("/")


# ---------------------------------------------------------------- incidents and maintenances


def _incident(item: JSON, site: str) -> Incident | None:
    incident_id = _id(item, "incident")
    if incident_id is None:
        return None
    return Incident(
        id=incident_id,
        title=one_line(text(item, "name")),
        status=_INCIDENT_PHASES.get(_word(item, "status"), "investigating"),
        impact=_IMPACTS.get(_word(item, "impact"), "none"),
        url=_link(item, site, "incident", incident_id),
        created_at=_moment(item, "started"),
        updated_at=_moment(item, "updatedAt"),
    )


def _maintenance(item: JSON, site: str) -> Incident | None:
    maintenance_id = _id(item, "maintenance")
    if maintenance_id is None:
        return None
    start = _moment(item, "start")
    return Incident(
        id=maintenance_id,
        kind="maintenance",
        title=one_line(text(item, "name")),
        status=_MAINTENANCE_PHASES.get(_word(item, "status"), "scheduled"),
        url=_link(item, site, "maintenance", maintenance_id),
        updated_at=_moment(item, "updatedAt"),
        scheduled_for=start,
        scheduled_until=_end(start, item.get("duration")),
    )


def _id(item: JSON, kind: str) -> str | None:
    """`id`, else the last segment of `url` when it is `…/<kind>/<id>` (Instatus's own example
    has no `id`)."""
    found = ident(item)
    if found is not None:
        return found
    try:
        segments = urlsplit(text(item, "url").strip()).path.rstrip("/").split("/")
    except ValueError:  # a malformed address ("https://[host/…") names no id
        return None
    if len(segments) >= 2 and segments[-2] == kind:
        return segments[-1] or None
    return None


def _link(item: JSON, site: str, kind: str, item_id: str) -> str:
    url = text(item, "url").strip()
    return url if is_web_link(url) else f"{site}/{kind}/{quote(item_id, safe='')}"


def _started(item: JSON) -> datetime | None:
    """When an incident or maintenance starts, to keep the newest within the limit."""
    return _moment(item, "started") or _moment(item, "start")


def _end(start: datetime | None, duration: object) -> datetime | None:
    """The end of a window from its start and its length in minutes (a number or its digits)."""
    if isinstance(duration, str) and duration.strip().isdigit():
        duration = int(duration.strip())
    if start is None or isinstance(duration, bool) or not isinstance(duration, int | float):
        return None
    if not 0 < duration <= _LONGEST_MINUTES:
        return None
    try:
        return start + timedelta(minutes=duration)
    except OverflowError:  # a start at the end of year 9999
        return None


# ---------------------------------------------------------------- components


def _components(caps: Caps, body: bytes) -> dict[str, Component]:
    document = load_object(body, {("components",): caps.components})
    if not isinstance(document.get("components"), list):
        raise ParseError("not Instatus components: no list 'components'")
    components = (_component(item) for item in objects(document, "components"))
    return {component.id: component for component in components if component is not None}


def _component(item: JSON) -> Component | None:
    component_id = ident(item)
    if component_id is None:
        return None
    group = item.get("group")
    group_id, group_name = (ident(group), text(group, "name").strip()) if isinstance(group, dict) else (None, "")
    if isinstance(group, str):
        group_name = text(item, "group").strip()
    return Component(
        id=component_id,
        name=one_line(text(item, "name")) or component_id,
        # Without a readable status, do not invent an outage.
        status=_COMPONENT_STATUSES.get(_word(item, "status"), COMPONENT_OK),
        group_id=group_id,
        group=one_line(group_name) or None,
    )


# ---------------------------------------------------------------- fields


def _word(item: JSON, key: str) -> str:
    """An upper-case status word, however the page spelled its case and spaces."""
    return text(item, key).strip().upper()


def _moment(item: JSON, key: str) -> datetime | None:
    """An ISO 8601 time or a JavaScript Date string, in UTC; anything else is None."""
    moment = timestamp(item, key)
    if moment is not None:
        return moment
    match = _JS_DATE.match(text(item, key).strip())
    if match is None:
        return None
    try:
        return as_utc(datetime.strptime(f"{match[1]} {match[2]}", "%b %d %Y %H:%M:%S %z"))
    except (ValueError, OverflowError):
        return None


# ---------------------------------------------------------------- platform detection


def _recognise(address: str, answer: Answer) -> str | None:
    """The base URL when `answer` is an Instatus summary: a JSON object whose `page.status` is one
    of Instatus's words, without Statuspage's top-level sections."""
    document = json_object(answer)
    if document is None or mapping(document, "page").get("status") not in _PAGE_STATUSES:
        return None
    if any(key in document for key in ("components", "incidents", "status")):
        return None
    if any(document.get(key) is not None and not isinstance(document[key], list) for key in _LISTS):
        return None
    return base_url(answer, SUMMARY_PATH)


FORMAT = Format(
    kind="instatus",
    platform="Instatus",
    description="Instatus status page (url: the page's address, e.g. https://status.example.com)",
    documents=documents,
    read=read,
    vanished_means_resolved=True,  # summary.json lists only ongoing incidents and maintenances
    signs=(Sign(ask=at_path(SUMMARY_PATH), read=_recognise),),
)
