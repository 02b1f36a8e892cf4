"""Cachet 2.x, a self-hosted status page: its public JSON API under `/api/v1`.

Three lists are read, each `{"meta": {"pagination": ...}, "data": [...]}`:
`/api/v1/components`, `/api/v1/incidents` and `/api/v1/schedules` (maintenances, Cachet 2.4).
Cachet pages 20 items by default, in the database's order (oldest first); the incidents and
schedules are asked for sorted by id, newest first, 50 at a time
(`sort=id&order=desc&per_page=50`), the components 1,000 at a time. Resolved incidents and finished maintenances stay in the lists.

Incidents: each embeds its `updates` (newest first; `/incidents/{id}/updates` is not needed).
The incident's own `message` is its first update (keyed "message", dated `occurred_at`, else
`created_at`); the others keep their ids. Cachet sets an incident's `status` to that of each
new update, so the status it opened with is lost once it has updates: the first message then
carries "investigating", the phase Cachet incidents open in. An incident is in the phase of its
newest message. Status codes: 1 Investigating, 2 Identified, 3 Watching (monitoring),
4 Fixed (resolved); an update with an unknown code keeps the phase before it. Cachet up to 2.3
listed scheduled maintenance among incidents with status 0 and `scheduled_at`: such an incident
is read as a maintenance, "scheduled". The link is the incident's `permalink`.

Maintenances (`/schedules`): status 0 Upcoming "scheduled", 1 In Progress "in_progress",
2 Complete "completed" (unknown: "scheduled"), from `scheduled_at` to `completed_at` (Cachet's
planned end), keyed "schedule-<id>". The schedule's `message` is its one update, in the
schedule's phase; a change of phase is seen as the phase moving. Schedules have no link.

Components: status 1 operational, 2 degraded_performance (Performance Issues), 3 partial_outage,
4 major_outage; 0 (Unknown) or an unreadable status is operational (no outage is invented).
A component keeps its `group_id`; the group's name is in `/components/groups`, not read.

Impact: Cachet has none. A posted incident is "minor" (so that `min_impact = "minor"` hears of
it), a maintenance "none". An incident names its one `component_id`, a schedule its components.
Times carry no offset: Cachet writes them in the timezone its admin chose, and they are read as
UTC (an offset, where a page sends one, is honoured).

Detection: `/api/v1/ping` answers `{"data": "Pong!"}`.

Sources: cachethq/cachet branch 2.4 (app/Http/Routes/ApiRoutes.php; Api/IncidentController,
ScheduleController and SortableTrait for `sort`, `order`, `per_page`; app/Models/Incident.php,
whose `$with` embeds the updates; IncidentPresenter's `toArray`; Schedule and SchedulePresenter;
CreateIncidentUpdateCommandHandler, which sets the incident's status; the status constants of the
models and presenters), cachethq/cachet#1489 and #1872 on paging and sorting, and public captures
of live answers (andygrunwald/cachet's tests; the incident a Cachet 2.4 API returned in a public
write-up of HTB "Catch"; status.yoti.com's components in Yoti's developer docs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

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
from bot.urls import is_web_link
from providers._parse import Caps, chronological, ident, load_object, mapping, objects, text, timestamp
from providers._signs import at_path, json_object

API = "/api/v1"
PING = f"{API}/ping"
# One request holds the newest: Cachet's lists are paged (20 by default, oldest first).
NEWEST_FIRST = "sort=id&order=desc&per_page=50"
COMPONENTS_PAGE = "per_page=1000"

_COMPONENT_STATUSES = {
    "1": COMPONENT_OK,
    "2": "degraded_performance",
    "3": "partial_outage",
    "4": "major_outage",
}
_INCIDENT_PHASES = {"1": "investigating", "2": "identified", "3": "monitoring", "4": "resolved"}
_SCHEDULE_PHASES = {"0": "scheduled", "1": "in_progress", "2": "completed"}
_LEGACY_SCHEDULED = "0"  # an incident of Cachet 2.3 and before that was scheduled maintenance
_OPENING = "investigating"
_POSTED_IMPACT = "minor"
_MESSAGE = "message"  # the key of the message an incident or schedule carries itself


def documents(base_url: str) -> list[Document]:
    """The three lists, under the page's base URL (a path prefix is kept)."""
    base = f"{base_url.rstrip('/')}{API}"
    return [
        Document("components", f"{base}/components?{COMPONENTS_PAGE}"),
        Document("incidents", f"{base}/incidents?{NEWEST_FIRST}"),
        Document("schedules", f"{base}/schedules?{NEWEST_FIRST}"),
    ]


def read(role: str, body: bytes, base_url: str, limits: Limits) -> Reading:
    """One list as a partial snapshot. Raises ParseError only."""
    caps = Caps(limits)
    readers: dict[str, tuple[Callable[[Iterable[object]], list[JSON]], Callable[[list[JSON]], Snapshot]]] = {
        "components": (caps.components, _components),
        "incidents": (lambda items: caps.incidents(items, _opened), lambda items: _incidents(caps, items)),
        "schedules": (lambda items: caps.incidents(items, _start), _schedules),
    }
    if role not in readers:
        raise ParseError(f"not a Cachet document: unknown role {role!r}")
    keep, build = readers[role]
    document = load_object(body, {("data",): keep})
    if not isinstance(document.get("data"), list) or not isinstance(mapping(document, "meta").get("pagination"), dict):
        raise ParseError(f"not a Cachet list of {role}: no 'data' list with 'meta.pagination'")
    return caps.reading(build(objects(document, "data")))


# ---------------------------------------------------------------- components


def _components(items: list[JSON]) -> Snapshot:
    components = (_component(item) for item in items)
    return Snapshot(components={component.id: component for component in components if component is not None})


def _component(item: JSON) -> Component | None:
    component_id = ident(item)
    if component_id is None:
        return None
    group_id = ident(item, "group_id")
    return Component(
        id=component_id,
        name=one_line(text(item, "name")) or component_id,
        status=_COMPONENT_STATUSES.get(ident(item, "status") or "", COMPONENT_OK),
        group_id=None if group_id in (None, "0") else group_id,  # 0: in no group
    )


# ---------------------------------------------------------------- incidents


def _incidents(caps: Caps, items: list[JSON]) -> Snapshot:
    incidents = (_incident(caps, item) for item in items)
    return Snapshot(incidents={incident.id: incident for incident in incidents if incident is not None})


def _opened(item: JSON) -> datetime | None:
    return timestamp(item, "occurred_at") or timestamp(item, "created_at")


def _incident(caps: Caps, item: JSON) -> Incident | None:
    incident_id = ident(item)
    if incident_id is None:
        return None
    code = ident(item, "status") or ""
    scheduled = code == _LEGACY_SCHEDULED
    updates = _updates(item, "scheduled" if scheduled else _INCIDENT_PHASES.get(code, _OPENING))
    component_id = ident(item, "component_id")
    stamps = [update.created_at for update in updates if update.created_at is not None]
    return Incident(
        id=incident_id,
        kind="maintenance" if scheduled else "incident",
        title=one_line(text(item, "name")),
        status=updates[-1].status,
        impact="none" if scheduled else _POSTED_IMPACT,
        url=_link(item),
        created_at=_opened(item),
        updated_at=max(stamps, default=None) or timestamp(item, "updated_at"),
        scheduled_for=timestamp(item, "scheduled_at") if scheduled else None,
        component_ids=() if component_id in (None, "0") else (component_id,),
        updates=tuple(caps.updates(list(updates))),
    )


def _updates(item: JSON, status: str) -> tuple[Update, ...]:
    """The incident's own message, then its updates oldest first; one without an id is skipped.
    Phases come from the whole list, so that they stay put whatever a limit cuts."""
    listed = chronological(list(reversed(objects(item, "updates"))), "created_at")  # listed newest first
    replies: list[tuple[str, JSON]] = []
    seen = {_MESSAGE}
    for reply in listed:
        update_id = ident(reply)
        if update_id is not None and update_id not in seen:  # an id listed twice is read once
            seen.add(update_id)
            replies.append((update_id, reply))
    # Each update overwrites the incident's status: only without updates is it still the opening one.
    opening = _OPENING if replies and status != "scheduled" else status
    # The message came before its updates, whatever `occurred_at` was set to.
    posted = _opened(item)
    first = next((moment for _, reply in replies if (moment := timestamp(reply, "created_at"))), None)
    if posted is not None and first is not None and posted > first:
        posted = first
    updates = [Update(id=_MESSAGE, status=opening, body=tidy(text(item, "message")), created_at=posted)]
    for update_id, reply in replies:
        phase = _INCIDENT_PHASES.get(ident(reply, "status") or "", updates[-1].status)
        updates.append(Update(id=update_id, status=phase, body=tidy(text(reply, "message")),
                              created_at=timestamp(reply, "created_at")))
    return tuple(updates)


def _link(item: JSON) -> str:
    permalink = text(item, "permalink").strip()
    return permalink if is_web_link(permalink) else ""


# ---------------------------------------------------------------- maintenances


def _schedules(items: list[JSON]) -> Snapshot:
    schedules = (_schedule(item) for item in items)
    return Snapshot(incidents={schedule.id: schedule for schedule in schedules if schedule is not None})


def _start(item: JSON) -> datetime | None:
    return timestamp(item, "scheduled_at") or timestamp(item, "created_at")


def _schedule(item: JSON) -> Incident | None:
    schedule_id = ident(item)
    if schedule_id is None:
        return None
    phase = _SCHEDULE_PHASES.get(ident(item, "status") or "", "scheduled")
    message = Update(id=_MESSAGE, status=phase, body=tidy(text(item, "message")),
                     created_at=timestamp(item, "created_at"))
    affected = (ident(entry, "component_id") for entry in objects(item, "components"))
    return Incident(
        id=f"schedule-{schedule_id}",
        kind="maintenance",
        title=one_line(text(item, "name")),
        status=phase,
        created_at=timestamp(item, "created_at"),
        updated_at=timestamp(item, "updated_at"),
        scheduled_for=timestamp(item, "scheduled_at"),
        scheduled_until=timestamp(item, "completed_at"),
        component_ids=tuple(dict.fromkeys(component for component in affected if component is not None)),
        updates=(message,),
    )


# ---------------------------------------------------------------- detection


def _pong(address: str, answer: Answer) -> str | None:
    """The base URL when the answer is Cachet's ping, `{"data": "Pong!"}`, wherever it redirected."""
    document = json_object(answer)
    parts = urlsplit(answer.url)
    path = parts.path.rstrip("/")
    if document != {"data": "Pong!"} or not path.endswith(PING):
        return None
    return urlunsplit((parts.scheme, parts.netloc, path[: -len(PING)], "", ""))


FORMAT = Format(
    kind="cachet",
    platform="Cachet",
    description="Cachet 2.x self-hosted status page API (url: the page's address, e.g. https://status.example.com)",
    documents=documents,
    read=read,
    signs=(Sign(ask=at_path(PING), read=_pong),),
)
