"""Wall-clock arithmetic of noise control: when quiet hours end, when a digest period ends.

Pure functions of a unix time `now`; no clock of their own. Days are crossed by building the local
date-time from the date and the zone, never by adding 24 hours of seconds, so a period that starts
at 09:00 starts at 09:00 on both sides of a daylight-saving change.

A local time is placed on the time line as zoneinfo places it with fold=0: a time the clock shows
twice (when clocks go back) is its first occurrence; a time the clock skips (when clocks go
forward) is read with the offset from before the change, which lands as far after the gap as it
was written into it (02:30 in Europe/Berlin on the spring-forward day is 03:30 summer time).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.noise.settings import QuietHours

DAY = 86400
_EPOCH_DAY = date(1970, 1, 1)  # whole-day digest periods count days from here, so restarts agree
_MIDNIGHT = time(0, 0)


def instant(day: date, at: time, zone: ZoneInfo) -> float:
    """The unix time the clock in `zone` shows `at` on `day` (fold=0, see above)."""
    return datetime.combine(day, at, tzinfo=zone).timestamp()


def quiet_until(now: float, window: QuietHours, zone: ZoneInfo) -> float | None:
    """When the quiet window `now` is in ends; None when `now` is outside the window.

    A day's window runs from its start to its end as instants (the next day's end when it crosses
    midnight), so an hour the clock repeats does not switch quiet hours off and on again.
    """
    today = datetime.fromtimestamp(now, zone).date()
    crosses = window.start > window.end
    for day in (today - timedelta(days=1), today):
        start = instant(day, window.start, zone)
        end = instant(day + timedelta(days=1) if crosses else day, window.end, zone)
        if start <= now < end:
            return end
    return None


def next_digest(now: float, every: float, at: time | None, zone: ZoneInfo) -> float:
    """The end of the digest period `now` is in: the first period boundary strictly after `now`.

    Periods start at `at` (midnight when None) in `zone`. Whole days (`every` of N days): at `at`
    on every N-th day counted from 1970-01-01. Under a day: at `at` each day and then every `every`
    seconds of elapsed time, until the next day's `at` starts afresh (the day's last period may
    be shorter).
    """
    if every <= 0:
        raise ValueError("a digest period must be longer than 0s")
    at = _MIDNIGHT if at is None else at
    today = datetime.fromtimestamp(now, zone).date()
    if every >= DAY:
        return _next_whole_day(now, every, at, zone, today)
    day = today  # the last day whose period start is not after `now`
    while (start := instant(day, at, zone)) > now:
        day -= timedelta(days=1)
    next_start = instant(day + timedelta(days=1), at, zone)
    return min(start + ((now - start) // every + 1) * every, next_start)


def _next_whole_day(now: float, every: float, at: time, zone: ZoneInfo, today: date) -> float:
    days = round(every / DAY)
    if days * DAY != every:
        raise ValueError("a digest period of a day or more must be whole days")
    # The last boundary day on or before yesterday, then forward a period at a time.
    day = today - timedelta(days=1)
    day -= timedelta(days=(day - _EPOCH_DAY).days % days)
    while (boundary := instant(day, at, zone)) <= now:
        day += timedelta(days=days)
    return boundary
