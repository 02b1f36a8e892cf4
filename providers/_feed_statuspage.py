"""The updates folded into one entry of a Statuspage `history.atom` / `history.rss` feed.

Each entry's HTML lists its updates newest first, as
`<p><small>Jul 9, 06:01 UTC</small><br><strong>Update</strong> - text</p>`. The label is the
phase ("Update" keeps the one before) and the date has no year: the year is the one that puts
the update latest at or before the entry's own `updated` time, which every update bumps.

Updates carry no id, so each gets one from what never changes: its time and its label (with a
counter for repeats). Not its text: GitHub rewrites a Resolved update with the root cause days
later, and that must read as an edit of the same update, not as a new one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple

from bot.model import Update
from bot.text import html_to_text, one_line
from providers._parse import Caps, clean, numbered

# One update's header; the body runs from its end to the next header. The date is short: a
# bound keeps a body full of unclosed `<small>` tags from costing quadratic time.
_HEADER = re.compile(
    r"<small\b[^>]*>(?P<when>.{0,300}?)</small>\s*(?:<br\s*/?>\s*)*"
    r"<strong\b[^>]*>(?P<label>[^<]{1,40})</strong>\s*(?:[-\u2013\u2014:]\s*)?",
    re.IGNORECASE | re.DOTALL,
)

# "Jul 9, 06:01 UTC": 24-hour clock, in the page's time zone.
_WHEN = re.compile(
    r"(?P<month>[A-Za-z]{3})[A-Za-z]*\.?\s+(?P<day>\d{1,2}),?\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s+(?P<zone>[A-Za-z]{1,5}))?\s*",
    re.ASCII,
)

# How far an update may seem to follow its entry's `updated`: a page in a zone we misread, or
# an update displayed a little ahead, must not land a whole year back.
_SKEW = timedelta(days=1)

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}

# Zones a Statuspage page may be set to and prints by abbreviation; an unknown one leaves the
# time unknown rather than wrong.
_ZONE_HOURS = {
    "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 1, "cet": 1, "cest": 2, "eet": 2, "eest": 3,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    "akst": -9, "akdt": -8, "hst": -10, "jst": 9, "kst": 9, "aest": 10, "aedt": 11,
}

# Labels as lower_snake statuses; any other label is kept as its own lower_snake form.
_LABELS = {
    "investigating": "investigating",
    "identified": "identified",
    "monitoring": "monitoring",
    "resolved": "resolved",
    "postmortem": "postmortem",
    "scheduled": "scheduled",
    "in progress": "in_progress",
    "verifying": "verifying",
    "completed": "completed",
}
_SAME_AS_BEFORE = "update"

_MAINTENANCE_STATUSES = frozenset({"scheduled", "in_progress", "verifying", "completed"})


class History(NamedTuple):
    """An entry's updates, oldest first, and whether they are those of a maintenance."""

    updates: tuple[Update, ...]
    maintenance: bool


class _Post(NamedTuple):
    when: str
    label: str
    body: slice  # where its text is in the entry's HTML


def has_updates(markup: str) -> bool:
    """Whether an entry's HTML is a Statuspage list of updates."""
    return _HEADER.search(markup) is not None


def read(markup: str, reference: datetime | None, caps: Caps) -> History:
    """The updates in an entry's HTML, the newest within the caps' limit; `reference` is the
    entry's `updated` time (UTC). Phases and ids come from all of them, so they stay put as the
    list grows; only the kept ones' texts are read."""
    posts = _posts(markup)
    labels = [post.label.casefold() for post in posts]
    maintenance = any(_LABELS.get(label) in _MAINTENANCE_STATUSES for label in labels)
    statuses = _statuses(labels, "scheduled" if maintenance else "investigating")
    times = [resolve(post.when, reference) for post in posts]
    ids = numbered(
        [
            f"{moment.isoformat() if moment else post.when}:{_slug(label)}"
            for post, label, moment in zip(posts, labels, times)
        ]
    )
    updates = (
        Update(id=update_id, status=status, body=clean(html_to_text(markup[post.body])), created_at=moment)
        for post, update_id, status, moment in caps.updates(list(zip(posts, ids, statuses, times, strict=True)))
    )
    return History(tuple(updates), maintenance)


def resolve(when: str, reference: datetime | None) -> datetime | None:
    """A yearless "Jul 9, 06:01 UTC" as UTC: the latest such moment not after `reference`
    (give or take `_SKEW`); None when unreadable or when there is no reference."""
    match = _WHEN.fullmatch(when)
    zone = _zone(match["zone"]) if match else None
    if match is None or zone is None or match["month"].lower() not in _MONTHS or reference is None:
        return None
    # The next year too: a local New Year's Day may still be the old year in UTC.
    years = (reference.year + 1, reference.year, reference.year - 1)
    candidates = (_moment(match, year, zone) for year in years)
    fitting = [moment for moment in candidates if moment and moment - reference <= _SKEW]
    return max(fitting, default=None)


def _posts(markup: str) -> list[_Post]:
    """The updates of an entry, oldest first (the feed lists them newest first)."""
    headers = list(_HEADER.finditer(markup))
    ends = [header.start() for header in headers[1:]] + [len(markup)]
    posts = [
        _Post(
            when=clean(one_line(html_to_text(header["when"]))),
            label=clean(one_line(html_to_text(header["label"]))),
            body=slice(header.end(), end),
        )
        for header, end in zip(headers, ends)
    ]
    return posts[::-1]


def _statuses(labels: list[str], status: str) -> list[str]:
    """The phase after each update: its label's, or the one before for "Update"."""
    statuses = []
    for label in labels:
        if label != _SAME_AS_BEFORE:
            status = _LABELS.get(label) or _slug(label) or status
        statuses.append(status)
    return statuses


def _slug(label: str) -> str:
    return re.sub(r"\W+", "_", label.casefold()).strip("_")


def _zone(zone: str | None) -> timezone | None:
    """The zone of a known abbreviation; no zone at all is UTC (Statuspage's default)."""
    if zone is None:
        return UTC
    hours = _ZONE_HOURS.get(zone.lower())
    return None if hours is None else timezone(timedelta(hours=hours))


def _moment(match: re.Match[str], year: int, zone: timezone) -> datetime | None:
    month, day = _MONTHS[match["month"].lower()], int(match["day"])
    try:
        local = datetime(year, month, day, int(match["hour"]), int(match["minute"]), tzinfo=zone)
        return local.astimezone(UTC)
    # ValueError: Feb 30, hour 25, year 10000; OverflowError: an offset past year 1 or 9999.
    except (ValueError, OverflowError):
        return None
