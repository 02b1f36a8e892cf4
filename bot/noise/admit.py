"""Admission: what a channel does with the events one poll routed to it, by its noise settings.

One pure rule per setting, applied in this order to each event:
1. `mode = "digest"`: every event waits for the end of its digest period.
2. Flap hold: a component change (and with `hold_incidents_below`, an incident of lower impact)
   waits `hold`; a later change of a thread already held joins its hold. An incident that
   reaches the threshold while held goes out at once, after what was held of it.
3. Quiet hours: an event below `quiet_min_impact` waits for their end; at or above it, it goes
   out at once (a critical outage never waits), after what its thread kept back.
4. Reminders: an open incident's latest event (re)starts its reminder; its end stops it.
What goes out is then grouped (`bot.noise.group`) when the channel groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.model import IMPACTS, Event
from bot.noise.calendar import next_digest, quiet_until
from bot.noise.group import Ties, group
from bot.noise.rows import Decision, Reason, Reminder, Waiting, ends_thread
from bot.noise.settings import NoiseSettings

# For each thread of the channel with waiting rows: when each reason's rows are due.
Kept = Mapping[str, Mapping[Reason, float]]


def admit(settings: NoiseSettings, events: Sequence[Event], now: float, kept: Kept, tied: Ties) -> Decision:
    """The channel's decision on `events` (routed to it by one poll, in order) at unix time `now`,
    with `kept` what its threads keep back already."""
    decision = Decision()
    holds = {thread: reasons["hold"] for thread, reasons in kept.items() if "hold" in reasons}
    stored = {thread for thread, reasons in kept.items() if set(reasons) - {"digest"}}  # rows to flush
    waits: list[Waiting] = []  # this poll's
    send: list[Event] = []
    quiet = quiet_end(settings, now)
    for event in events:
        _remember(settings, event, now, decision)
        thread = event.thread_key
        wait = _wait(settings, event, now, holds, quiet)
        if wait is not None:
            if wait.reason == "hold":
                holds.setdefault(thread, wait.due_at)
            waits.append(wait)
            continue
        if thread in stored:  # what the thread kept back goes out first, in order
            decision.flush.append(thread)
            stored.discard(thread)
        send += [waiting.event for waiting in waits if waiting.event.thread_key == thread]
        send.append(event)
        waits = [waiting for waiting in waits if waiting.event.thread_key != thread]
    decision.wait = waits
    decision.send = group(send, tied) if settings.group else send
    for waiting in decision.wait:
        decision.counts["held" if waiting.reason == "hold" else "deferred"] += 1
    return decision


def _wait(settings: NoiseSettings, event: Event, now: float, holds: Mapping[str, float],
          quiet_ends: float | None) -> Waiting | None:
    """How `event` waits, or None when it goes out now."""
    if settings.mode == "digest":
        due = next_digest(now, settings.digest_every, settings.digest_at, settings.timezone)
        return Waiting("digest", due, event, now)
    held = holds.get(event.thread_key)
    if held is not None and (event.component is not None or holdable(settings, event)):
        return Waiting("hold", held, event, now)
    if settings.hold is not None and holdable(settings, event):
        return Waiting("hold", now + settings.hold, event, now)
    return quiet_wait(settings, event, now, quiet_ends)


def quiet_end(settings: NoiseSettings, now: float) -> float | None:
    """When the channel's quiet hours that `now` is in end; None outside them, or without any."""
    return quiet_until(now, settings.quiet_hours, settings.timezone) if settings.quiet_hours else None


def quiet_wait(settings: NoiseSettings, event: Event, now: float, quiet_ends: float | None) -> Waiting | None:
    """Quiet hours (ending at `quiet_ends`) keep `event` back if it is below the channel's bar."""
    if quiet_ends is None or IMPACTS.index(event.impact) >= IMPACTS.index(settings.quiet_min_impact):
        return None
    return Waiting("quiet", quiet_ends, event, now)


def holdable(settings: NoiseSettings, event: Event) -> bool:
    """Whether a flap hold applies: component changes, and incidents below `hold_incidents_below`."""
    if event.component is not None:
        return True
    return event.family == "incident" and IMPACTS.index(event.impact) < IMPACTS.index(settings.hold_incidents_below)


def _remember(settings: NoiseSettings, event: Event, now: float, decision: Decision) -> None:
    """An incident's change (re)starts its reminder; its end stops it. A digest channel hears of
    nothing between digests, so it gets no reminders."""
    if settings.remind_every is None or settings.mode == "digest":
        return
    if event.family != "incident" or event.incident is None or event.type == "incident.reminder":
        return
    if ends_thread(event):
        decision.forget.append(event.thread_key)
    else:
        decision.remind.append(Reminder(event.thread_key, now + settings.remind_every, event))
