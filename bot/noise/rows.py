"""What noise control keeps in the database, and what one of its decisions writes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from bot.model import COMPONENT_OK, Event

# Why a channel keeps an event back: a flap hold, quiet hours, or a digest channel's period.
Reason = Literal["hold", "quiet", "digest"]
REASONS: tuple[Reason, ...] = ("hold", "quiet", "digest")

# What noise control counts per channel (`/metrics`): events held, suppressed (a hold that flapped
# back, or a quiet digest's resolved threads dropped), deferred (quiet hours or a digest
# channel's period) and digested (sent within a digest).
Action = Literal["held", "suppressed", "deferred", "digested"]
ACTIONS: tuple[Action, ...] = ("held", "suppressed", "deferred", "digested")


@dataclass(frozen=True)
class Waiting:
    """An event a channel keeps back until `due_at` (unix seconds): a row of `waiting`."""

    reason: Reason
    due_at: float
    event: Event
    created_at: float  # when it was kept back


@dataclass(frozen=True)
class Reminder:
    """An open incident that a channel is reminded of at `due_at`: a row of `reminders`."""

    thread_key: str
    due_at: float
    event: Event  # the incident's latest event: its provider and id


@dataclass
class Decision:
    """What one channel's noise rules decided, for the store to write in the same transaction."""

    flush: list[str] = field(default_factory=list)  # threads whose waiting rows go out now, first
    send: list[Event] = field(default_factory=list)  # outbox rows, in order, after the flushed ones
    wait: list[Waiting] = field(default_factory=list)
    remind: list[Reminder] = field(default_factory=list)  # reminders set (or moved)
    forget: list[str] = field(default_factory=list)  # threads whose reminder ends
    counts: Counter[Action] = field(default_factory=Counter)


def ends_thread(event: Event) -> bool:
    """Whether `event` leaves its thread over: an incident resolved, a maintenance completed, a
    component back to operational."""
    if event.component is not None:
        return event.component.status == COMPONENT_OK
    return event.incident is not None and event.incident.is_final
