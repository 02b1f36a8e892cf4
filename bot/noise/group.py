"""Grouping: the changes one poll of one provider detects reach a chat channel as few messages.

- A component change that an incident of the same poll names rides in that incident's message.
- A component change that an open incident names (the page links them) is a reply in that
  incident's thread, several of them one reply.
- Other component changes of one provider that come together are one message, in a thread of its own.

Pure: events in, the messages' events out (each carrying the changes it tells in `related`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.model import Event, Incident, Snapshot, event_id, ids_digest

Ties = Mapping[str, str]  # a component's thread key -> the thread key of the open incident naming it


def ties(provider: str, snapshot: Snapshot) -> dict[str, str]:
    """For each component an open incident names (by id or name), that incident's thread; the most
    recently begun incident where several name one."""
    by_alias = {alias: component.id for component in snapshot.components.values()
                for alias in (component.id, component.name)}
    tied: dict[str, str] = {}
    for incident in sorted(_open_incidents(snapshot), key=_began):
        for ref in (*incident.component_ids, *incident.component_names):
            if ref in by_alias:
                tied[f"{provider}:component:{by_alias[ref]}"] = f"{provider}:incident:{incident.id}"
    return tied


def group(events: Sequence[Event], tied: Ties) -> list[Event]:
    """`events` (one channel's, in order: one poll's, or the holds that ended together) as the
    events of the messages that tell them."""
    primaries = [event for event in events if event.component is None]
    riders: dict[str, list[Event]] = {}  # an incident event's id -> component changes in its message
    replies: dict[str, list[Event]] = {}  # an open incident's thread -> component changes replying in it
    loose: dict[str, list[Event]] = {}  # by provider: changes that came together, in one message
    for event in events:
        if event.component is None:
            continue
        carrier = next((p for p in primaries if p.provider == event.provider and _names(p, event)), None)
        if carrier is not None:
            riders.setdefault(carrier.id, []).append(event)
        elif event.thread_key in tied:
            replies.setdefault(tied[event.thread_key], []).append(event)
        else:
            loose.setdefault(event.provider, []).append(event)
    messages: list[Event] = []
    for event in events:  # each message goes where its first change was
        if event.component is None:
            messages.append(_with(event, riders.get(event.id, ())))
        elif loose.get(event.provider, [None])[0] is event:
            messages.append(_together(loose[event.provider]))
        elif (thread := tied.get(event.thread_key)) and replies.get(thread, [None])[0] is event:
            first, *rest = replies[thread]
            messages.append(_with(first, rest).model_copy(update={"thread_key": thread, "reply": True}))
    return messages


def _with(event: Event, related: Sequence[Event]) -> Event:
    return event.model_copy(update={"related": tuple(related)}) if related else event


def _together(changes: Sequence[Event]) -> Event:
    """Several components changing in one poll: one message in a thread of its own (a later change
    of one of them is not an edit of a message that tells of the others)."""
    if len(changes) == 1:
        return changes[0]
    first = changes[0]
    digest = ids_digest(change.id for change in changes)
    return first.model_copy(update={
        "id": event_id(first.provider, f"group:{digest}"),
        "thread_key": f"{first.provider}:components:{digest}",
        "related": tuple(changes[1:]),
    })


def _names(event: Event, change: Event) -> bool:
    """Whether the incident of `event` names the component of `change`."""
    component, incident = change.component, event.incident
    if component is None or incident is None:
        return False
    refs = {*incident.component_ids, *incident.component_names}
    return component.id in refs or component.name in refs


def _open_incidents(snapshot: Snapshot) -> list[Incident]:
    return [i for i in snapshot.incidents.values() if i.kind == "incident" and not i.is_final]


def _began(incident: Incident) -> str:
    return incident.created_at.isoformat() if incident.created_at else ""
