"""The status board's HTML (bot/board_html.py), read back with an HTML parser: what it shows, in
which order, and that nothing a status page sends can become markup, script, style or a link
that is not http(s)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.board_html import ASSETS, age, board_asset, board_page
from bot.board_model import STATE_WORDS, STATES, Board, BoardProvider
from bot.urls import is_web_link
from tests.board_builders import (
    HOSTILE_TEXTS,
    HOSTILE_URLS,
    NOW,
    board,
    busy_board,
    channel,
    component,
    event,
    incident,
    large_board,
    latest,
    maintenance,
    provider,
    sample_board,
    troubled,
)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
OWN_PATHS = {"board.css", "board.js", "events.atom", "api/v1/status"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        """Every element below this one, in document order, of `tag` and class `cls` when given."""
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                    found.append(child)
                found += child.all(tag, cls)
        return found

    def kids(self, tag: str) -> list[Element]:
        """The elements `tag` right below this one."""
        return [child for child in self.children if isinstance(child, Element) and child.tag == tag]

    def one(self, tag: str | None = None, cls: str | None = None, id: str | None = None) -> Element:
        """The one element below this one of `tag`, class `cls` and `id` (those given)."""
        matches = [e for e in self.all(tag, cls) if id is None or e.attrs.get("id") == id]
        assert len(matches) == 1, f"{len(matches)} elements <{tag}> .{cls} #{id}"
        return matches[0]


class _TreeBuilder(HTMLParser):
    """The document as a tree; fails on a tag closed out of order, which escaped text never causes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        assert len(element.attrs) == len(attrs), f"an attribute repeated in <{tag}>"
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.open == [builder.root], "elements left open"
    return builder.root


def providers_shown(document: Element) -> list[Element]:
    return document.one("main").all(cls="p")


def title(item: Element) -> str:
    """The title a provider's card (in its heading) or tile shows."""
    holder = (item.all("h3") or [item])[0]
    return next(e for e in holder.children if isinstance(e, Element) and e.tag in ("a", "bdi")).text()


def test_every_provider_in_the_boards_order_with_its_state_in_words_and_a_symbol() -> None:
    shown = sample_board()
    document = parse(board_page(shown))

    items = providers_shown(document)
    assert [title(item) for item in items] == [p.title for p in shown.providers]
    assert [p.state for p in shown.providers] == list(STATES)  # one in every state, worst first
    for item, p in zip(items, shown.providers):
        assert f"s-{p.state}" in item.classes  # the colour
        symbol = item.all(cls="sym")[0]  # the shape, hidden from screen readers, which read the words
        assert symbol.attrs["aria-hidden"] == "true" and symbol.text().strip()
        assert STATE_WORDS[p.state] in item.text()
    symbols = [item.all(cls="sym")[0].text() for item in items]
    assert len(set(symbols)) == len(STATES)


def test_a_thousand_providers_each_once_in_order() -> None:
    big = large_board(1000)
    html = board_page(big)

    items = providers_shown(parse(html))
    assert len(items) == 1000
    # Cards (those with something to tell) first, then tiles; each in the board's order: worst first.
    order = [p.title for p in big.providers]
    titles = [title(item) for item in items]
    assert sorted(titles) == sorted(order)  # each once
    cards = [t for t, item in zip(titles, items) if "card" in item.classes]
    tiles = [t for t, item in zip(titles, items) if "card" not in item.classes]
    assert cards == [t for t in order if t in cards] and tiles == [t for t in order if t in tiles]
    assert titles == cards + tiles
    assert len(html.encode()) < 600_000


def test_a_thousand_providers_all_with_much_to_tell_weigh_under_a_megabyte() -> None:
    busiest = busy_board(1000)
    html = board_page(busiest)
    document = parse(html)

    items = providers_shown(document)
    assert [title(item) for item in items] == [p.title for p in busiest.providers]
    cards = [item for item in items if "card" in item.classes]
    # The worst keep their cards while the budget lasts; the others are tiles, their state in words.
    assert 100 < len(cards) < 1000 and items[:len(cards)] == cards
    for tile in items[len(cards):]:
        assert " ".join(tile.text().split()).endswith("Degraded · 1 incident1 min ago")
    assert f"{1000 - len(cards)} providers with more to tell are tiles here" in document.one("main").text()
    assert "data-crowded" in document.one("main").attrs
    assert len(html.encode()) < 1_000_000
    # The filter brings back the card of any of them.
    last = providers_shown(parse(board_page(busiest, "Provider 0999")))
    assert [(title(item), "card" in item.classes) for item in last] == [("Provider 0999", True)]


def test_a_page_with_hundreds_of_everything_keeps_a_small_card() -> None:
    many = provider("acme", "outage", "Acme",
                    incidents=[incident(f"i{n}", f"Incident {n}") for n in range(40)],
                    components=[component(f"Component {n}") for n in range(1000)],
                    in_progress=[maintenance(f"m{n}", f"Works {n}", "in_progress", -5) for n in range(20)],
                    upcoming=[maintenance(f"u{n}", f"Upgrade {n}", starts_in=60 + n) for n in range(50)])
    html = board_page(board([many]))
    card = providers_shown(parse(html))[0]

    incidents, components, in_progress, upcoming = (
        [" ".join(li.text().split()) for li in ul.kids("li")] for ul in card.all("ul"))
    assert [li.split(" investigating")[0] for li in incidents] == [
        *(f"Incident {n}" for n in range(5)), "and 35 more on the status page"]
    assert components == [*(f"Component {n}: major outage" for n in range(8)), "and 992 more on the status page"]
    assert [li.split(" in progress")[0] for li in in_progress] == [
        "Works 0", "Works 1", "Works 2", "and 17 more on the status page"]
    assert [li.split(" starts")[0] for li in upcoming] == [
        "Upgrade 0", "Upgrade 1", "Upgrade 2", "and 47 more on the status page"]
    assert card.all("li", cls="more")[0].one("a").attrs["href"] == "https://status.acme.example/"
    assert len(html.encode()) < 20_000
    # Without an address for the page, the rest is only counted.
    hidden = provider("secret", "outage", url="", components=[component(f"C{n}") for n in range(9)])
    assert [li.text() for li in providers_shown(parse(board_page(board([hidden]))))[0].all("li", cls="more")] == [
        "and 1 more"]


def test_a_page_writing_at_length_is_shown_shortened() -> None:
    long = "word " * 5000
    p = provider("acme", "outage", title=long, error=long, components=[component(long, group=long)],
                 incidents=[incident(title=long, update=latest(long))])
    document = parse(board_page(board([p], events=[event(1, "acme", long, text=long)])))

    texts = [t for e in document.all() for t in e.children if isinstance(t, str) and "word word" in t]
    assert texts and max(map(len, texts)) <= 400
    assert len(providers_shown(document)[0].attrs["data-f"]) < 220


def test_a_card_tells_incidents_components_maintenances_polls_and_errors() -> None:
    p = provider("acme", "outage", "Acme", read=45, polled=1, error="HTTP 503 from the page", errors=3,
                 incidents=[incident(title="Checkout down", impact="critical", started=90, updated=7,
                                     components=("Checkout", "API"),
                                     update=latest("Fix rolling out.\nNext update in 30 min.", "identified", 7))],
                 components=[component("Checkout", "major_outage", group="Store")],
                 in_progress=[maintenance("m0", "Network work", "in_progress", starts_in=-10, lasts=60)],
                 upcoming=[maintenance("m1", "Database upgrade", starts_in=180)])
    card = providers_shown(parse(board_page(board([p]))))[0]
    text = " ".join(card.text().split())

    assert "card" in card.classes
    assert "Major outage" in text
    assert "read 45 min ago" in text
    assert "The last poll failed (3 in a row), 1 min ago: HTTP 503 from the page" in text
    assert "Checkout down investigating · critical impact · began 1 h ago" in text
    assert "identified 7 min ago: Fix rolling out. Next update in 30 min." in text
    assert "Store › Checkout: major outage" in text
    assert "Network work in progress · began 10 min ago · ends in 50 min" in text
    assert "Database upgrade starts in 3 h · ends in 4 h" in text
    # A body keeps its line breaks (the stylesheet shows them).
    assert "Fix rolling out.\nNext update in 30 min." in card.one(cls="upd").text()
    # Every age is also machine-readable, for board.js to keep fresh.
    times = card.all("time")
    assert times and all(t.attrs["datetime"].endswith("Z") for t in times)
    assert times[0].attrs["datetime"] == "2026-11-01T11:15:00Z"


def test_operational_providers_are_compact_tiles_with_their_last_read() -> None:
    tile = providers_shown(parse(board_page(board([provider("acme", read=3)]))))[0]

    assert "card" not in tile.classes
    assert " ".join(tile.text().split()) == "✔AcmeOperational3 min ago"
    assert tile.one("a").attrs["href"] == "https://status.acme.example/"


def test_summary_counts_every_state_and_the_channels() -> None:
    summary = parse(board_page(sample_board())).one("section", cls="summary")
    text = " ".join(summary.text().split())

    assert "As of just now · 7 providers" in text
    for state in STATES:
        assert f"1 {STATE_WORDS[state]}" in text
    assert "3 channels · 1 disabled · 4 waiting to be sent" in text


def test_channels_show_their_state_backlog_held_and_deferred() -> None:
    document = parse(board_page(sample_board()))
    rows = document.one("table", cls="channels").all("tr")[1:]
    cells = [[" ".join(cell.text().split()) for cell in row.children if isinstance(cell, Element)] for row in rows]

    assert cells == [
        ["old", "teams", "⊘ Disabled: HTTP 410: the webhook is gone", "0", "0", "0", "0", "10", "0", "3 min ago"],
        ["pager", "webhook", "◷ Backlog", "4", "1", "2", "0", "10", "0", "3 min ago"],
        ["ops", "slack", "✔ OK", "0", "0", "0", "0", "10", "0", "3 min ago"],
    ]
    assert [row.attrs["class"] for row in rows] == ["c-disabled", "c-backlog", "c-ok"]


def test_the_timeline_lists_events_newest_first() -> None:
    events = parse(board_page(sample_board())).one("ol", cls="events").all("li")
    texts = [" ".join(e.text().split()) for e in events]

    assert texts == [
        "5 min ago P-Outage New incident: Site down investigating · critical impactWe are looking into it.",
        "12 min ago P-Degraded Component: API degraded performance · minor impact",
        "20 min ago P-Maintenance Maintenance status: Database upgrade in progress",
    ]
    assert [e.attrs.get("class") for e in events] == ["s-outage", "s-degraded", "s-maintenance"]


def test_an_empty_board_says_so() -> None:
    main = parse(board_page(board())).one("main")
    text = " ".join(main.text().split())

    assert "0 providers" in text and "No channel is configured." in text and "No event yet." in text
    assert main.all(cls="p") == []


def hostile_board(text: str, url: str = "javascript:alert(0)") -> Board:
    """Every string of a board that a status page (or a channel's error) could have written: `text`."""
    p = provider(
        "acme", "outage", title=text, kind=text, url=url, error=text,
        incidents=[incident(title=text, status=text, impact=text, url=url, components=(text,),
                            update=latest(text, text))],
        components=[component(text, text, group=text)],
        upcoming=[maintenance(title=text, status=text, url=url)])
    return board([p, troubled("calm", "operational")],
                 [channel(text, text, "disabled", disabled_reason=text)],
                 [event(1, "acme", text, text, text, text, url=url, impact=text)], version=text)


def assert_inert(document: Element) -> None:
    """Nothing that runs, styles or links anywhere but http(s) and the board's own paths."""
    elements = document.all()
    assert [urlsplit(e.attrs["src"]).path for e in document.all("script")] == ["board.js"]
    assert document.all("style") == []
    for e in elements:
        assert not [name for name in e.attrs if name.startswith("on") or name == "style"], e
        assert e.tag not in ("img", "iframe", "object", "embed", "base", "svg", "math"), e
    for a in document.all("a"):
        href = a.attrs["href"]
        if urlsplit(href).path in OWN_PATHS:
            assert not urlsplit(href).scheme
        else:
            assert urlsplit(href).scheme in ("http", "https") and urlsplit(href).hostname, href
            assert a.attrs["rel"] == "noopener noreferrer"


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_page_text_stays_text(text: str) -> None:
    html = board_page(hostile_board(text))
    document = parse(html)

    assert_inert(document)
    shown = " ".join(document.text().split())
    cleaned = re.sub("[\u202a-\u202e\u2066-\u2069]", "", text)
    assert shown.count(cleaned) >= 10  # shown, as text, wherever it was given
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", html)  # no bidi override reorders the page
    # The title became the filter key, escaped: an attribute can hold it and not end.
    assert providers_shown(document)[0].attrs["data-f"] == f"acme\n{cleaned.lower()}"


@pytest.mark.parametrize("url", [*HOSTILE_URLS, "https://ok.example/incidents/1?a=1&b=2"])
def test_only_http_links_are_made(url: str) -> None:
    """A link is made of an http(s) address with nothing in it that could end the attribute."""
    document = parse(board_page(hostile_board("Title", url)))

    assert_inert(document)
    hrefs = [a.attrs["href"] for a in document.all("a")]
    if is_web_link(url):
        assert hrefs.count(url) == 4  # the provider, its incident, its maintenance, the event
    else:
        assert not [h for h in hrefs if url in h]
        # The title is still shown, as text.
        assert providers_shown(document)[0].one("h3").text() == "Title"


def test_nothing_inline_for_the_content_security_policy() -> None:
    document = parse(board_page(sample_board(), token="a-token-of-24-characters"))

    assert_inert(document)
    head = document.one("head")
    assert [link.attrs["href"] for link in head.all("link") if link.attrs["rel"] == "stylesheet"] == [
        "board.css?token=a-token-of-24-characters"]
    # With JavaScript off, a wall screen still refreshes.
    refresh = document.one("noscript").one("meta")
    assert refresh.attrs == {"http-equiv": "refresh", "content": "60"}
    # The script adds nothing from strings: no eval, no HTML written from text.
    script = board_asset("board.js")
    assert script is not None
    for forbidden in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert forbidden not in script[0].decode()


@pytest.mark.parametrize("token", ["plain-token-0123456789", "t&k=n?#/ é\"<'>+%"])
def test_the_token_is_carried_by_every_own_link_and_the_form(token: str) -> None:
    document = parse(board_page(sample_board(), token=token))

    own = [e.attrs.get("href") or e.attrs.get("src") or "" for e in document.all()
           if e.tag in ("a", "link", "script") and not (e.attrs.get("href") or "").startswith(("http", "data:"))]
    assert {urlsplit(url).path for url in own} == OWN_PATHS
    for url in own:
        assert parse_qs(urlsplit(url).query) == {"token": [token]}, url
    hidden = [i for i in document.one("form").all("input") if i.attrs["type"] == "hidden"]
    assert [(i.attrs["name"], i.attrs["value"]) for i in hidden] == [("token", token)]


def test_without_a_token_no_link_carries_one() -> None:
    html = board_page(sample_board())

    assert "token" not in html


def test_the_filter_keeps_providers_and_events_whose_name_or_title_match() -> None:
    shown = sample_board()
    document = parse(board_page(shown, "  OUTAGE "))

    # "outage" is in the names p-outage and the title "Outage Co"; case and spaces do not matter.
    assert [title(item) for item in providers_shown(document)] == ["Outage Co"]
    assert [e.attrs["data-f"] for e in document.one("ol", cls="events").all("li")] == ["p-outage"]
    assert document.one("input", id="q").attrs["value"] == "OUTAGE"
    assert "1 of 7 providers match “outage”" in document.one(id="shown").text()
    assert "hidden" in document.one(id="nomatch").attrs
    # Counts stay the whole board's.
    assert document.one("ul", cls="counts").text().count("1") == 7
    assert document.one("main").attrs["data-q"] == "outage"


def test_a_filter_matching_nothing_says_so_and_echoes_safely() -> None:
    document = parse(board_page(sample_board(), '"><script>alert(1)</script>'))

    assert_inert(document)
    assert providers_shown(document) == []
    assert "hidden" not in document.one(id="nomatch").attrs
    assert document.one("input", id="q").attrs["value"] == '"><script>alert(1)</script>'


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "just now"), (59, "just now"), (-30, "just now"), (60, "1 min ago"), (3599, "59 min ago"),
    (3600, "1 h ago"), (47 * 3600 + 3599, "47 h ago"), (48 * 3600, "2 d ago"), (-90, "in 1 min"),
    (-3 * 3600, "in 3 h"), (-9 * 86400, "in 9 d")])
def test_ages_read_as_board_js_writes_them(seconds: int, words: str) -> None:
    assert age(NOW - timedelta(seconds=seconds), NOW) == words


def test_the_static_files_are_served_by_name_only() -> None:
    for name, content_type in ASSETS.items():
        asset = board_asset(name)
        assert asset is not None and asset[1] == content_type and asset[0]
    for name in ("board.html", "../board_model.py", "board_static/board.css", "", "BOARD.CSS"):
        assert board_asset(name) is None


def _colours(css: str) -> list[dict[str, str]]:
    return [dict(re.findall(r"--([\w-]+):\s*(#[0-9a-f]{6})", block)) for block in re.findall(r":root\s*\{([^}]*)\}", css)]


def _luminance(colour: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_every_text_colour_has_accessible_contrast_in_light_and_dark() -> None:
    asset = board_asset("board.css")
    assert asset is not None
    schemes = _colours(asset[0].decode())
    assert len(schemes) == 2  # light, then dark (prefers-color-scheme)
    for colours in schemes:
        for text in ("fg", "muted", "link", *STATES):
            for background in ("bg", "card"):
                lighter, darker = sorted((_luminance(colours[text]), _luminance(colours[background])), reverse=True)
                assert (lighter + 0.05) / (darker + 0.05) >= 4.5, (text, background, colours)


def test_hostile_providers_keep_their_place_in_the_order() -> None:
    providers: list[BoardProvider] = [troubled(f"p{n}", state, title=text)
                                      for n, (state, text) in enumerate(zip(STATES, HOSTILE_TEXTS * 2))]
    document = parse(board_page(board(providers)))

    assert [item.attrs["class"].split()[-1] for item in providers_shown(document)] == [
        f"s-{p.state}" for p in board(providers).providers]
