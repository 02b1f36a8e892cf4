"""The neutral message: what any destination shows for one event, before its own formatting.

Every notifier renders a `Message` with its own payload builder. Text here is untrusted page
text, not yet escaped: each destination neutralises it for its own markup. `mention` is the only
text that may ping anyone, and it comes from the channel's configuration, never from a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.model import COMPONENT_IMPACT, COMPONENT_OK, FINAL_STATUSES, IMPACTS, Event, Frozen
from bot.noise.summary import Summary, clock, duration, short, summarise
from bot.text import counted, readable
from bot.urls import is_web_link

# Colours (RGB) by what the reader must feel: over, planned, or how bad.
GREEN, BLUE, GREY, YELLOW, ORANGE, RED = 0x2EB67D, 0x439FE0, 0x9E9E9E, 0xECB22E, 0xE8912D, 0xE01E5A
IMPACT_COLOURS = {"none": GREY, "minor": YELLOW, "major": ORANGE, "critical": RED}

LABELS: dict[str, str] = {
    "incident.created": "New incident",
    "incident.updated": "Update",
    "incident.status": "Status change",
    "incident.edited": "Update edited",
    "incident.resolved": "Resolved",
    "maintenance.created": "Maintenance scheduled",
    "maintenance.updated": "Maintenance update",
    "maintenance.status": "Maintenance status",
    "maintenance.edited": "Maintenance update edited",
    "maintenance.completed": "Maintenance completed",
    "component.status": "Component status",
    "provider.summary": "More changes",
    "incident.reminder": "Reminder",
    "digest": "Digest",
}


class Message(Frozen):
    event: Event
    label: str  # what happened: "New incident", "Resolved", ...
    title: str  # the incident's title, or the component's name
    phase: str  # the status this event announces, readable: "Identified", "Partial outage"
    current_phase: str  # the thread's status now: what an edited first message shows
    text: str  # the update's body, or a description of the change
    impact: str
    colour: int  # of this event
    current_colour: int  # of the thread as it stands now
    url: str = ""
    components: tuple[str, ...] = ()
    final: bool = False  # this event ends the thread (resolved, completed, back to operational)
    mention: str | None = None  # the channel's own ping, when its rule applies to this event
    changes: tuple[str, ...] = ()  # a grouped message: one line per related event ("API: Operational → Major outage")
    age: str = ""  # a reminder: how long the incident has been open ("4h 12m")
    summary: Summary | None = None  # a digest: what its `text` says, per provider

    @property
    def headline(self) -> str:
        """'Acme: Elevated errors'; a digest's title alone (it may span providers)."""
        if self.summary is not None or not self.event.provider_title:
            return self.title
        return f"{self.event.provider_title}: {self.title}"


def compose(event: Event, mention: str | None = None) -> Message:
    """The neutral message for `event`; `mention` as the channel decided for it."""
    if event.type == "provider.summary":
        return _summary_message(event, mention)
    if event.type == "digest":
        return _digest_message(event, mention)
    if event.type == "incident.reminder":
        return _reminder_message(event, mention)
    if event.component is not None:
        message = _component_message(event, mention)
    else:
        message = _incident_message(event, mention)
    return _grouped(message) if event.related else message


def lines_within(lines: Sequence[str], limit: int) -> list[str]:
    """The first of `lines` that fit in `limit` characters, one newline between them, and when
    some are left, a last line that says how many ('… and 3 more') and fits too. Lines are taken
    whole: a destination cuts a long one (and escapes it) first."""
    if sum(map(len, lines)) + len(lines) - 1 <= limit:
        return list(lines)
    kept: list[str] = []
    used = -1  # no newline before the first line
    for line in lines:
        left = len(lines) - len(kept) - 1  # after this one
        if used + 1 + len(line) + len(f"\n… and {left} more") > limit:
            break
        kept.append(line)
        used += 1 + len(line)
    more = f"… and {len(lines) - len(kept)} more"
    return [*kept, more] if used + 1 + len(more) <= limit else kept


def change_line(event: Event) -> str:
    """One event of a group as one line: 'API: Operational → Partial outage', 'Title: Identified'."""
    if event.component is not None:
        return f"{short(event.component.name)}: {_transition(event)}"
    if event.incident is not None:
        return f"{short(event.incident.title)}: {short(readable(event.status))}"
    return LABELS[event.type]


def _incident_message(event: Event, mention: str | None) -> Message:
    incident = event.incident
    assert incident is not None, "an incident or maintenance event carries its incident"
    final = event.type in ("incident.resolved", "maintenance.completed") or (
        event.status in FINAL_STATUSES and event.type != "incident.edited"
    )
    maintenance = incident.kind == "maintenance"
    body = event.update.body.strip() if event.update else ""
    return Message(
        event=event,
        label=LABELS[event.type],
        title=incident.title,
        phase=readable(event.status),
        current_phase=readable(incident.status),
        text=body or f"{readable(event.status)}.",
        impact=incident.impact,
        colour=_colour(event.status, incident.impact, maintenance),
        current_colour=_colour(incident.status, incident.impact, maintenance),
        url=event.url or incident.url,
        components=incident.component_names,
        final=final,
        mention=mention,
    )


def _component_message(event: Event, mention: str | None) -> Message:
    component = event.component
    assert component is not None
    now = readable(component.status)
    colour = _colour(component.status, COMPONENT_IMPACT.get(component.status, "minor"), False)
    return _as_it_stands(event, mention, component.name, now, _transition(event), event.impact, colour,
                         url=event.url, components=(component.name,), final=component.status == COMPONENT_OK)


def _transition(event: Event) -> str:
    """'Operational → Partial outage', and for a held change 'since 14:02 UTC'."""
    assert event.component is not None
    now = short(readable(event.new_status or event.component.status))
    text = f"{short(readable(event.old_status))} → {now}" if event.old_status else now
    if event.since is not None:
        text += f" since {clock(event.since, event.occurred_at)}"
    return text


def _grouped(message: Message) -> Message:
    """The primary event's message, telling its related events too. Component changes alone:
    the title counts them, the text is the first one's line, and the message is as bad as the
    worst of them (and over only when all are back)."""
    event = message.event
    changes = tuple(change_line(related) for related in event.related)
    if event.component is None:
        return message.model_copy(update={"changes": changes})
    group = (event, *event.related)
    others = len(event.related)
    noun = "component" if all(e.component is not None for e in event.related) else "change"
    impact = worst_impact(e.impact for e in group)
    final = all(e.component is None or e.component.status == COMPONENT_OK for e in group)
    colour = GREEN if final else IMPACT_COLOURS.get(impact, GREY)
    return message.model_copy(update={
        "title": f"{message.title} and {counted(others, f'more {noun}')}",
        "text": change_line(event),
        "changes": changes,
        "impact": impact,
        "colour": colour,
        "current_colour": colour,
        "components": (),  # the lines name them
        "final": final,
    })


def _reminder_message(event: Event, mention: str | None) -> Message:
    """'Still identified after 4h 12m.': the incident as it stands, and how long it has been open."""
    incident = event.incident
    assert incident is not None, "a reminder carries its incident"
    phase = readable(incident.status)
    age = duration((event.occurred_at - event.since).total_seconds()) if event.since and event.occurred_at else ""
    text = f"Still {phase.lower()} after {age}." if age else f"Still {phase.lower()}."
    colour = _colour(incident.status, incident.impact, incident.kind == "maintenance")
    return _as_it_stands(event, mention, incident.title, phase, text, incident.impact, colour,
                         url=event.url or incident.url, components=incident.component_names, age=age)


def _digest_message(event: Event, mention: str | None) -> Message:
    """'Digest: 2 incidents, 3 component changes', the period (in UTC), and the summary per
    provider. Green when nothing is still wrong
    at the period's end, else the colour of its worst event's impact."""
    summary = summarise(event.related, event.since, event.occurred_at)
    colour = IMPACT_COLOURS.get(event.impact, GREY) if summary.still_open else GREEN
    phase = "Still ongoing" if summary.still_open else "All resolved"
    text = f"{summary.period}\n\n{summary.text}" if summary.period else summary.text
    return _as_it_stands(event, mention, f"Digest: {summary.counts}", phase, text, event.impact, colour,
                         url=event.url, summary=summary)


def worst_impact(impacts: Iterable[str]) -> str:
    """The highest of `impacts` (an unknown one counts as none); "none" when there are none."""
    return max(impacts, key=lambda impact: IMPACTS.index(impact) if impact in IMPACTS else 0, default="none")


def _summary_message(event: Event, mention: str | None) -> Message:
    """'Acme: 37 more changes', saying why they were not sent and where to read them."""
    count = counted(event.summarised, "more change")
    where = f"the status page: {event.url}" if is_web_link(event.url) else "the provider's status page."
    colour = IMPACT_COLOURS.get(event.impact, GREY)  # of the worst change it counts
    text = (f"{count} on {event.provider_title} in one poll were not announced one by one, so that one "
            f"busy page does not bury news from the others. See them on {where}")
    return _as_it_stands(event, mention, count, "Summary", text, event.impact, colour, url=event.url)


def _as_it_stands(event: Event, mention: str | None, title: str, phase: str, text: str, impact: str, colour: int,
                  **extra: Any) -> Message:
    """A message whose thread stands in the phase it announces (a component, a reminder, a summary)."""
    return Message(event=event, label=LABELS[event.type], title=title, phase=phase, current_phase=phase, text=text,
                   impact=impact, colour=colour, current_colour=colour, mention=mention, **extra)


def _colour(status: str, impact: str, maintenance: bool) -> int:
    if status in FINAL_STATUSES or status == COMPONENT_OK:
        return GREEN
    if maintenance or status == "under_maintenance":
        return BLUE
    return IMPACT_COLOURS.get(impact, GREY)
