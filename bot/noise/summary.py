"""What a digest says: per provider, the incidents of its period (resolved with how long they
lasted, or still open in their phase), its maintenances in brief, and each component's downtime.

Pure: the digest's events (in the order they were detected) and the period in, lines out.
Page text is not escaped here; each notifier neutralises it for its own markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.model import COMPONENT_OK, Event, Frozen
from bot.text import as_utc, counted, readable, truncate

# A name or a title in one line of a digest or of a group: a line stays a line, whatever a page holds.
MAX_NAME = 200


class ProviderSummary(Frozen):
    provider: str  # the provider's display name
    lines: tuple[str, ...]


class Summary(Frozen):
    since: datetime | None  # the period's start and end
    until: datetime | None
    providers: tuple[ProviderSummary, ...]
    incidents: int  # distinct incidents the period's events tell of
    maintenances: int
    component_changes: int
    other: int  # events of no incident and no component (a provider.summary's count of changes)
    still_open: bool  # an incident still open, or a component still not operational, at the end

    @property
    def counts(self) -> str:
        """'2 incidents, 3 component changes'."""
        parts = [_plural(self.incidents, "incident"), _plural(self.maintenances, "maintenance"),
                 _plural(self.component_changes, "component change"), _plural(self.other, "other change")]
        return ", ".join(part for part in parts if part) or "no changes"

    @property
    def period(self) -> str:
        """'From 24 Feb 09:00 to 25 Feb 09:00 UTC' ('to 10:00 UTC' on the same day); '' when the
        end is unknown. UTC: a message does not know the channel's zone."""
        if self.until is None:
            return ""
        if self.since is None:
            return f"Until {clock(self.until, None)}"
        return f"From {as_utc(self.since).strftime('%d %b %H:%M')} to {clock(self.until, self.since)}"

    @property
    def text(self) -> str:
        """Each provider's name, then its lines, a blank line between providers."""
        return "\n\n".join("\n".join((p.provider, *p.lines)) for p in self.providers)


def summarise(events: Sequence[Event], since: datetime | None, until: datetime | None) -> Summary:
    """The digest of `events` for the period from `since` to `until` (either unknown: None)."""
    by_provider: dict[str, list[Event]] = {}
    for event in events:
        by_provider.setdefault(event.provider, []).append(event)
    providers = []
    still_open = False
    for provider_events in by_provider.values():
        lines, open_here = _provider_lines(provider_events, since, until)
        still_open = still_open or open_here
        first = provider_events[0]
        providers.append(ProviderSummary(provider=short(first.provider_title or first.provider), lines=tuple(lines)))
    stories = {(e.provider, e.incident.kind, e.incident.id) for e in events if e.incident and e.component is None}
    return Summary(
        since=since,
        until=until,
        providers=tuple(providers),
        incidents=sum(1 for story in stories if story[1] == "incident"),
        maintenances=sum(1 for story in stories if story[1] == "maintenance"),
        component_changes=sum(1 for e in events if e.component is not None),
        other=sum(e.summarised for e in events if e.type == "provider.summary"),
        still_open=still_open,
    )


def clock(moment: datetime, reference: datetime | None) -> str:
    """'14:02 UTC', with the day ('24 Feb 14:02 UTC') when it is not the day of `reference`."""
    moment = as_utc(moment)
    same_day = reference is not None and as_utc(reference).date() == moment.date()
    return moment.strftime("%H:%M UTC" if same_day else "%d %b %H:%M UTC")


def short(name: str) -> str:
    """A page's name or title as a line shows it: at most MAX_NAME characters."""
    return truncate(name, MAX_NAME)


def duration(seconds: float) -> str:
    """'1h 12m', '3d 2h', '12m', '45s': the two largest units, rounded down."""
    whole = max(int(seconds), 0)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    units = [(days, "d"), (hours, "h"), (minutes, "m")] if whole >= 60 else [(secs, "s")]
    while len(units) > 1 and units[0][0] == 0:
        units.pop(0)
    shown = units[:2]
    if len(shown) == 2 and shown[1][0] == 0:
        shown = shown[:1]
    return " ".join(f"{amount}{unit}" for amount, unit in shown)


def _provider_lines(events: Sequence[Event], since: datetime | None, until: datetime | None) -> tuple[list[str], bool]:
    stories: dict[tuple[str, str], list[Event]] = {}  # (kind, incident id) -> its events
    components: dict[str, list[Event]] = {}  # component id -> its changes
    skipped = 0
    for event in events:
        if event.component is not None:
            components.setdefault(event.component.id, []).append(event)
        elif event.incident is not None:
            stories.setdefault((event.incident.kind, event.incident.id), []).append(event)
        else:
            skipped += event.summarised
    lines: list[str] = []
    still_open = False
    for (kind, _), story in stories.items():
        line, open_now = _incident_line(story) if kind == "incident" else (_maintenance_line(story), False)
        lines.append(line)
        still_open = still_open or open_now
    for changes in components.values():
        line, down_now = _component_line(changes, since, until)
        lines.append(line)
        still_open = still_open or down_now
    if skipped:
        lines.append(f"• {_plural(skipped, 'more change')} not listed one by one: see the status page")
    return lines, still_open


def _incident_line(story: Sequence[Event]) -> tuple[str, bool]:
    """'• Resolved after 1h 12m — title' or '• Still open (Identified) — title'; and whether open."""
    last = story[-1]
    incident = last.incident
    assert incident is not None
    if last.type == "incident.resolved" or incident.is_final:
        began = incident.created_at or story[0].occurred_at
        ended = last.occurred_at
        took = f" after {duration((ended - began).total_seconds())}" if began and ended else ""
        return f"• Resolved{took} — {short(incident.title)}", False
    return f"• Still open ({short(readable(incident.status))}) — {short(incident.title)}", True


def _maintenance_line(story: Sequence[Event]) -> str:
    incident = story[-1].incident
    assert incident is not None
    return f"• Maintenance {short(readable(incident.status)).lower()} — {short(incident.title)}"


def _component_line(changes: Sequence[Event], since: datetime | None, until: datetime | None) -> tuple[str, bool]:
    """'• API — not operational for 1h 12m, now Operational'; and whether it is still down."""
    last = changes[-1]
    component = last.component
    assert component is not None
    now = last.new_status or component.status
    down_now = now != COMPONENT_OK
    state = f"still {short(readable(now))}" if down_now else f"now {short(readable(now))}"
    downtime = _downtime(changes, since, until)
    if downtime is None:
        return f"• {short(component.name)} — {_plural(len(changes), 'change')}, {state}", down_now
    return f"• {short(component.name)} — not operational for {duration(downtime)}, {state}", down_now


def _downtime(changes: Sequence[Event], since: datetime | None, until: datetime | None) -> float | None:
    """Seconds a component was not operational within the period, from its changes; None when a
    time it needs is unknown. Down before its first change: from the period's start; still down
    after its last: to the period's end. A held change counts from when it began (`since`)."""
    first = changes[0]
    down_from = since if first.old_status not in (None, COMPONENT_OK) else None
    if down_from is None and first.old_status not in (None, COMPONENT_OK):
        return None
    total = 0.0
    for change in changes:
        at = change.since or change.occurred_at
        if at is None:
            return None
        down = (change.new_status or (change.component.status if change.component else "")) != COMPONENT_OK
        if down and down_from is None:
            down_from = at
        elif not down and down_from is not None:
            total += (at - down_from).total_seconds()
            down_from = None
    if down_from is not None:
        if until is None:
            return None
        total += (until - down_from).total_seconds()
    return total


def _plural(count: int, noun: str) -> str:
    return counted(count, noun) if count else ""
