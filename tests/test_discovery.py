"""Platform detection (`bot.discovery`) against local pages of each platform (tests/fakes/platforms.py)
and hostile ones (tests/fakes/hostile.py), through the real fetcher on 127.0.0.1."""

from __future__ import annotations

import pytest

from bot.discovery import Discovery, UnknownPlatform, discover
from bot.fetch import Fetcher
from bot.model import Answer, FetchError, Format, ParseError
from providers import betterstack, cachet, feed, gcp, incidentio, instatus, slack, statusio, statuspage
from tests.fakes.hostile import MODES, HostileServer
from tests.fakes.platforms import HTML, JSON, STATUSIO_PAGE_ID, Platforms, Reply, feed_link, html
from tests.ports import free_port

# The registry's order: incident.io before Statuspage, whose API incident.io pages partly answer.
ORDER: tuple[Format, ...] = (incidentio.FORMAT, statuspage.FORMAT, instatus.FORMAT, betterstack.FORMAT,
                             statusio.FORMAT, cachet.FORMAT, feed.FORMAT, gcp.FORMAT, slack.FORMAT)
FORMATS = {fmt.kind: fmt for fmt in ORDER}


@pytest.fixture
def pages():
    with Platforms() as server:
        yield server


@pytest.fixture
async def fetcher():
    client = Fetcher(timeout=3.0, max_bytes=1_000_000)
    yield client
    await client.aclose()


async def detect(address: str, fetcher: Fetcher, formats: dict[str, Format] | None = None) -> Discovery:
    return await discover(address, fetcher, FORMATS if formats is None else formats)


# ---------------------------------------------------------------- each platform


async def test_an_atlassian_statuspage(pages, fetcher):
    address = pages.statuspage("/acme")
    assert await detect(address, fetcher) == Discovery("statuspage", address, f"Statuspage at {address}")


async def test_an_incident_io_page_that_also_answers_the_statuspage_api_is_incident_io(pages, fetcher):
    address = pages.incidentio("/openai")
    assert await detect(address, fetcher) == Discovery("incidentio", address, f"incident.io at {address}")
    assert pages.requests.count("/openai/api/v2/summary.json") == 1  # one request serves both signs


@pytest.mark.parametrize("first", ["statuspage", "incidentio"])
async def test_statuspage_and_incident_io_are_told_apart_whichever_is_tried_first(pages, fetcher, first):
    formats = {first: FORMATS[first], **{k: FORMATS[k] for k in ("statuspage", "incidentio") if k != first}}
    atlassian, incident_io = pages.statuspage("/atlassian"), pages.incidentio("/incident-io")
    assert (await detect(atlassian, fetcher, formats)).kind == "statuspage"
    assert (await detect(incident_io, fetcher, formats)).kind == "incidentio"


async def test_a_status_io_page_is_read_through_the_api_its_html_names(pages, fetcher):
    address = pages.statusio("/gitlab")
    api = f"{pages.url}/statusio-api/1.0/status/{STATUSIO_PAGE_ID}"
    found = await detect(address, fetcher)
    assert found == Discovery("statusio", api, f"status.io at {api} (named by the page at {address})")


def test_a_status_io_page_naming_only_its_page_id_is_read_at_api_status_io():
    page = html(f'<script>window.statusPageId = "{STATUSIO_PAGE_ID}";</script>')
    answer = Answer("https://status.acme.test", 200, "text/html", page.body)
    assert statusio.FORMAT.signs[0].read(answer.url, answer) == f"https://api.status.io/1.0/status/{STATUSIO_PAGE_ID}"


async def test_the_status_io_api_url_given_directly(pages, fetcher):
    pages.statusio("/gitlab")
    api = f"{pages.url}/statusio-api/1.0/status/{STATUSIO_PAGE_ID}"
    assert await detect(api, fetcher) == Discovery("statusio", api, f"status.io at {api}")


async def test_an_rss_feed_and_an_atom_feed_given_directly(pages, fetcher):
    for address in (pages.rss("/rss"), pages.atom("/atom")):
        assert await detect(address, fetcher) == Discovery("feed", address, f"RSS/Atom at {address}")


async def test_an_html_page_linking_its_feed_is_read_through_that_feed(pages, fetcher):
    address = pages.page_with_feed("/azure")  # a relative href, resolved against the page's own URL
    feed_url = f"{pages.url}/azure/status.rss"
    found = await detect(address, fetcher)
    assert found == Discovery("feed", feed_url, f"RSS/Atom at {feed_url} (named by the page at {address})")


async def test_instatus_better_stack_and_cachet_pages(pages, fetcher):
    for kind, address in (("instatus", pages.instatus("/railway")), ("betterstack", pages.betterstack("/fireworks")),
                          ("cachet", pages.cachet("/cachet"))):
        assert await detect(address, fetcher) == Discovery(kind, address, f"{_NAMES[kind]} at {address}")


_NAMES = {"instatus": "Instatus", "betterstack": "Better Stack", "cachet": "Cachet"}


# ---------------------------------------------------------------- redirects


async def test_a_page_that_moved_is_configured_at_its_new_address(pages, fetcher):
    new = pages.statuspage("/stripestatus")
    old = pages.redirect("/stripe", "/stripestatus")
    found = await detect(old, fetcher)
    assert found == Discovery("statuspage", new, f"Statuspage at {new} (redirected from {old})")


async def test_a_redirect_to_another_local_port_is_refused(pages, fetcher):
    with Platforms() as elsewhere:
        elsewhere.statuspage("/acme")
        pages.redirect("/acme", f"{elsewhere.url}/acme")
        with pytest.raises(UnknownPlatform) as refused:
            await detect(f"{pages.url}/acme", fetcher)
        assert elsewhere.requests == []
    assert "redirect refused" in str(refused.value)


async def test_a_feed_link_into_another_local_port_is_not_followed(pages, fetcher):
    with Platforms() as internal:
        feed_url = internal.rss("/secret")
        address = pages.page(
            "/lure", {"": html(feed_link(feed_url) + feed_link("javascript:alert(1)"))})
        with pytest.raises(UnknownPlatform) as unknown:
            await detect(address, fetcher)
        assert internal.requests == []
    assert "RSS/Atom (the page: looked like it, but" in str(unknown.value)
    assert "redirect refused" in str(unknown.value)


# ---------------------------------------------------------------- unknown and unreachable


async def test_an_html_only_page_is_an_unknown_platform_named_in_one_line(pages, fetcher):
    address = pages.page("/plain", {"": html()})
    with pytest.raises(UnknownPlatform) as unknown:
        await detect(address, fetcher)
    assert str(unknown.value) == (
        f"no known status page platform at {address}: incident.io (/api/v2/summary.json: 404), "
        "Statuspage (404), Instatus (/summary.json: 404), Better Stack (/index.json: 404), "
        "status.io (the page is HTML naming no status.io page), Cachet (/api/v1/ping: 404), "
        "RSS/Atom (the page is HTML without a feed link), Google Cloud (/incidents.json: 404), "
        "Slack (/api/v2.0.0/current: 404)"
    )


async def test_a_page_answering_its_html_shell_for_any_path_is_unknown(pages, fetcher):
    address = pages.shell("/spa", html())
    with pytest.raises(UnknownPlatform) as unknown:
        await detect(address, fetcher)
    assert "incident.io (/api/v2/summary.json: HTML), Statuspage (HTML), Instatus (/summary.json: HTML)" in str(
        unknown.value)


async def test_a_feed_link_to_nothing_is_not_believed(pages, fetcher):
    address = pages.page("/broken", {"": html(feed_link("gone.rss"))})
    with pytest.raises(UnknownPlatform) as unknown:
        await detect(address, fetcher)
    assert f"RSS/Atom (the page: looked like it, but {pages.url}/gone.rss: 404)" in str(unknown.value)


async def test_a_summary_of_statuspage_shape_whose_documents_do_not_read_is_not_believed(pages, fetcher):
    # A page object and a status, but components that are not a list: the sign proposes, the parser refuses.
    summary = b'{"page": {"id": "abcdefghijkl"}, "status": {"indicator": "none"}, "incidents": {"x": 1}}'
    address = pages.page("/odd", {"/api/v2/summary.json": Reply(200, JSON, summary)})
    with pytest.raises(UnknownPlatform) as unknown:
        await detect(address, fetcher)
    assert "Statuspage (looked like it, but /api/v2/summary.json: not a Statuspage summary: 'incidents' is not a list)" \
        in str(unknown.value)


async def test_an_unreachable_address_raises_its_fetch_error(fetcher):
    with pytest.raises(FetchError) as unreachable:
        await detect(f"http://127.0.0.1:{free_port()}/acme", fetcher)
    assert type(unreachable.value) is FetchError and unreachable.value.reason == "connection"


async def test_an_address_that_is_no_url_is_refused_without_a_request(fetcher):
    with pytest.raises(ParseError) as refused:
        await detect("status.acme.com", fetcher)
    assert str(refused.value) == "the address is not a valid http(s) URL with a host"


# ---------------------------------------------------------------- hostile pages


@pytest.fixture(scope="module")
def hostile():
    with HostileServer() as server:
        yield server


@pytest.mark.parametrize("mode", sorted(set(MODES) - {"trickle"}))
async def test_a_hostile_page_raises_only_an_unknown_platform_or_a_fetch_error(hostile, fetcher, mode):
    with pytest.raises((UnknownPlatform, FetchError)) as failed:
        await detect(hostile.page_url(mode), fetcher)
    assert "\n" not in str(failed.value)


async def test_a_huge_html_page_is_cut_at_the_cap_and_named(pages):
    huge = Reply(200, HTML, b"<html><head>" + b"<meta name=x>" * 200_000 + b"</head></html>")
    address = pages.page("/huge", {"": huge})
    small = Fetcher(timeout=3.0, max_bytes=100_000)
    try:
        with pytest.raises(UnknownPlatform) as unknown:
            await detect(address, small)
    finally:
        await small.aclose()
    assert "status.io (the page: too large), Cachet (/api/v1/ping: 404), RSS/Atom (too large)" in str(unknown.value)


# ---------------------------------------------------------------- the fetcher's probe


async def test_probe_returns_any_status_with_its_media_type_and_body(pages, fetcher):
    address = pages.page("/p", {"": html()})
    missing = await fetcher.probe(f"{address}/nothing")
    assert (missing.status, missing.content_type) == (404, "text/html")
    page = await fetcher.probe(address)
    assert (page.url, page.status, page.content_type) == (address, 200, "text/html")
    assert page.body.startswith(b"<!DOCTYPE html>")


async def test_probe_follows_a_redirect_and_reports_where_the_answer_came_from(pages, fetcher):
    new = pages.statuspage("/new")
    pages.redirect("/old", "/new")
    answer = await fetcher.probe(f"{pages.url}/old/api/v2/summary.json")
    assert (answer.url, answer.status) == (f"{new}/api/v2/summary.json", 200)
