"""The status board in a real browser: Debian's Chromium, driven by Playwright, at desktop and phone
widths, with JavaScript on and off. Most tests open the real endpoint (bot.endpoint, in process,
behind a token, with its Content-Security-Policy) serving boards the test builds; the last opens a
running bot's board and sees a status page's new incident arrive.

Screenshots are kept in tests/artifacts/ (not committed). The page's timers run on Playwright's
clock: a refresh happens when the test moves the clock, never after a real wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.board_model import Board
from bot.endpoint import Endpoint
from bot.endpoint_board import BOARD_FOR
from bot.metrics import Metrics
from bot.store_base import DatabaseUnavailable
from tests.board_builders import NOW, board, channel, event, incident, provider, troubled
from tests.bot_process import BotProcess
from tests.eventually import eventually
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.ports import free_port
from tests.test_endpoint import HandClock, healthy
from tests.world import World

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Response, ViewportSize

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
if CHROMIUM is None:
    pytest.skip("no Chromium on this machine (Debian's chromium package; .ci/run installs it)",
                allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")
expect, sync_playwright = playwright_api.expect, playwright_api.sync_playwright

ARTIFACTS = Path(__file__).parent / "artifacts"
HOST = "127.0.0.1"
TOKEN = "wall-screen-token-0123456789"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
REFRESH = 16_000  # ms of the page's clock that hold one refresh (board.js: every 15 s)
NAMES = ("Proseware CI", "Wingtip Storage", "Fourth Coffee Maps", "Lucerne Auth", "Margie Queue", "Trey Analytics",
         "Coho Builds", "Alpine Push", "Humongous Video", "Woodgrove Ledger", "Blue Yonder Air", "Relecloud Chat")


def showcase() -> Board:
    """A board as a team with 120 providers sees it on a bad morning."""
    providers = [
        provider("northwind", "outage", "Northwind Payments", incidents=[incident(
            title="Card payments failing in EU", impact="critical", started=42, updated=3, components=("Checkout",),
            update=None)], components=[]),
        troubled("contoso", "partial", "Contoso Cloud"),
        troubled("fabrikam", "degraded", "Fabrikam CDN"),
        troubled("tailspin", "unreadable", "Tailspin Mail"),
        troubled("litware", "maintenance", "Litware Search"),
        troubled("adatum", "unknown", "Adatum DNS"),
    ]
    providers += [provider(f"svc-{n:03d}", title=f"{NAMES[n % len(NAMES)]} {n // len(NAMES) + 1}") for n in range(6, 120)]
    channels = [channel("ops-slack"), channel("pager", "webhook", "backlog", backlog=4, held=1, deferred=2),
                channel("old-teams", "teams", "disabled", disabled_reason="HTTP 410: the webhook is gone")]
    events = [event(1, "northwind", "Card payments failing in EU", impact="critical", minutes=3),
              event(2, "contoso", "Elevated API errors", minutes=9),
              event(3, "fabrikam", "Slow builds", impact="minor", minutes=16),
              event(4, "litware", "Database upgrade", "maintenance.status", "in_progress", "", 20, "", "maintenance")]
    return board(providers, channels, events)


class BoardServer:
    """The real endpoint (bot.endpoint), in a thread of its own, serving `board` behind TOKEN; while
    `failing`, the board cannot be built (the database is down) and the page is a 503."""

    def __init__(self, board: Board):
        self.board = board
        self.failing = False
        self.clock = HandClock()
        self.endpoint = Endpoint(f"{HOST}:{free_port()}", Metrics(), healthy, self.clock, board=self.source,
                                 token=TOKEN)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.endpoint.port}/?token={TOKEN}"

    async def source(self) -> Board:
        if self.failing:
            raise DatabaseUnavailable("the database is unreachable")
        return self.board

    def show(self, board: Board | None = None, failing: bool = False) -> None:
        """From now on, `board` (or the same one), or a database that fails."""
        self.board, self.failing = board or self.board, failing
        self.clock.time += BOARD_FOR  # the board the endpoint keeps for a while is now too old

    @contextlib.contextmanager
    def serving(self) -> Iterator[BoardServer]:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="board-endpoint", daemon=True)
        thread.start()
        asyncio.run_coroutine_threadsafe(self.endpoint.start(), loop).result(10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.endpoint.stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


@pytest.fixture(scope="module")
def server() -> Iterator[BoardServer]:
    with BoardServer(showcase()).serving() as served:
        yield served


@pytest.fixture
def board_server(server: BoardServer) -> BoardServer:
    """The module's server, showing the showcase again for each test."""
    server.show(showcase())
    return server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


class Opened:
    """A page of a fresh browser context, and every error it reported: console errors (a CSP violation
    is one), uncaught exceptions and failed requests."""

    def __init__(self, browser: Browser, viewport: ViewportSize, dark: bool = False, javascript: bool = True):
        self.context = browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light",
                                           java_script_enabled=javascript)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("requestfailed", lambda request: self.errors.append(f"failed: {request.url}"))
        self.page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened() -> Iterator[list[Opened]]:
    """Pages the test opens, closed after it."""
    pages: list[Opened] = []
    yield pages
    for page in pages:
        page.close()


def _shown_providers(page: Page) -> list[str]:
    """The titles of the providers the page displays (laid out, not hidden), in page order."""
    return page.eval_on_selector_all(
        "#board .p", "items => items.filter(i => i.checkVisibility() && i.getBoundingClientRect().width > 0)"
        ".map(i => i.querySelector('a, span[dir]').textContent)")


@pytest.mark.parametrize(("name", "viewport", "dark"), [
    ("desktop", DESKTOP, False), ("phone", PHONE, False), ("desktop-dark", DESKTOP, True), ("phone-dark", PHONE, True)])
def test_every_provider_is_shown_without_an_error(board_server: BoardServer, browser: Browser,
                                                  opened: list[Opened], name: str, viewport: ViewportSize,
                                                  dark: bool) -> None:
    tab = Opened(browser, viewport, dark)
    opened.append(tab)
    tab.page.clock.install(time=NOW)
    tab.page.goto(board_server.url)
    tab.page.wait_for_load_state("load")

    # Worst first, as the board is ordered (here the cards' order and the tiles' are the board's).
    assert _shown_providers(tab.page) == [p.title for p in board_server.board.providers]
    # The stylesheet applied (the CSP let it in): cards are laid out in a grid, nothing is wider than the screen.
    assert tab.page.eval_on_selector(".cards", "e => getComputedStyle(e).display") == "grid"
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    tab.page.screenshot(path=ARTIFACTS / f"board-{name}.png")
    assert tab.errors == []


def test_filter_refresh_and_offline_in_place(board_server: BoardServer, browser: Browser,
                                             opened: list[Opened]) -> None:
    tab = Opened(browser, DESKTOP)
    opened.append(tab)
    page = tab.page
    page.clock.install(time=NOW)
    page.goto(board_server.url)
    page.evaluate("window.loadedOnce = true")  # gone if the page were reloaded

    page.get_by_label("Filter providers").press_sequentially("contoso")
    assert _shown_providers(page) == ["Contoso Cloud"]
    assert "q=contoso" in page.url and f"token={TOKEN}" in page.url
    assert page.text_content("#shown") == "1 of 120 providers match “contoso”"

    # A new incident on the server: the next refresh shows it, the filter and the typing intact.
    news = provider("contoso", "outage", "Contoso Cloud", incidents=[incident(title="Region eu-west down")])
    board_server.show(board([news, *(p for p in board_server.board.providers if p.name != "contoso")]))
    page.clock.run_for(REFRESH)
    page.wait_for_selector("text=Region eu-west down")
    assert page.evaluate("window.loadedOnce") is True
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.input_value("#q") == "contoso"
    assert _shown_providers(page) == ["Contoso Cloud"]

    # Widening the filter brings back what the server left out of the filtered page.
    page.fill("#q", "")
    expect(page.locator("#board .p")).to_have_count(120)
    assert len(_shown_providers(page)) == 120 and "q=" not in page.url

    # The server fails: the last board stays, with a notice; it comes back on the next refresh.
    board_server.show(failing=True)
    page.clock.run_for(REFRESH)
    page.wait_for_selector("#offline:not([hidden])")
    assert (page.text_content("#offline") or "").startswith("Offline since")
    assert len(_shown_providers(page)) == 120
    # Meanwhile the ages count on from the last board received (here, three minutes ago).
    page.clock.run_for(180_000)
    expect(page.locator(".asof time")).to_have_text("3 min ago")
    assert page.get_attribute(".asof time", "title")  # the exact time, in the reader's zone
    board_server.show()
    page.clock.run_for(REFRESH)
    page.wait_for_selector("#offline", state="hidden")
    # The only errors are the failed refresh's: the 503 the test asked for.
    assert [error for error in tab.errors if "503" not in error] == []


def test_without_javascript_the_page_and_its_filter_work(board_server: BoardServer, browser: Browser,
                                                         opened: list[Opened]) -> None:
    tab = Opened(browser, PHONE, javascript=False)
    opened.append(tab)
    page = tab.page
    page.goto(board_server.url)
    assert len(_shown_providers(page)) == 120
    assert page.eval_on_selector(".cards", "e => getComputedStyle(e).display") == "grid"

    page.fill("#q", "Proseware")
    page.click("button[type=submit]")
    page.wait_for_url("**q=Proseware**")
    assert f"token={TOKEN}" in page.url
    assert _shown_providers(page) == [p.title for p in board_server.board.providers if "proseware" in p.title.lower()]
    assert tab.errors == []


def test_a_running_bots_board_shows_a_new_incident_without_a_reload(browser: Browser, opened: list[Opened],
                                                                     tmp_path: Path) -> None:
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        world = World(tmp_path, pages, receiver)
        port = free_port()
        config = world.config(settings=f'http = "{HOST}:{port}"\nhttp_token = "{TOKEN}"')
        with BotProcess("run", "--config", str(config), cwd=tmp_path) as running:
            running.wait_for_output("serving /healthz")
            tab = Opened(browser, DESKTOP)
            opened.append(tab)
            page = tab.page
            page.clock.install()
            page.goto(f"http://{HOST}:{port}/?token={TOKEN}")
            page.evaluate("window.loadedOnce = true")  # gone if the page were reloaded
            eventually(lambda: _refreshed(page, ".tiles .s-operational", 2), what="both pages read, on the board")

            world.nova.open_incident("01JINC00000000000000000001", "Chat is slow", "Investigating.", impact="minor")
            world.publish()
            eventually(lambda: _refreshed(page, ".cards .s-degraded:has-text('Chat is slow')"),
                       what="Nova's incident on the open board")
            assert page.evaluate("window.loadedOnce") is True
            assert _shown_providers(page) == ["Nova", "Acme"]
            assert tab.errors == []


def _refreshed(page: Page, selector: str, count: int = 1) -> bool:
    """Whether, after the page's next refresh, `count` elements match `selector`."""
    shown = page.locator("#board").element_handle()
    page.clock.run_for(REFRESH)
    shown.wait_for_element_state("hidden")  # detached: the refreshed board took its place
    return page.locator(selector).count() == count
