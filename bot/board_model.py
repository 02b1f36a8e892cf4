"""What the status board shows: every watched page, every channel and the recent events, as of one
moment. One model feeds the three views of it: the board's HTML (`/`), its JSON (`/api/v1/status`)
and the Atom feed of events (`/events.atom`); its JSON form is the documented API.

Every string that came from a status page was cleaned as the page was parsed (bot.model) and is
escaped by each view: none of them trusts it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bot.model import Frozen, UtcTime

# A provider's state, worst first: the board sorts by it, so what hurts is on top.
#   outage       a component in major outage, or an open incident of critical impact
#   partial      a component in partial outage, or an open incident of major impact
#   degraded     a degraded component, or any other open incident
#   unreadable   the last poll failed (the page's last known state is shown beside it)
#   maintenance  a maintenance in progress, and nothing worse
#   unknown      never read: not polled yet, or every poll so far failed
#   operational  all well
State = Literal["outage", "partial", "degraded", "unreadable", "maintenance", "unknown", "operational"]
STATES: tuple[State, ...] = ("outage", "partial", "degraded", "unreadable", "maintenance", "unknown", "operational")

# The words the board and the feed give each state: colour is never the only sign of one.
STATE_WORDS: dict[State, str] = {
    "outage": "Major outage",
    "partial": "Partial outage",
    "degraded": "Degraded",
    "unreadable": "Cannot read the page",
    "maintenance": "Maintenance",
    "unknown": "Not read yet",
    "operational": "Operational",
}

ChannelState = Literal["disabled", "backlog", "ok"]


class LatestUpdate(Frozen):
    status: str
    body: str  # shortened for the board
    at: UtcTime | None = None


class BoardIncident(Frozen):
    """An ongoing incident, or a maintenance in progress or upcoming."""

    id: str
    title: str
    status: str
    impact: str
    url: str  # an http(s) link, or ""
    started_at: UtcTime | None = None  # when it began (created, or a maintenance's scheduled start)
    updated_at: UtcTime | None = None
    scheduled_until: UtcTime | None = None
    components: tuple[str, ...] = ()  # the names of the components it affects
    latest_update: LatestUpdate | None = None


class BoardComponent(Frozen):
    """A component that is not operational."""

    name: str
    group: str | None = None
    status: str


class BoardProvider(Frozen):
    name: str  # as configured
    title: str
    kind: str
    url: str  # the page's public address ("" when it holds a secret)
    state: State
    state_text: str  # STATE_WORDS[state]
    last_poll_at: UtcTime | None = None  # the last poll, failed or not
    last_success_at: UtcTime | None = None  # the last poll that read the page
    error: str | None = None  # the current error: the last poll failed with it
    consecutive_errors: int = 0
    incidents: tuple[BoardIncident, ...] = ()  # ongoing, most recently updated first
    components: tuple[BoardComponent, ...] = ()  # not operational, worst first
    maintenances_in_progress: tuple[BoardIncident, ...] = ()
    maintenances_upcoming: tuple[BoardIncident, ...] = ()  # soonest first


class BoardChannel(Frozen):
    name: str
    type: str
    state: ChannelState
    disabled_reason: str | None = None
    backlog: int = 0  # waiting in the outbox to be sent
    held: int = 0  # held by the flap hold
    deferred: int = 0  # kept back for the end of quiet hours or of a digest period
    suppressed: int = 0
    delivered: int = 0
    given_up: int = 0
    last_delivery_at: UtcTime | None = None


class BoardEvent(Frozen):
    """One event of the timeline, newest first: what a poll found, before any channel's routing."""

    id: str  # the event's id (stable: the same change always has the same id)
    at: UtcTime  # when the bot found it
    provider: str
    provider_title: str
    type: str  # e.g. "incident.created", "component.status"
    impact: str
    title: str  # the incident's title or the component's name
    status: str  # the phase or component status announced
    text: str  # the update's text, shortened
    url: str  # an http(s) link, or ""


class BoardCounts(Frozen):
    providers: int
    by_state: dict[State, int]  # every state, zero or not
    channels: int
    channels_disabled: int
    backlog: int


class Board(Frozen):
    generated_at: datetime
    version: str
    counts: BoardCounts
    providers: tuple[BoardProvider, ...]  # worst state first, then by title
    channels: tuple[BoardChannel, ...]  # disabled, then with a backlog, then by name
    events: tuple[BoardEvent, ...]  # newest first
