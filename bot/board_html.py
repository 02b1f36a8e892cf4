"""The status board as one HTML page (`/` of the endpoint), rendered from a Board (bot.board_model).

The page is whole without JavaScript: the filter box is a GET form (`?q=`) filtered here, and a
<noscript> refresh reloads it every minute. With JavaScript, bot/board_static/board.js refreshes it in
place, filters as one types and keeps the ages fresh from each <time datetime>.

Every string of the board may come from a status page: each is cleaned again (one_line, plain_text:
no control or bidi character) and escaped, attribute or text alike; a link is made only of an
http(s) address. The Content-Security-Policy forbids inline script and style, so the page has
neither: its look and behaviour are the two static files served beside it (`board_asset`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from importlib import resources
from typing import TypeVar
from urllib.parse import quote

from bot.board_model import (
    STATE_WORDS,
    STATES,
    Board,
    BoardChannel,
    BoardComponent,
    BoardEvent,
    BoardIncident,
    BoardProvider,
    ChannelState,
    State,
)
from bot.text import iso_utc, one_line, plain_text, truncate
from bot.urls import is_web_link

T = TypeVar("T")

# At most this many of each list on a card, then how many more: a page listing hundreds of broken
# components keeps a small card (the status page and the JSON API have them all).
SHOWN_INCIDENTS = 5
SHOWN_COMPONENTS = 8
SHOWN_MAINTENANCES = 3

# The longest a line of page text (a title, a name, an error) and a body are shown: however long a
# page writes them, a card stays a card.
LINE = 200
BODY = 400
# How much of the page the cards may take (UTF-8 bytes). When many providers have much to tell, the
# worst keep their cards and the others become tiles (their state still in words): with a thousand
# providers the page stays under a megabyte, and the filter brings back any provider's card.
CARDS_BUDGET = 400_000

# The static files the page loads, served by the endpoint at /<name>: their content types (UTF-8).
ASSETS = {"board.css": "text/css", "board.js": "text/javascript"}

# How often the page reloads itself when JavaScript is off (board.js refreshes more often, in place).
NOSCRIPT_REFRESH = 60

# A shape beside each state's colour and words: the board reads without colour too.
SYMBOLS: dict[State, str] = {
    "outage": "✖",
    "partial": "◐",
    "degraded": "▲",
    "unreadable": "⊘",
    "maintenance": "⚙",
    "unknown": "○",
    "operational": "✔",
}
CHANNEL_STATES: dict[ChannelState, tuple[str, str]] = {  # symbol, words
    "disabled": ("⊘", "Disabled"),
    "backlog": ("◷", "Backlog"),
    "ok": ("✔", "OK"),
}
# A component's status as the board's state of the same colour.
COMPONENT_STATES: dict[str, State] = {
    "major_outage": "outage",
    "partial_outage": "partial",
    "degraded_performance": "degraded",
    "under_maintenance": "maintenance",
    "operational": "operational",
}
# An event's impact as the board's state of the same colour.
IMPACT_STATES: dict[str, State] = {"critical": "outage", "major": "partial", "minor": "degraded",
                                   "maintenance": "maintenance"}
EVENT_WORDS = {
    "incident.created": "New incident",
    "incident.updated": "Incident update",
    "incident.status": "Incident status",
    "incident.edited": "Incident edited",
    "incident.resolved": "Incident resolved",
    "incident.reminder": "Still ongoing",
    "maintenance.created": "Maintenance scheduled",
    "maintenance.updated": "Maintenance update",
    "maintenance.status": "Maintenance status",
    "maintenance.edited": "Maintenance edited",
    "maintenance.completed": "Maintenance completed",
    "component.status": "Component",
    "provider.summary": "Many changes",
    "digest": "Digest",
}
# A status page's link: it learns nothing of the board (board.css isolates its text's direction).
LINK = 'rel="noopener noreferrer"'


@functools.cache
def board_asset(name: str) -> tuple[bytes, str] | None:
    """The bytes and content type of static file `name` ("board.css", "board.js"), None for any other name."""
    content_type = ASSETS.get(name)
    if content_type is None:
        return None
    return (resources.files("bot") / "board_static" / name).read_bytes(), content_type


def board_page(board: Board, filter_text: str = "", token: str | None = None) -> str:
    """The whole HTML document of `board`, showing only the providers (and their events) whose name or
    title holds `filter_text` (case-insensitive); `token`, when set, is carried by every own link."""
    page = _Page(board.generated_at, token)
    needle = one_line(filter_text).lower()
    providers = [p for p in board.providers if _matches(needle, p.name, p.title)]
    events = [e for e in board.events if _matches(needle, e.provider, e.provider_title)]
    shown, crowded = page.providers(providers, needle)
    # data-crowded tells board.js that a new filter must ask the server: it may bring back cards.
    return "".join([
        page.head(_title(board)),
        page.header(one_line(filter_text)),
        f'<main id="board" data-generated="{iso_utc(board.generated_at)}" data-q="{escape(needle)}"'
        f'{" data-crowded" if crowded else ""}>',
        page.summary(board, len(providers), needle),
        shown,
        page.channels(board.channels),
        page.events(events),
        "</main>",
        page.footer(board.version),
        "</body></html>\n",
    ])


def _searched(name: str, title: str) -> tuple[str, str]:
    """What the filter searches, here and in board.js: the name, and the title as shown, in lower case."""
    return name.lower(), truncate(one_line(title), LINE).lower()


def _matches(needle: str, name: str, title: str) -> bool:
    return not needle or any(needle in key for key in _searched(name, title))


def _title(board: Board) -> str:
    total = board.counts.providers
    ok = board.counts.by_state.get("operational", 0)
    if not total:
        return "Status board"
    if ok == total:
        return f"Status board: all {total:,} operational"
    return f"Status board: {total - ok:,} of {total:,} not operational"


def _text(value: str, limit: int = LINE) -> str:
    """One line of page text, at most `limit` characters, escaped for an element or a quoted attribute."""
    return escape(truncate(one_line(value), limit), quote=True)


def _body(value: str) -> str:
    """Text of several lines (an update, an event's text), at most BODY characters, escaped."""
    return escape(truncate(plain_text(value), BODY), quote=True)


def _href(url: str) -> str | None:
    """`url` escaped for an href when it is an http(s) address, else None: no javascript:, data: or relative link."""
    return escape(url, quote=True) if is_web_link(url) else None


def _link(url: str, text: str) -> str:
    href = _href(url)
    if href is None:
        return f"<bdi>{_text(text)}</bdi>"
    return f'<a href="{href}" {LINK}>{_text(text)}</a>'


def _more(count: int, url: str) -> str:
    """What a card leaves out: counted, and a link to the status page, which shows it all."""
    href = _href(url)
    if href is None:
        return f"and {count:,} more"
    return f'<a href="{href}" {LINK}>and {count:,} more on the status page</a>'


def _words(status: str) -> str:
    """A status as the page writes it ("major_outage" -> "major outage"), escaped."""
    return _text(status.replace("_", " "))


def _symbol(symbol: str) -> str:
    return f'<span class="sym" aria-hidden="true">{symbol}</span>'


def _state(state: State) -> str:
    return f"{_symbol(SYMBOLS[state])} {STATE_WORDS[state]}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def age(moment: datetime, now: datetime) -> str:
    """How long before `now` (or after it) `moment` is, as board.js also writes it: "3 min ago", "in 2 h"."""
    seconds = (now - moment).total_seconds()
    span = abs(seconds)
    if span < 60:
        return "just now"
    if span < 3600:
        amount = f"{int(span // 60)} min"
    elif span < 48 * 3600:
        amount = f"{int(span // 3600)} h"
    else:
        amount = f"{int(span // 86400)} d"
    return f"{amount} ago" if seconds > 0 else f"in {amount}"


class _Page:
    """The parts of one page: what they share is the moment ages count from and the token links carry."""

    def __init__(self, now: datetime, token: str | None):
        self.now = now
        self.query = "" if token is None else f"?token={quote(token, safe='')}"
        self.token = token

    def own(self, path: str) -> str:
        """A link to one of the endpoint's own paths, relative (the board may sit under a proxy's prefix)."""
        return escape(path + self.query, quote=True)

    def time(self, moment: datetime) -> str:
        """`moment` as an age, which board.js keeps fresh (and gives the exact local time on hover)."""
        return f'<time datetime="{iso_utc(moment)}">{age(moment, self.now)}</time>'

    def head(self, title: str) -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<meta name="color-scheme" content="light dark"><meta name="referrer" content="no-referrer">'
            f"<title>{escape(title)}</title>"
            # No icon: a browser would otherwise ask for /favicon.ico, without the token.
            '<link rel="icon" href="data:,">'
            f'<link rel="stylesheet" href="{self.own("board.css")}">'
            f'<link rel="alternate" type="application/atom+xml" title="Events" href="{self.own("events.atom")}">'
            f'<script src="{self.own("board.js")}" defer></script>'
            f'<noscript><meta http-equiv="refresh" content="{NOSCRIPT_REFRESH}"></noscript>'
            "</head><body>"
        )

    def header(self, filter_text: str) -> str:
        hidden = "" if self.token is None else f'<input type="hidden" name="token" value="{escape(self.token)}">'
        return (
            '<header class="top"><h1>Status board</h1>'
            '<form class="filter" method="get" role="search"><label for="q">Filter providers</label>'
            f'<input id="q" name="q" type="search" value="{escape(filter_text)}" placeholder="name or title"'
            ' autocomplete="off" spellcheck="false">'
            f'{hidden}<button type="submit">Filter</button></form>'
            '<p id="offline" class="offline" role="status" hidden></p></header>'
        )

    def summary(self, board: Board, shown: int, needle: str) -> str:
        counts = board.counts
        states = "".join(
            f'<li class="s-{state}{"" if counts.by_state.get(state) else " zero"}">'
            f"{_symbol(SYMBOLS[state])} <b>{counts.by_state.get(state, 0):,}</b> {STATE_WORDS[state]}</li>"
            for state in STATES)
        showing = _plural(counts.providers, "provider", "providers")
        if needle:
            showing = f"{shown:,} of {showing} match “{escape(needle)}”"
        channels = [_plural(counts.channels, "channel", "channels")]
        if counts.channels_disabled:
            channels.append(f"{counts.channels_disabled:,} disabled")
        channels.append(f"{counts.backlog:,} waiting to be sent")
        return (
            '<section class="summary" aria-label="Summary">'
            f'<p class="asof">As of {self.time(board.generated_at)} · <span id="shown" data-total="{counts.providers}">{showing}</span></p>'
            f'<ul class="counts">{states}</ul><p class="chsum">{" · ".join(channels)}</p></section>'
        )

    def providers(self, providers: list[BoardProvider], needle: str) -> tuple[str, int]:
        """Providers with something to tell as cards (while CARDS_BUDGET lasts), the others as compact
        tiles, each list in the board's order; and how many have a tile for want of room."""
        cards: list[str] = []
        tiles: list[str] = []
        budget, crowded = CARDS_BUDGET, 0
        for p in providers:
            if _has_details(p) and not crowded:
                card = self.card(p)
                budget -= len(card.encode())
                if budget >= 0:
                    cards.append(card)
                    continue
            crowded += _has_details(p)
            tiles.append(self.tile(p))
        # Shown when a filter leaves no provider; board.js shows and hides it as one types.
        hidden = "" if needle and not providers else " hidden"
        crowded_note = (f'<p class="none">{_plural(crowded, "provider", "providers")} with more to tell '
                        "are tiles here, to keep the page light: filter by name to see their details.</p>"
                        if crowded else "")
        return "".join([
            '<section aria-labelledby="h-providers"><h2 id="h-providers">Providers</h2>',
            f'<p id="nomatch" class="none"{hidden}>No provider matches the filter.</p>',
            f'<ol class="cards">{"".join(cards)}</ol>' if cards else "",
            crowded_note,
            f'<ol class="tiles">{"".join(tiles)}</ol>' if tiles else "",
            "</section>",
        ]), crowded

    def tile(self, p: BoardProvider) -> str:
        read = "" if p.last_success_at is None else self.time(p.last_success_at)
        incidents = f" · {_plural(len(p.incidents), 'incident', 'incidents')}" if p.incidents else ""
        return (f'<li class="p s-{p.state}" data-f="{_filter_key(p.name, p.title)}">{_symbol(SYMBOLS[p.state])}'
                f'{_link(p.url, p.title)}<span class="st">{STATE_WORDS[p.state]}{incidents}</span>{read}</li>')

    def card(self, p: BoardProvider) -> str:
        return "".join([
            f'<li class="p card s-{p.state}" data-f="{_filter_key(p.name, p.title)}">',
            f'<h3>{_link(p.url, p.title)}</h3><p class="st">{_state(p.state)}</p>',
            self.poll(p),
            self.listed("Ongoing incidents", "incs", p.incidents, self.incident, SHOWN_INCIDENTS, p.url),
            self.listed("Components not operational", "comps", p.components, _component, SHOWN_COMPONENTS, p.url),
            self.listed("Maintenance in progress", "incs", p.maintenances_in_progress, self.maintenance,
                        SHOWN_MAINTENANCES, p.url),
            self.listed("Maintenance upcoming", "incs", p.maintenances_upcoming, self.maintenance,
                        SHOWN_MAINTENANCES, p.url),
            "</li>",
        ])

    def poll(self, p: BoardProvider) -> str:
        if p.last_success_at is not None:
            read = f"read {self.time(p.last_success_at)}"
        elif p.last_poll_at is not None:
            read = "never read"
        else:
            read = "not polled yet"
        line = f'<p class="meta">{_text(p.kind)} · {read}</p>'
        if p.error is None:
            return line
        times = f" ({p.consecutive_errors:,} in a row)" if p.consecutive_errors > 1 else ""
        when = "" if p.last_poll_at is None else f", {self.time(p.last_poll_at)}"
        return (f'{line}<p class="err">{_symbol(SYMBOLS["unreadable"])} The last poll failed{times}{when}: '
                f"<bdi>{_text(p.error)}</bdi></p>")

    def listed(self, heading: str, kind: str, items: Sequence[T], render: Callable[[T], str], limit: int,
               url: str) -> str:
        """A card's list of `items` under `heading`, at most `limit` of them; the rest are counted."""
        if not items:
            return ""
        shown = "".join(map(render, items[:limit]))
        rest = len(items) - limit
        if rest > 0:
            shown += f'<li class="more">{_more(rest, url)}</li>'
        return f'<h4>{heading}</h4><ul class="{kind}">{shown}</ul>'

    def incident(self, i: BoardIncident) -> str:
        facts = [f'<span class="tag">{_words(i.status)}</span>']
        if i.impact not in ("none", "maintenance"):
            facts.append(f"{_words(i.impact)} impact")
        facts += self.span(i)
        update = ""
        if i.latest_update is not None:
            latest = i.latest_update
            when = "" if latest.at is None else f" {self.time(latest.at)}"
            update = (f'<p class="upd"><b>{_words(latest.status)}</b>{when}: '
                      f"<bdi>{_body(latest.body)}</bdi></p>")
        return f"<li>{_link(i.url, i.title)} {' · '.join(facts)}{update}</li>"

    def maintenance(self, m: BoardIncident) -> str:
        """A maintenance: its phase once it is more than scheduled, and when it starts and ends."""
        facts = [] if m.status == "scheduled" else [f'<span class="tag">{_words(m.status)}</span>']
        return f"<li>{_link(m.url, m.title)} {' · '.join(facts + self.span(m))}</li>"

    def span(self, i: BoardIncident) -> list[str]:
        """When an incident began, or when a maintenance starts and ends."""
        facts = []
        if i.started_at is not None:
            facts.append(f"{'starts' if i.started_at > self.now else 'began'} {self.time(i.started_at)}")
        if i.scheduled_until is not None:
            facts.append(f"{'ends' if i.scheduled_until > self.now else 'was due to end'} {self.time(i.scheduled_until)}")
        return facts

    def channels(self, channels: tuple[BoardChannel, ...]) -> str:
        if not channels:
            return ('<section aria-labelledby="h-channels"><h2 id="h-channels">Channels</h2>'
                    '<p class="none">No channel is configured.</p></section>')
        head = "".join(f'<th scope="col">{name}</th>' for name in (
            "Channel", "Type", "State", "Backlog", "Held", "Deferred", "Suppressed", "Delivered", "Given up",
            "Last delivery"))
        rows = "".join(map(self.channel, channels))
        return ('<section aria-labelledby="h-channels"><h2 id="h-channels">Channels</h2>'
                f'<table class="channels"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>')

    def channel(self, c: BoardChannel) -> str:
        symbol, words = CHANNEL_STATES[c.state]
        if c.disabled_reason:
            words = f"{words}: <bdi>{_text(c.disabled_reason)}</bdi>"
        numbers = "".join(f'<td class="n" data-l="{label}">{value:,}</td>' for label, value in (
            ("Backlog", c.backlog), ("Held", c.held), ("Deferred", c.deferred), ("Suppressed", c.suppressed),
            ("Delivered", c.delivered), ("Given up", c.given_up)))
        last = "never" if c.last_delivery_at is None else self.time(c.last_delivery_at)
        return (f'<tr class="c-{c.state}"><th scope="row"><bdi>{_text(c.name)}</bdi></th>'
                f'<td data-l="Type">{_text(c.type)}</td><td data-l="State"><span>{_symbol(symbol)} {words}</span></td>'
                f'{numbers}<td data-l="Last delivery">{last}</td></tr>')

    def events(self, events: list[BoardEvent]) -> str:
        items = "".join(map(self.event, events))
        body = f'<ol class="events">{items}</ol>' if items else '<p class="none">No event yet.</p>'
        return f'<section aria-labelledby="h-events"><h2 id="h-events">Recent events</h2>{body}</section>'

    def event(self, e: BoardEvent) -> str:
        state = IMPACT_STATES.get(e.impact)
        colour = f' class="s-{state}"' if state else ""
        what = EVENT_WORDS.get(e.type) or _words(e.type.replace(".", " "))
        impact = f" · {_words(e.impact)} impact" if state and state != "maintenance" else ""
        text = f'<p class="txt">{_body(e.text)}</p>' if e.text else ""
        return (f'<li{colour} data-f="{_filter_key(e.provider, e.provider_title)}">{self.time(e.at)} '
                f'<b>{_text(e.provider_title)}</b> {what}: {_link(e.url, e.title)} '
                f'<span class="tag">{_words(e.status)}</span>{impact}{text}</li>')

    def footer(self, version: str) -> str:
        return (f'<footer><p>statusbot {_text(version)} · <a href="{self.own("events.atom")}">Atom feed of events</a>'
                f' · <a href="{self.own("api/v1/status")}">JSON</a></p></footer>')


def _has_details(p: BoardProvider) -> bool:
    """Whether a provider needs a card: a state other than all well, or anything to tell."""
    return (p.state not in ("operational", "unknown") or p.error is not None or bool(
        p.incidents or p.components or p.maintenances_in_progress or p.maintenances_upcoming))


def _filter_key(name: str, title: str) -> str:
    """The filter's keys for board.js, each once."""
    name, title = _searched(name, title)
    return escape(name if title == name else f"{name}\n{title}", quote=True)


def _component(c: BoardComponent) -> str:
    state = COMPONENT_STATES.get(c.status, "unknown")
    group = f"<bdi>{_text(c.group)}</bdi> › " if c.group else ""
    # Its symbol is the stylesheet's (by its class): a card may list several.
    return f'<li class="s-{state}">{group}<bdi>{_text(c.name)}</bdi>: {_words(c.status)}</li>'
