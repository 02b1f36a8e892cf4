"""Pages of kind "auto": the platform detected at the first poll, remembered, and detected again
when a page that worked answers 404 (it moved platforms); detection's own cases are test_discovery's.

In process, with a real store and fetcher against local pages of each platform (tests/fakes/platforms.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.autodetect import AutoPlatform
from bot.config import load_config
from bot.discovery import UnknownPlatform
from bot.fetch import Fetcher
from bot.model import FetchError
from bot.poll import PollTarget, ProviderPoller
from bot.state import Store
from providers import FORMATS, PRESETS
from tests.bot_process import BotProcess
from tests.fakes.platforms import HTML, Platforms, Reply
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.test_config import DESTINATIONS
from tests.test_poll import Channel

NOT_FOUND = Reply(404, HTML, b"<html>Not found</html>")
HTML_PAGE = Reply(200, HTML, b"<html><h1>All good</h1></html>")


@pytest.fixture
def pages():
    with Platforms() as server:
        yield server


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[tuple[Store, Fetcher]]:
    store = await Store.open(tmp_path / "state.db")
    fetcher = Fetcher(timeout=5)
    yield store, fetcher
    await fetcher.aclose()
    await store.close()


def auto_poller(rig: tuple[Store, Fetcher], address: str, first_run: str = "active") -> ProviderPoller:
    store, fetcher = rig
    target = PollTarget("acme", "Acme", address, interval=10.0, components=())
    platform = AutoPlatform(target, FORMATS, fetcher, store)
    return ProviderPoller(target, None, fetcher, store, [Channel()], first_run, lambda _: None, platform=platform)


async def announced(store: Store) -> list[tuple[str, str]]:
    """(type, key) of every event waiting in the outbox, taken out."""
    events = []
    while (delivery := await store.next_delivery("hooks")) is not None:
        events.append((delivery.event.type, delivery.event.key))
        await store.mark_delivered(delivery, None)
    return events


def asked(pages: Platforms, path: str) -> int:
    return sum(1 for logged in pages.requests if logged.split("?", 1)[0] == path)


async def test_the_platform_is_detected_at_the_first_poll_and_remembered(pages, rig, caplog):
    store, _ = rig
    address = pages.instatus("/acme")
    with caplog.at_level(logging.INFO, logger="statusbot.poll"):
        await auto_poller(rig, address).poll_once()
    assert f"provider acme: detected Instatus at {address}" in caplog.text
    assert ("incident.created", "inc:cm7q2k1ve000208jx4hbd6t1a") in await announced(store)
    assert (await store.platform("acme")).kind == "instatus"  # type: ignore[union-attr]
    # A restart reads the page as remembered: no sign of any platform is asked again.
    before = asked(pages, "/acme/api/v2/summary.json")
    await auto_poller(rig, address).poll_once()
    assert asked(pages, "/acme/api/v2/summary.json") == before
    assert asked(pages, "/acme/summary.json") >= 2


async def test_another_address_is_detected_anew(pages, rig):
    store, _ = rig
    await auto_poller(rig, pages.instatus("/acme")).poll_once()
    await auto_poller(rig, pages.cachet("/beta")).poll_once()
    assert (await store.platform("acme")).kind == "cachet"  # type: ignore[union-attr]


async def test_a_page_that_moves_platform_is_detected_again_and_read_as_its_new_one(pages, rig, caplog):
    store, _ = rig
    address = pages.instatus("/acme")
    poller = auto_poller(rig, address, first_run="all")
    await poller.poll_once()
    before = await announced(store)
    assert before
    # The page leaves Instatus for Atlassian Statuspage: its Instatus documents answer 404.
    for path in ("/acme/summary.json", "/acme/v2/components.json"):
        pages.serve(path, NOT_FOUND)
    pages.statuspage("/acme")
    with caplog.at_level(logging.INFO, logger="statusbot.poll"):
        await poller.poll_once()
    assert (f"provider acme: it answers HTTP 404; detected again, its platform changed: now Statuspage at {address}"
            f" (was instatus at {address})") in caplog.text
    assert (await store.platform("acme")).kind == "statuspage"  # type: ignore[union-attr]
    after = await announced(store)
    # Seen anew: only what is open now is announced (first_run "all" would repeat its whole history).
    assert after and all(kind in {"incident.created", "maintenance.created", "component.status"} for kind, _ in after)
    assert not set(after) & set(before)
    # The Instatus documents are forgotten: the page is one platform's, not a merge of two.
    assert await store.documents("acme", [f"{address}/summary.json"]) == {}
    await poller.poll_once()
    assert await announced(store) == []


async def test_a_page_of_a_configured_kind_that_moves_is_named_in_the_log_not_switched(pages, rig, caplog):
    store, fetcher = rig
    address = pages.instatus("/acme")
    target = PollTarget("acme", "Acme", address, interval=10.0, components=())
    platform = AutoPlatform(target, FORMATS, fetcher, store, follows=False)
    poller = ProviderPoller(target, FORMATS["instatus"], fetcher, store, [Channel()], "active", lambda _: None,
                            platform=platform)
    await poller.poll_once()
    pages.serve("/acme/summary.json", NOT_FOUND)
    pages.statuspage("/acme")
    with caplog.at_level(logging.WARNING, logger="statusbot.poll"), pytest.raises(FetchError, match="HTTP 404"):
        await poller.poll_once()
    assert (f"provider acme: it answers HTTP 404; the page now looks like Statuspage at {address}: set kind ="
            f" 'statuspage' and url = '{address}' (or leave kind out to have it detected)") in caplog.messages
    assert await store.platform("acme") is None and poller.format is FORMATS["instatus"]


async def test_a_404_is_detected_again_once_in_a_row_of_failures(pages, rig, caplog):
    store, _ = rig
    address = pages.cachet("/acme")
    poller = auto_poller(rig, address)
    await poller.poll_once()
    pages.serve("/acme/api/v1/components", NOT_FOUND)  # broken, not moved: the ping still answers
    pings = asked(pages, "/acme/api/v1/ping")
    with caplog.at_level(logging.WARNING, logger="statusbot.poll"):
        for _ in range(3):
            with pytest.raises(FetchError, match="HTTP 404"):
                await poller.poll_once()
    assert asked(pages, "/acme/api/v1/ping") == pings + 1
    assert sum("detecting its platform again found none" in m for m in caplog.messages) == 1
    assert (await store.platform("acme")).kind == "cachet"  # type: ignore[union-attr]


async def test_an_unknown_platform_fails_the_poll_naming_what_was_tried(pages, rig):
    store, _ = rig
    poller = auto_poller(rig, pages.page("/acme", {"": HTML_PAGE}))
    outcome = await poller.poll()
    assert isinstance(outcome.error, UnknownPlatform)
    (row,) = [row for row in await store.provider_rows() if row.name == "acme"]
    assert "no known status page platform at" in str(row.last_error) and "Statuspage" in str(row.last_error)
    assert await store.platform("acme") is None


# ------------------------------------------------------------ configuration


def providers_of(toml: str, tmp_path: Path):
    path = tmp_path / "statusbot.toml"
    path.write_text(toml + '\n[[channels]]\nname = "log"\ntype = "console"\n')
    return load_config(path, {}, FORMATS, DESTINATIONS, PRESETS)


def test_a_page_of_ones_own_without_kind_is_detected(tmp_path):
    config = providers_of('[[providers]]\nname = "acme"\nurl = "https://status.acme.test"\n', tmp_path)
    assert [(p.kind, p.url) for p in config.providers] == [("auto", "https://status.acme.test")]


def test_kind_auto_may_be_written_and_a_document_url_is_read_from_its_base(tmp_path):
    config = providers_of('[[providers]]\nname = "acme"\nkind = "auto"\n'
                          'url = "https://status.acme.test/api/v2/summary.json"\n', tmp_path)
    assert [(p.kind, p.url) for p in config.providers] == [("auto", "https://status.acme.test")]
    assert any("ends in /api/v2/summary.json" in warning for warning in config.warnings)


# ------------------------------------------------------------ the whole bot


def test_the_bot_reads_pages_given_by_address_alone_and_detects_them_once(pages, tmp_path):
    addresses = {"status-cachet": pages.cachet("/cachet"), "status-better": pages.betterstack("/better"),
                 "status-linked": pages.page_with_feed("/linked"), "status-html": pages.page("/html", {"": HTML_PAGE})}
    providers = "".join(f'[[providers]]\nname = "{name}"\nurl = "{url}"\n' for name, url in addresses.items())
    with WebhookReceiver() as receiver:
        config = tmp_path / "statusbot.toml"
        config.write_text(f'[bot]\ndatabase = "{tmp_path / "state.db"}"\nfirst_run = "all"\n{providers}'
                          f'[[channels]]\nname = "hooks"\ntype = "webhook"\nurl = "{receiver.url}/hook"\n')
        first = BotProcess("run", "--once", "--config", str(config), cwd=tmp_path)
        assert first.run() == 1, "the page of no known platform fails the run, the others are delivered"
        log = "".join(first.stderr)
        assert "provider status-cachet: detected Cachet at" in log
        assert "provider status-better: detected Better Stack at" in log
        assert "provider status-linked: detected RSS/Atom at" in log
        assert "no known status page platform at" in log
        delivered = {json.loads(r.body)["data"]["provider"] for r in receiver.requests}
        assert delivered == {"status-cachet", "status-better", "status-linked"}
        count, pings = len(receiver.requests), asked(pages, "/cachet/api/v1/ping")
        again = BotProcess("run", "--once", "--config", str(config), cwd=tmp_path)
        assert again.run() == 1
        assert "detected Cachet" not in "".join(again.stderr), "remembered, not detected again"
        assert asked(pages, "/cachet/api/v1/ping") == pings
        assert len(receiver.requests) == count
