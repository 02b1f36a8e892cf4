"""A channel's noise-control settings, resolved from its table (see `bot.config`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo

UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class QuietHours:
    """A daily window of local wall-clock time; `start` > `end` crosses midnight ("22:00-07:00")."""

    start: time
    end: time


@dataclass(frozen=True)
class NoiseSettings:
    """Everything off but grouping, as a channel that sets no noise key. Durations are seconds."""

    hold: float | None = None  # flap hold of component changes
    hold_incidents_below: str = "none"  # incidents of lower impact are held too ("none": none are)
    group: bool = True  # one message for a poll's changes (the destination's default when unset)
    quiet_hours: QuietHours | None = None
    timezone: ZoneInfo = UTC_ZONE  # of quiet_hours and digest_at
    quiet_min_impact: str = "major"  # at or above it, an event goes out during quiet hours
    quiet_drop_resolved: bool = False  # a quiet-hours digest leaves out what has already resolved
    mode: Literal["each", "digest"] = "each"
    digest_every: float = 86400.0
    digest_at: time | None = None  # where periods start, in `timezone`; None: midnight
    remind_every: float | None = None
