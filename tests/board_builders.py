"""Boards (bot.board_model) built by hand for the tests of the board's views: the HTML page, the JSON
API, the Atom feed and the benchmark. Every builder fills what a test does not care about with
plausible values, and `board()` orders and counts as build_board does: worst state first, then by title.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bot.board_model import (
    STATE_WORDS,
    STATES,
    Board,
    BoardChannel,
    BoardComponent,
    BoardCounts,
    BoardEvent,
    BoardIncident,
    BoardProvider,
    ChannelState,
    LatestUpdate,
    State,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

# Strings a hostile status page could send, for every text field of the board.
HOSTILE_TEXTS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "' onmouseover='alert(3)",
    "Evil \u202etxt.exe\u202c and \u2066isolate\u2069",
    "</main><style>body{display:none}</style>",
)
HOSTILE_URLS = ("javascript:alert(4)", "data:text/html,<script>alert(5)</script>", "//evil.example/x",
                "https://ok.example/\"><script>alert(6)</script>")


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def latest(body: str = "We are looking into it.", status: str = "investigating", minutes: float = 5) -> LatestUpdate:
    return LatestUpdate(status=status, body=body, at=ago(minutes))


def incident(id: str = "i1", title: str = "Elevated API errors", status: str = "investigating",
             impact: str = "major", url: str = "https://status.example/incidents/i1", started: float = 30,
             updated: float = 5, components: tuple[str, ...] = ("API",),
             update: LatestUpdate | None = None) -> BoardIncident:
    """An ongoing incident that began `started` minutes before NOW and was updated `updated` minutes before."""
    return BoardIncident(id=id, title=title, status=status, impact=impact, url=url, started_at=ago(started),
                         updated_at=ago(updated), components=components,
                         latest_update=update if update is not None else latest(minutes=updated))


def maintenance(id: str = "m1", title: str = "Database upgrade", status: str = "scheduled",
                starts_in: float = 120, lasts: float = 60, url: str = "") -> BoardIncident:
    """A maintenance starting `starts_in` minutes after NOW (negative: in progress), lasting `lasts` minutes."""
    return BoardIncident(id=id, title=title, status=status, impact="maintenance", url=url,
                         started_at=ago(-starts_in), scheduled_until=ago(-starts_in - lasts))


def component(name: str = "API", status: str = "major_outage", group: str | None = None) -> BoardComponent:
    return BoardComponent(name=name, group=group, status=status)


def provider(name: str, state: State = "operational", title: str | None = None, kind: str = "statuspage",
             url: str | None = None, polled: float | None = 1, read: float | None = 1, error: str | None = None,
             errors: int = 0, incidents: Iterable[BoardIncident] = (), components: Iterable[BoardComponent] = (),
             in_progress: Iterable[BoardIncident] = (), upcoming: Iterable[BoardIncident] = ()) -> BoardProvider:
    """Provider `name`, last polled `polled` and last read `read` minutes before NOW (None: never)."""
    return BoardProvider(
        name=name, title=title if title is not None else name.title(), kind=kind,
        url=url if url is not None else f"https://status.{name}.example/", state=state,
        state_text=STATE_WORDS[state], last_poll_at=None if polled is None else ago(polled),
        last_success_at=None if read is None else ago(read), error=error, consecutive_errors=errors,
        incidents=tuple(incidents), components=tuple(components), maintenances_in_progress=tuple(in_progress),
        maintenances_upcoming=tuple(upcoming))


def troubled(name: str, state: State, title: str | None = None) -> BoardProvider:
    """A provider in `state` with what a page in that state typically shows."""
    match state:
        case "outage":
            return provider(name, state, title, incidents=[incident(impact="critical", title="Site down")],
                            components=[component("API"), component("Web", "partial_outage", group="Frontend")])
        case "partial":
            return provider(name, state, title, incidents=[incident()],
                            components=[component("API", "partial_outage")])
        case "degraded":
            return provider(name, state, title, incidents=[incident(impact="minor", title="Slow builds")],
                            components=[component("Builds", "degraded_performance")])
        case "unreadable":
            return provider(name, state, title, read=45, error="HTTP 503 from the page", errors=9)
        case "maintenance":
            return provider(name, state, title, components=[component("DB", "under_maintenance")],
                            in_progress=[maintenance(starts_in=-20, status="in_progress")])
        case "unknown":
            return provider(name, state, title, polled=None, read=None)
        case _:
            return provider(name, state, title)


def channel(name: str = "ops", type: str = "slack", state: ChannelState = "ok", backlog: int = 0, held: int = 0,
            deferred: int = 0, delivered: int = 10, disabled_reason: str | None = None,
            last_delivery: float | None = 3) -> BoardChannel:
    return BoardChannel(name=name, type=type, state=state, disabled_reason=disabled_reason, backlog=backlog,
                        held=held, deferred=deferred, delivered=delivered,
                        last_delivery_at=None if last_delivery is None else ago(last_delivery))


def event(n: int = 1, provider: str = "acme", title: str = "Elevated API errors", type: str = "incident.created",
          status: str = "investigating", text: str = "We are looking into it.", minutes: float = 5,
          url: str = "https://status.example/incidents/i1", impact: str = "major") -> BoardEvent:
    return BoardEvent(id=f"evt_{provider}_{n}", at=ago(minutes), provider=provider, provider_title=provider.title(),
                      type=type, impact=impact, title=title, status=status, text=text, url=url)


def board(providers: Iterable[BoardProvider] = (), channels: Iterable[BoardChannel] = (),
          events: Iterable[BoardEvent] = (), at: datetime = NOW, version: str = "1.0.0") -> Board:
    """A board of these, sorted and counted as build_board does."""
    listed = sorted(providers, key=lambda p: (STATES.index(p.state), p.title.casefold(), p.name))
    chans = sorted(channels, key=lambda c: (c.state != "disabled", c.backlog == 0, c.name))
    by_state = {state: sum(p.state == state for p in listed) for state in STATES}
    counts = BoardCounts(providers=len(listed), by_state=by_state, channels=len(chans),
                         channels_disabled=sum(c.state == "disabled" for c in chans),
                         backlog=sum(c.backlog for c in chans))
    return Board(generated_at=at, version=version, counts=counts, providers=tuple(listed), channels=tuple(chans),
                 events=tuple(sorted(events, key=lambda e: e.at, reverse=True)))


def sample_board() -> Board:
    """A small board with one provider in every state, three channels and a few events."""
    providers = [troubled(f"p-{state}", state, title=f"{state.title()} Co") for state in STATES]
    channels = [channel("ops"), channel("pager", "webhook", "backlog", backlog=4, held=1, deferred=2),
                channel("old", "teams", "disabled", disabled_reason="HTTP 410: the webhook is gone")]
    events = [event(1, "p-outage", "Site down", impact="critical"),
              event(2, "p-degraded", "API", "component.status", "degraded_performance", "", 12, "", "minor"),
              event(3, "p-maintenance", "Database upgrade", "maintenance.status", "in_progress", "", 20, "",
                    "maintenance")]
    return board(providers, channels, events)


def large_board(count: int = 1000, troubled_every: int = 20, events: int = 50) -> Board:
    """`count` providers, one in `troubled_every` in trouble (cycling through the states), the rest
    operational; four channels and `events` events: the size a big deployment reaches."""
    bad: tuple[State, ...] = ("outage", "partial", "degraded", "unreadable", "maintenance", "unknown")
    providers = [troubled(f"provider-{n:04d}", bad[(n // troubled_every) % len(bad)], f"Provider {n:04d}")
                 if n % troubled_every == 0 else provider(f"provider-{n:04d}", title=f"Provider {n:04d}")
                 for n in range(count)]
    channels = [channel(f"channel-{n}", backlog=n) for n in range(4)]
    timeline = [event(n, f"provider-{n * troubled_every % count:04d}", minutes=n * 7) for n in range(events)]
    return board(providers, channels, timeline)


# An update as long as the board shows one (bot.board_provider.LATEST_UPDATE_TEXT).
LONG_UPDATE = ("We are investigating elevated error rates and latency for requests in the EU region. "
               "Some customers may see timeouts when saving changes. Our engineers have identified a faulty "
               "deployment and are rolling it back; we will post another update within 30 minutes or as soon as "
               "we know more.")[:300]


def busy(name: str, title: str) -> BoardProvider:
    """A provider with as much to tell as a large real page on a bad day: an incident with a long
    update, three degraded components, a maintenance in progress and two upcoming."""
    return provider(
        name, "degraded", title,
        incidents=[incident(title=f"Elevated errors for {title} API (eu-west)", impact="major",
                            url=f"https://stspg.io/{name[:8]}", update=latest(LONG_UPDATE, "identified"))],
        components=[component(f"{word} service (eu-west)", "degraded_performance", group="EU WEST")
                    for word in ("Checkout", "Search", "Webhooks")],
        in_progress=[maintenance("m0", f"Scheduled maintenance of {title} database", "in_progress", -30, 120,
                                 url=f"https://stspg.io/{name[:6]}m0")],
        upcoming=[maintenance(f"m{n}", f"Scheduled maintenance of {title} storage", starts_in=n * 1440,
                              url=f"https://stspg.io/{name[:6]}m{n}") for n in (1, 2)])


def busy_board(count: int = 1000) -> Board:
    """`count` providers, every one of them `busy`: the heaviest board a large deployment shows."""
    return board([busy(f"provider-{n:04d}", f"Provider {n:04d}") for n in range(count)],
                 [channel(f"channel-{n}", backlog=n) for n in range(4)],
                 [event(n, f"provider-{n:04d}", minutes=n * 7) for n in range(100)])

