"""How noise-control values are written in a channel table, both ways: durations ("1h30m"), times
of day ("09:00", or "09:00:30" for periods of a few seconds), daily windows ("22:00-07:00") and time zones, read into what `NoiseSettings`
holds and printed back as a person writes them (`statusbot check`).

The readers raise ValueError with the problem only; `bot.config` puts the key path in front.
Durations are pydantic types; times and zones are read by `bot.config` itself (see ChannelTable).
"""

from __future__ import annotations

import difflib
import re
from datetime import time
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BeforeValidator

from bot.noise.calendar import DAY
from bot.noise.settings import QuietHours

# Beyond a year no setting makes sense, and the calendar's date arithmetic stays far from year 9999.
MAX_DURATION = 365 * DAY

_UNITS = (("d", DAY), ("h", 3600), ("m", 60), ("s", 1))
_DURATION = re.compile("".join(rf"(?:(\d{{1,9}}){unit})?" for unit, _ in _UNITS))
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")  # seconds: for windows of a few seconds
_DURATION_PROBLEM = 'must be a duration like "30s", "5m", "2h" or "1d"'


def parse_duration(value: Any) -> float:
    """Seconds from "30s", "5m", "2h", "1d" or a combination in that order ("1h30m")."""
    match = _DURATION.fullmatch(value) if isinstance(value, str) and value else None
    if match is None:
        raise ValueError(_DURATION_PROBLEM)
    seconds = sum(int(count) * size for count, (_, size) in zip(match.groups(), _UNITS) if count)
    if seconds <= 0:
        raise ValueError(f"{_DURATION_PROBLEM}, longer than 0s")
    if seconds > MAX_DURATION:
        raise ValueError("must be at most 365d")
    return float(seconds)


def parse_period(value: Any) -> float:
    """A duration that divides the calendar: under a day, or whole days (so periods start at one time of day)."""
    seconds = parse_duration(value)
    if seconds > DAY and seconds % DAY:
        raise ValueError('must be under a day or whole days, like "4h", "1d" or "2d"')
    return seconds


def parse_clock(value: Any) -> time:
    """A time of day, "09:00" or "09:00:30" (24-hour clock)."""
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    hour, minute, second = (int(part or 0) for part in match.groups()) if match else (24, 60, 60)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError('must be a time like "09:00"')
    return time(hour, minute, second)


def parse_window(value: Any) -> QuietHours:
    """A daily window, "22:00-07:00"; a start after the end crosses midnight."""
    try:
        start, end = (parse_clock(part.strip()) for part in value.split("-"))
    except (ValueError, AttributeError):
        raise ValueError('must be a time range like "22:00-07:00"') from None
    if start == end:
        raise ValueError('must start and end at different times, like "22:00-07:00"')
    return QuietHours(start, end)


# In the zone directory, but the machine's setting rather than a zone: a host or an image may change it.
_NOT_ZONES = frozenset({"localtime"})


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` ("Europe/Berlin"). The message of the ValueError names `name`."""
    if name not in _NOT_ZONES:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    close = difflib.get_close_matches(name, available_timezones() - _NOT_ZONES, n=1)
    hint = f'; did you mean {close[0]!r}?' if close else ' (an IANA name, like "Europe/Berlin" or "UTC")'
    raise ValueError(f"unknown time zone {name!r}{hint}")


Duration = Annotated[float, BeforeValidator(parse_duration)]
Period = Annotated[float, BeforeValidator(parse_period)]


def show_duration(seconds: float) -> str:
    """As a person writes it: 300 -> "5m", 5400 -> "1h30m"."""
    left, parts = round(seconds), []
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def show_clock(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def show_window(window: QuietHours) -> str:
    return f"{show_clock(window.start)}-{show_clock(window.end)}"
