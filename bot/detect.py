"""Change detection: a pure function from (old snapshot, new snapshot) to events.

| situation (per incident or maintenance)                    | events                                           |
|------------------------------------------------------------|--------------------------------------------------|
| id not in old                                              | `*.created` (with its first update), then one    |
|                                                            | event per later update, as below                 |
| update id not in old, status unchanged                     | `*.updated`                                      |
| update id not in old, status changed, not final            | `*.status`                                       |
| update id not in old, status became final                  | `incident.resolved` / `maintenance.completed`    |
| update id not in old, same status and text as the one before | nothing (pages repeat themselves)              |
| incident status changed with no new update carrying it     | `*.status` or `*.resolved`/`*.completed`         |
| known update id, body changed                              | `*.edited`                                       |
| title, `updated_at`, component list changed                | nothing                                          |
| id in old, not in new (deleted, or out of the page window) | nothing                                          |
| id in old and unresolved, not in new, on a page that lists  | `incident.resolved` / `maintenance.completed`    |
| only what is ongoing (`vanished_means_resolved`)            |                                                  |

| situation (per component id)                               | events                                           |
|------------------------------------------------------------|--------------------------------------------------|
| status differs from old                                    | `component.status` (old -> new)                  |
| not in old, not operational                                | `component.status` (none -> new)                 |

Keys never use names or `updated_at`: `inc:<id>`, `upd:<id>:<update id>`,
`phase:<id>:<status>`, `edit:<id>:<update id>:<body hash>`, `comp:<id>:<status>`.
The engine drops incident events whose key it has seen before, so an old incident that re-enters a
page's list window is not announced again. Component events are never filtered that way: a
component may degrade, recover and degrade again, and each transition is news.

First sight of a provider (no old snapshot) depends on `first_run`:
`active` announces unresolved incidents and maintenances (one `*.created` each, with the latest
update) and components not operational; `all` announces every listed incident the same way;
`none` announces nothing. In every mode all keys of the snapshot become seen.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from bot.model import (
    COMPONENT_IMPACT,
    COMPONENT_OK,
    FINAL_STATUSES,
    IMPACTS,
    Component,
    Event,
    Incident,
    Snapshot,
    Update,
    event_id,
    short_digest,
)


def detect(
    provider: str,
    title: str,
    old: Snapshot | None,
    new: Snapshot,
    now: datetime,
    first_run: str = "active",
    page_url: str = "",
    vanished_means_resolved: bool = False,
) -> list[Event]:
    """The events between two snapshots of one provider, oldest change first per incident."""
    source = _Source(provider, title, now, page_url)
    if old is None:
        return list(_first_sight(source, new, first_run))
    events: list[Event] = []
    for incident in new.incidents.values():
        before = old.incidents.get(incident.id)
        events.extend(_incident_changes(source, before, incident))
    if vanished_means_resolved:
        for gone in old.incidents.keys() - new.incidents.keys():
            events.extend(_vanished(source, old.incidents[gone]))
    for component in new.components.values():
        event = _component_change(source, old.components.get(component.id), component)
        if event is not None:
            events.append(event)
    return events


def snapshot_keys(snapshot: Snapshot) -> Iterator[str]:
    """Every incident and update key of a snapshot: the baseline recorded on first sight."""
    for incident in snapshot.incidents.values():
        yield _incident_key(incident)
        for update in incident.updates:
            yield _update_key(incident, update)


def covered_keys(event: Event) -> tuple[str, ...]:
    """The keys an event accounts for: its own, and the update it carries."""
    if event.incident is not None and event.update is not None:
        return (event.key, _update_key(event.incident, event.update))
    return (event.key,)


def is_deduplicated(event: Event) -> bool:
    """Whether an already-seen key suppresses this event (see the module docstring)."""
    return event.family != "component"


def scope(snapshot: Snapshot, wanted: tuple[str, ...]) -> Snapshot:
    """Only the components named (by name, id, or their group's name) and the incidents hitting them.

    An incident that names no components at all is kept: the page did not say, so it may matter.
    """
    if not wanted:
        return snapshot
    names = {w.casefold() for w in wanted}
    components = {cid: c for cid, c in snapshot.components.items() if names & c.aliases()}
    kept_refs = names | {c.id.casefold() for c in components.values()} | {c.name.casefold() for c in components.values()}

    def touches(incident: Incident) -> bool:
        refs = {r.casefold() for r in incident.component_ids + incident.component_names}
        return not refs or bool(refs & kept_refs)

    incidents = {iid: i for iid, i in snapshot.incidents.items() if touches(i)}
    return Snapshot(incidents=incidents, components=components)


# ---------------------------------------------------------------- internals


class _Source:
    """Who the events are about, and when they were noticed."""

    def __init__(self, provider: str, title: str, now: datetime, page_url: str):
        self.provider = provider
        self.title = title
        self.now = now
        self.page_url = page_url


def _first_sight(source: _Source, new: Snapshot, mode: str) -> Iterator[Event]:
    if mode == "none":
        return
    for incident in new.incidents.values():
        if mode == "all" or not incident.is_final:
            latest = incident.updates[-1] if incident.updates else None
            yield _incident_event(source, incident, "created", _incident_key(incident), latest)
    for component in new.components.values():
        if component.status != COMPONENT_OK:
            yield _component_event(source, None, component)


def _incident_changes(source: _Source, before: Incident | None, after: Incident) -> Iterator[Event]:
    known = {u.id: u for u in before.updates} if before else {}
    fresh = [u for u in after.updates if u.id not in known]
    phase = before.status if before else None
    if before is None:
        first = fresh.pop(0) if fresh else None
        yield _incident_event(source, after, "created", _incident_key(after), first)
        phase = first.status if first else after.status
    previous = _latest_before(after, fresh[0]) if fresh else None
    for update in fresh:
        if not _repeats(previous, update):
            yield _incident_event(source, after, _transition(phase, update.status), _update_key(after, update), update)
        phase, previous = update.status, update
    if after.status != phase:
        key = f"phase:{after.id}:{after.status}"
        yield _incident_event(source, after, _transition(phase, after.status), key, None)
    for update in after.updates:
        old = known.get(update.id)
        if old is not None and old.body != update.body:
            key = f"edit:{after.id}:{update.id}:{short_digest(update.body)}"
            yield _incident_event(source, after, "edited", key, update)


def _vanished(source: _Source, incident: Incident) -> Iterator[Event]:
    """An ongoing incident that left a list of ongoing incidents: it ended."""
    if not incident.is_final:
        final = "completed" if incident.kind == "maintenance" else "resolved"
        ended = incident.model_copy(update={"status": final})
        yield _incident_event(source, ended, "resolved", f"phase:{incident.id}:{final}", None)


def _latest_before(incident: Incident, update: Update) -> Update | None:
    position = incident.updates.index(update)
    return incident.updates[position - 1] if position else None


def _repeats(previous: Update | None, update: Update) -> bool:
    """The same status and the same words as the update before: nothing new to say."""
    return (
        previous is not None
        and previous.status == update.status
        and " ".join(previous.body.split()).casefold() == " ".join(update.body.split()).casefold()
    )


def _transition(old: str | None, new: str) -> str:
    """The event verb for a phase moving from `old` to `new`."""
    if new in FINAL_STATUSES and old not in FINAL_STATUSES:
        return "resolved"
    return "updated" if new == old else "status"


def _incident_event(source: _Source, incident: Incident, verb: str, key: str, update: Update | None) -> Event:
    family = incident.kind
    if verb == "resolved" and family == "maintenance":
        verb = "completed"
    occurred = (update.created_at if update else None) or incident.updated_at or source.now
    return Event(
        id=event_id(source.provider, key),
        type=f"{family}.{verb}",  # type: ignore[arg-type]  # the verbs above make valid types
        key=key,
        provider=source.provider,
        provider_title=source.title,
        thread_key=f"{source.provider}:{family}:{incident.id}",
        impact=incident.impact if family == "incident" else "none",
        occurred_at=occurred,
        incident=incident,
        update=update,
        url=incident.url or source.page_url,
    )


def _component_change(source: _Source, before: Component | None, after: Component) -> Event | None:
    if before is None:
        return _component_event(source, None, after) if after.status != COMPONENT_OK else None
    if before.status == after.status:
        return None
    return _component_event(source, before.status, after)


def _component_event(source: _Source, old_status: str | None, component: Component) -> Event:
    key = f"comp:{component.id}:{component.status}"
    # The same key recurs each time the component re-enters a status, so the id adds the moment.
    occurrence = f"{key}:{old_status}:{source.now.isoformat()}"
    return Event(
        id=event_id(source.provider, occurrence),
        type="component.status",
        key=key,
        provider=source.provider,
        provider_title=source.title,
        thread_key=f"{source.provider}:component:{component.id}",
        impact=_worst(COMPONENT_IMPACT.get(old_status or "", "none"), COMPONENT_IMPACT.get(component.status, "minor")),
        occurred_at=source.now,
        component=component,
        old_status=old_status,
        new_status=component.status,
        url=source.page_url,
    )


def _worst(a: str, b: str) -> str:
    return max(a, b, key=IMPACTS.index)


def _incident_key(incident: Incident) -> str:
    return f"inc:{incident.id}"


def _update_key(incident: Incident, update: Update) -> str:
    return f"upd:{incident.id}:{update.id}"

