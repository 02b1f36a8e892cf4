"""A page's redirects cannot lead the fetcher into the operator's network.

Real servers on 127.0.0.1, 127.0.0.2 (all of 127/8 is local on Linux) and ::1 play the page and the
internal host it points at; the internal host counts connections, so "never reached" is checked,
not assumed. 'localhost' is the name that resolves to an internal address without the internet.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest

from bot.fetch import MAX_REDIRECTS, Fetcher
from bot.model import FetchError
from tests.bot_process import BotProcess
from tests.builders import one_page_config
from tests.fakes.recording_server import RecordingServer
from tests.fakes.status_page import PageScript

INCIDENT = b'{"incidents": [{"id": "x", "name": "Internal service down"}]}'


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback here")


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    client = Fetcher(timeout=2.0, max_bytes=100_000)
    yield client
    await client.aclose()


@pytest.fixture
async def page() -> AsyncIterator[RecordingServer]:
    async with RecordingServer("127.0.0.1") as server:
        yield server


@pytest.fixture
async def internal() -> AsyncIterator[RecordingServer]:
    """Another host of the operator's network, holding something that would pass for an incident."""
    async with RecordingServer("127.0.0.2") as server:
        server.serve("/api", INCIDENT)
        yield server


async def refused(fetcher: Fetcher, url: str) -> str:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(url, None)
    assert caught.value.reason == "redirect refused", str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_internal_host_is_refused_before_connecting(fetcher, page, internal, status):
    """The review's attack: a page on 127.0.0.1 sent the bot to 127.0.0.2, whose JSON was announced."""
    page.redirect("/s.json", f"{internal.url}/api", status)
    message = await refused(fetcher, f"{page.url}/s.json")
    assert message == f"redirect refused: {page.url}/s.json: to {internal.url}, a loopback address"
    assert internal.connections == 0


async def test_a_redirect_within_the_page_host_is_followed(fetcher, page):
    """A page on the operator's LAN may move within itself, by a relative or an absolute Location."""
    page.redirect("/old", "/moved")
    page.redirect("/moved", f"{page.url}/s.json")
    page.serve("/s.json", INCIDENT)
    fetched = await fetcher.fetch(f"{page.url}/old", None)
    assert fetched.body == INCIDENT
    assert [request.target for request in page.requests] == ["/old", "/moved", "/s.json"]


async def test_a_configured_name_that_resolves_internal_may_redirect_within_itself(fetcher):
    async with RecordingServer("127.0.0.1") as lan_page:
        lan_page.redirect("/old", "/s.json")
        lan_page.serve("/s.json", INCIDENT)
        fetched = await fetcher.fetch(f"http://localhost:{lan_page.port}/old", None)
    assert fetched.body == INCIDENT


async def test_another_port_of_an_internal_page_host_is_refused(fetcher, page):
    """Same host, another service (a database, a container API): not the page moving within itself."""
    async with RecordingServer("127.0.0.1") as other_service:
        other_service.serve("/api", INCIDENT)
        page.redirect("/by-address", f"{other_service.url}/api")
        page.redirect("/by-name", f"http://localhost:{other_service.port}/api")
        assert (await refused(fetcher, f"{page.url}/by-address")).endswith(f"to {other_service.url}, a loopback address")
        assert (await refused(fetcher, f"http://localhost:{page.port}/by-name")).endswith(
            f"to localhost:{other_service.port}, which resolves to 127.0.0.1, a loopback address")
    assert other_service.connections == 0


async def test_a_name_that_resolves_to_an_internal_address_is_refused(fetcher, page):
    """Judged on the address the name resolves to when connecting (so rebinding cannot pass a check)."""
    async with RecordingServer("127.0.0.1") as target:
        target.serve("/api", INCIDENT)
        page.redirect("/s.json", f"http://localhost:{target.port}/api")
        message = await refused(fetcher, f"{page.url}/s.json")
    assert message.endswith(f": to localhost:{target.port}, which resolves to 127.0.0.1, a loopback address")
    assert target.connections == 0


async def test_another_configured_page_host_is_no_way_in_either(fetcher, page):
    """Polling an internal page by name does not make it a redirect target for other pages."""
    async with RecordingServer("127.0.0.1") as lan_page:
        lan_page.serve("/s.json", b"{}")
        lan_page.serve("/admin", INCIDENT)
        await fetcher.fetch(f"http://localhost:{lan_page.port}/s.json", None)
        page.redirect("/s.json", f"http://localhost:{lan_page.port}/admin")
        message = await refused(fetcher, f"{page.url}/s.json")
    assert "which resolves to 127.0.0.1, a loopback address" in message
    assert [request.target for request in lan_page.requests] == ["/s.json"]


@pytest.mark.parametrize("location,why", [
    ("http://[::ffff:127.0.0.2]:8080/api", "to http://[::ffff:7f00:2]:8080, a loopback address"),
    ("http://0.0.0.0:8080/api", "to http://0.0.0.0:8080, the unspecified address"),
    ("http://169.254.169.254/latest/meta-data/", "to http://169.254.169.254, a link-local address"),
    ("http://[fe80::1]/api", "to http://[fe80::1], a link-local address"),
    ("http://10.0.0.1/api", "to http://10.0.0.1, a private address"),
    ("https://192.168.1.1/api", "to https://192.168.1.1, a private address"),
    ("http://172.16.5.4/api", "to http://172.16.5.4, a private address"),
    ("http://[fd00::1]/api", "to http://[fd00::1], a private address"),
    ("http://100.64.0.1/api", "to http://100.64.0.1, a non-public address"),
    ("http://224.0.0.1/api", "to http://224.0.0.1, a multicast address"),
    ("http://[64:ff9b::a00:1]/api", "to http://[64:ff9b::a00:1], a private address"),
    ("ftp://127.0.0.1/s.json", "to a ftp: URL, only http and https are followed"),
    ("file:///etc/passwd", "to a file: URL, only http and https are followed"),
    ("gopher://127.0.0.2:70/_", "to a gopher: URL, only http and https are followed"),
    ("data:,{}", "to a data: URL, only http and https are followed"),
    ("javascript:alert(1)", "to a javascript: URL, only http and https are followed"),
    ("https:", "its Location has no host"),
    ("http://[::1", "its Location is not a valid URL"),
])
async def test_a_redirect_it_may_not_follow_is_refused_without_a_connection(fetcher, page, location, why):
    """Each internal address would be a connection attempt (and, for most, a timeout) if followed."""
    page.redirect("/s.json", location)
    assert (await refused(fetcher, f"{page.url}/s.json")).endswith(f": {why}")


@pytest.mark.parametrize("form", ["127.2", "2130706434", "0x7f.0.0.2"])
async def test_legacy_ipv4_forms_never_reach_the_host(fetcher, page, internal, form):
    page.redirect("/s.json", f"http://{form}:{internal.port}/api")
    with pytest.raises(FetchError):
        await fetcher.fetch(f"{page.url}/s.json", None)
    assert internal.connections == 0


async def test_at_most_five_redirects_are_followed(fetcher, page):
    for hop in range(MAX_REDIRECTS + 1):
        page.redirect(f"/{hop}", f"/{hop + 1}")
    page.serve(f"/{MAX_REDIRECTS + 1}", INCIDENT)
    assert (await fetcher.fetch(f"{page.url}/1", None)).body == INCIDENT  # five hops
    with pytest.raises(FetchError, match=rf"^redirects: {page.url}/0: more than 5 redirects$"):
        await fetcher.fetch(f"{page.url}/0", None)  # six
    assert len(page.requests) == MAX_REDIRECTS + 1 + MAX_REDIRECTS + 1


async def test_a_refusal_never_quotes_the_page_url_secrets_or_the_answer_body(fetcher, page, internal):
    page.redirect("/s.json?token=sk-SECRET", f"http://user:sk-PASS@{internal.url.removeprefix('http://')}/api?k=sk-Q")
    message = await refused(fetcher, f"{page.url}/s.json?token=sk-SECRET")
    assert message == f"redirect refused: {page.url}/s.json?token=***: to {internal.url}, a loopback address"


@needs_ipv6
async def test_ipv6_loopback_is_judged_like_ipv4(fetcher, page):
    async with RecordingServer("::1") as v6_page, RecordingServer("::1") as v6_internal:
        v6_internal.serve("/api", INCIDENT)
        v6_page.redirect("/old", "/s.json")
        v6_page.serve("/s.json", INCIDENT)
        v6_page.redirect("/to-v4", f"{page.url}/s.json")
        page.redirect("/to-v6", f"{v6_internal.url}/api")
        assert (await fetcher.fetch(f"{v6_page.url}/old", None)).body == INCIDENT
        assert (await refused(fetcher, f"{page.url}/to-v6")).endswith(f"to {v6_internal.url}, a loopback address")
        assert (await refused(fetcher, f"{v6_page.url}/to-v4")).endswith(f"to {page.url}, a loopback address")
    assert v6_internal.connections == 0 and [request.target for request in page.requests] == ["/to-v6"]


@pytest.fixture
async def proxy(monkeypatch) -> AsyncIterator[RecordingServer]:
    """A forward proxy named 'localhost' (an internal name: the configured proxy's host is trusted)."""
    async with RecordingServer("127.0.0.1") as server:
        for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://localhost:{server.port}")
        yield server


async def test_through_a_proxy_a_followed_redirect_carries_no_referer(proxy):
    """The proxy resolves names, so the redirect to another host is followed; its request, like
    every request, carries no Referer that would tell the target the page's URL (and token)."""
    proxy.redirect("http://status.example.test/s.json?token=sk-SECRET", "http://cdn.example.test/s.json")
    proxy.serve("http://cdn.example.test/s.json", INCIDENT)
    proxied = Fetcher(timeout=2.0)
    try:
        fetched = await proxied.fetch("http://status.example.test/s.json?token=sk-SECRET", None)
    finally:
        await proxied.aclose()
    assert fetched.body == INCIDENT
    assert [request.target for request in proxy.requests] == [
        "http://status.example.test/s.json?token=sk-SECRET", "http://cdn.example.test/s.json"]
    assert all("referer" not in request.headers for request in proxy.requests)


async def test_through_a_proxy_an_internal_address_literal_is_still_refused(proxy):
    proxy.redirect("http://status.example.test/s.json", "http://127.0.0.2:8080/api")
    proxied = Fetcher(timeout=2.0)
    try:
        message = await refused(proxied, "http://status.example.test/s.json")
    finally:
        await proxied.aclose()
    assert message.endswith(": to http://127.0.0.2:8080, a loopback address")
    assert len(proxy.requests) == 1


async def test_the_bot_reports_the_refused_redirect_by_provider_and_announces_nothing(tmp_path, page, internal):
    """The review's attack against the real bot: every document of a page redirects to another
    internal host serving a Statuspage with an open incident."""
    script = PageScript("Internal")
    script.open_incident("i1", "Internal service down", "Announced only if the redirect was followed")
    documents = {"summary.json": script.summary(), "incidents.json": script.incidents_document(),
                 "scheduled-maintenances.json": script.maintenances_document()}
    for name, document in documents.items():
        page.redirect(f"/acme/api/v2/{name}", f"{internal.url}/api/v2/{name}")
        internal.serve(f"/api/v2/{name}", json.dumps(document).encode())
    config = one_page_config(tmp_path, f"{page.url}/acme")
    bot = BotProcess("run", "--once", "--config", str(config), cwd=tmp_path)
    assert await asyncio.to_thread(bot.run) == 1
    assert internal.connections == 0
    assert not any("Internal service down" in line for line in bot.stdout + bot.stderr)
    errors = [line for line in bot.stderr if "provider acme" in line and "redirect refused" in line]
    assert errors and f"to {internal.url}, a loopback address" in errors[0]
