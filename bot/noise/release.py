"""Release: what becomes of a channel's waiting events once they are due, and of its reminders.

- A flap hold ends: a component back where it was before the hold is suppressed; otherwise its
  changes are one message that says when the change began. A held incident that was resolved
  within the hold is suppressed; otherwise its updates go out as they came.
- Quiet hours end, or a digest period: what waited goes out as one digest (with
  `quiet_drop_resolved`, leaving out the threads of the quiet hours that are over; nothing at all
  when nothing is left).
Pure, like admission: the store calls these inside the transaction that writes their decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.model import IMPACTS, Event, Incident, event_id, ids_digest
from bot.noise.admit import quiet_end, quiet_wait
from bot.noise.group import Ties, group
from bot.noise.rows import Decision, Reminder, Waiting, ends_thread
from bot.noise.settings import NoiseSettings


def release(settings: NoiseSettings, due: Sequence[Waiting], now: float, tied: Ties) -> Decision:
    """The channel's decision on its `due` rows (in the order they were kept back) at `now`."""
    decision = Decision()
    quiet = quiet_end(settings, now)
    held: dict[str, list[Waiting]] = {}
    for row in due:
        if row.reason == "hold":
            held.setdefault(row.event.thread_key, []).append(row)
    send: list[Event] = []
    for rows in held.values():
        events = _settle(rows)
        if not events:
            decision.counts["suppressed"] += len(rows)
        for event in events:
            wait = quiet_wait(settings, event, now, quiet)
            if wait is None:
                send.append(event)
            else:
                decision.wait.append(wait)
                decision.counts["deferred"] += 1
    decision.send = group(send, tied) if settings.group else send
    told = [row for row in due if row.reason != "hold"]
    if settings.quiet_drop_resolved:
        over = {row.event.thread_key for row in told if row.reason == "quiet" and ends_thread(row.event)}
        dropped = [row for row in told if row.reason == "quiet" and row.event.thread_key in over]
        decision.counts["suppressed"] += len(dropped)
        told = [row for row in told if row not in dropped]
    if told:
        decision.send.append(digest([row.event for row in told], min(row.created_at for row in told), now))
        decision.counts["digested"] += len(told)
    return decision


def _settle(rows: Sequence[Waiting]) -> list[Event]:
    """What a thread's ended hold sends."""
    first, last = rows[0].event, rows[-1].event
    if last.component is None:  # an incident held for its low impact
        return [] if ends_thread(last) else [row.event for row in rows]
    if last.new_status == first.old_status:  # flapped back
        return []
    return [last.model_copy(update={
        "id": event_id(last.provider, f"held:{ids_digest(row.event.id for row in rows)}"),
        "old_status": first.old_status,
        "since": first.occurred_at or _moment(rows[0].created_at),
    })]


def digest(events: Sequence[Event], since: float, now: float) -> Event:
    """One event telling `events`, which waited from `since` until `now`. A digest is a channel's,
    so it names a provider only when all its events are of one."""
    providers = {(event.provider, event.provider_title) for event in events}
    provider, title = providers.pop() if len(providers) == 1 else ("", "")
    key = f"digest:{ids_digest(event.id for event in events)}"
    return Event(
        id=event_id(provider, key),
        type="digest",
        key=key,
        provider=provider,
        provider_title=title,
        thread_key=key,
        impact=max((event.impact for event in events), key=IMPACTS.index),
        occurred_at=_moment(now),
        since=_moment(since),
        related=tuple(events),
    )


def remind(settings: NoiseSettings, reminder: Reminder, incident: Incident | None, now: float) -> Decision:
    """A reminder that fell due: of an incident the page still shows open, unless quiet hours keep
    it back (it then falls due when they end); an incident that is over or gone is forgotten."""
    decision = Decision()
    thread = reminder.thread_key
    if incident is None or incident.is_final or settings.remind_every is None:
        decision.forget.append(thread)
        return decision
    latest = reminder.event.model_copy(update={"incident": incident, "impact": incident.impact})
    quiet = quiet_end(settings, now)
    wait = quiet_wait(settings, latest, now, quiet)
    if wait is not None:
        decision.remind.append(Reminder(thread, wait.due_at, latest))
        return decision
    decision.remind.append(Reminder(thread, now + settings.remind_every, latest))
    key = f"reminder:{incident.id}:{round(now)}"
    decision.send.append(Event(
        id=event_id(latest.provider, key),
        type="incident.reminder",
        key=key,
        provider=latest.provider,
        provider_title=latest.provider_title,
        thread_key=thread,
        impact=incident.impact,
        occurred_at=_moment(now),
        incident=incident,
        url=latest.url,
        since=incident.created_at or latest.occurred_at,
        reply=True,
    ))
    return decision


def _moment(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC)
