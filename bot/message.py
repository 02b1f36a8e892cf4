"""The neutral message: what any destination shows for one event, before its own formatting.

Every notifier renders a `Message` with its own payload builder. Text here is untrusted page
text, not yet escaped: each destination neutralises it for its own markup. `mention` is the only
text that may ping anyone, and it comes from the channel's configuration, never from a page.
"""

from __future__ import annotations

from bot.model import COMPONENT_IMPACT, COMPONENT_OK, FINAL_STATUSES, Event, Frozen
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

    @property
    def headline(self) -> str:
        return f"{self.event.provider_title}: {self.title}"


def compose(event: Event, mention: str | None = None) -> Message:
    """The neutral message for `event`; `mention` as the channel decided for it."""
    if event.type == "provider.summary":
        return _summary_message(event, mention)
    if event.component is not None:
        return _component_message(event, mention)
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
    text = f"{readable(event.old_status)} → {now}" if event.old_status else now
    colour = _colour(component.status, COMPONENT_IMPACT.get(component.status, "minor"), False)
    return Message(
        event=event,
        label=LABELS[event.type],
        title=component.name,
        phase=now,
        current_phase=now,
        text=text,
        impact=event.impact,
        colour=colour,
        current_colour=colour,
        url=event.url,
        components=(component.name,),
        final=component.status == COMPONENT_OK,
        mention=mention,
    )


def _summary_message(event: Event, mention: str | None) -> Message:
    """'Acme: 37 more changes', saying why they were not sent and where to read them."""
    count = f"{event.summarised} more change{'' if event.summarised == 1 else 's'}"
    where = f"the status page: {event.url}" if is_web_link(event.url) else "the provider's status page."
    colour = IMPACT_COLOURS.get(event.impact, GREY)  # of the worst change it counts
    return Message(
        event=event,
        label=LABELS[event.type],
        title=count,
        phase="Summary",
        current_phase="Summary",
        text=f"{count} on {event.provider_title} in one poll were not announced one by one, so that one "
             f"busy page does not bury news from the others. See them on {where}",
        impact=event.impact,
        colour=colour,
        current_colour=colour,
        url=event.url,
        mention=mention,
    )


def _colour(status: str, impact: str, maintenance: bool) -> int:
    if status in FINAL_STATUSES or status == COMPONENT_OK:
        return GREEN
    if maintenance or status == "under_maintenance":
        return BLUE
    return IMPACT_COLOURS.get(impact, GREY)


def readable(status: str | None) -> str:
    """`partial_outage` -> `Partial outage`."""
    return (status or "unknown").replace("_", " ").capitalize()
