"""The fetcher against real local HTTP servers: validators, body hashes, caps and deadlines."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib

import pytest
import trustme

from bot.fetch import USER_AGENT, Fetcher
from bot.model import FetchError, Validators
from bot.urls import redacted
from tests.fakes.proxy import ForwardProxy


@pytest.fixture
async def fetcher():
    client = Fetcher(timeout=2.0, max_bytes=100_000)
    yield client
    await client.aclose()


async def test_etag_page_answers_304_once_known(pages, fetcher):
    pages.serve("/s.json", {"a": 1})
    first = await fetcher.fetch(f"{pages.url}/s.json", None)
    assert first.changed and first.validators.etag
    second = await fetcher.fetch(f"{pages.url}/s.json", first.validators)
    assert not second.changed and pages.not_modified["/s.json"] == 1
    pages.serve("/s.json", {"a": 2})
    third = await fetcher.fetch(f"{pages.url}/s.json", second.validators)
    assert third.changed and third.body == b'{"a": 2}'


async def test_page_without_validators_is_recognised_by_body_hash(pages, fetcher):
    pages.serve("/s.json", {"a": 1}, etag=False)
    first = await fetcher.fetch(f"{pages.url}/s.json", None)
    assert first.validators.etag is None and first.validators.body_hash
    again = await fetcher.fetch(f"{pages.url}/s.json", first.validators)
    assert not again.changed and pages.not_modified["/s.json"] == 0


@pytest.mark.parametrize("status,headers,reason,retry_after", [
    (500, {}, "HTTP 500", None),
    (404, {}, "HTTP 404", None),
    (429, {"Retry-After": "30"}, "HTTP 429", 30.0),
    (503, {"Retry-After": "5"}, "HTTP 503", 5.0),
])
async def test_http_errors_carry_a_short_reason_and_the_url(pages, fetcher, status, headers, reason, retry_after):
    pages.serve("/s.json", b"oops", status=status, headers=headers)
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(f"{pages.url}/s.json", None)
    assert caught.value.reason == reason and caught.value.retry_after == retry_after
    assert str(caught.value) == f"{reason}: {pages.url}/s.json"


async def test_an_error_names_the_url_without_its_secrets(pages, fetcher):
    """A token can sit in the userinfo or in the query: neither reaches the message."""
    pages.serve("/s.json", b"gone", status=404)
    host = pages.url.removeprefix("http://")
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(f"http://bot:hunter2@{host}/s.json?token=sk-SECRET&page=2#frag", None)
    assert str(caught.value) == f"HTTP 404: {pages.url}/s.json?token=***&page=***"
    with pytest.raises(FetchError) as refused:
        await fetcher.fetch("http://user:sk-SECRET@127.0.0.1:9/s.json?key=sk-SECRET", None)
    message = str(refused.value)
    assert message.startswith("connection: http://127.0.0.1:9/s.json?key=***: ") and "SECRET" not in message
    assert message.count("127.0.0.1") == 1, "the cause does not repeat the URL"


@pytest.mark.parametrize("url,shown", [
    ("https://status.acme.com/api/v2/summary.json", "https://status.acme.com/api/v2/summary.json"),
    ("https://u:p@[::1]:8443/feed?a=1&b=&c", "https://[::1]:8443/feed?a=***&b=***&c=***"),
    ("http://h:99999/x", "(not a valid URL)"),
])
def test_redacted_keeps_only_what_is_not_secret(url, shown):
    assert redacted(url) == shown


async def test_declared_oversize_body_is_refused(pages, fetcher):
    pages.serve("/big.json", b"x" * 200_000)
    with pytest.raises(FetchError, match="too large"):
        await fetcher.fetch(f"{pages.url}/big.json", None)


async def raw_server(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def answering(answer: bytes):
    """A server that answers every request with these raw bytes, then hangs up."""
    async def handler(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    return await raw_server(handler)


async def test_unchanged_answers_keep_their_connection(fetcher):
    """A 304 and an identical 200 leave their connection to the next conditional request."""
    connections = 0
    answers = {False: b'HTTP/1.1 200 OK\r\nETag: "v1"\r\nContent-Length: 8\r\n\r\n{"a": 1}',
               True: b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'}

    async def handler(reader, writer):
        nonlocal connections
        connections += 1
        for _ in range(5):  # the test's five requests, then it hangs up
            conditional = b"if-none-match" in (await reader.readuntil(b"\r\n\r\n")).lower()
            writer.write(answers[conditional])
            await writer.drain()
        writer.close()

    server, url = await raw_server(handler)
    async with server:
        first = await fetcher.fetch(url, None)
        same = await fetcher.fetch(url, Validators(body_hash=first.validators.body_hash))
        for _ in range(3):
            assert not (await fetcher.fetch(url, first.validators)).changed
    assert not same.changed and connections == 1


@pytest.mark.parametrize("encoding,encode", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
])
async def test_a_compressed_page_is_decoded(fetcher, encoding, encode):
    document = b'{"components": [' + b'{"id": "c1", "status": "operational"},' * 500 + b'{}]}'
    asked: list[bytes] = []

    async def handler(reader, writer):
        asked.append(await reader.readuntil(b"\r\n\r\n"))
        body = encode(document)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n%s"
                     % (encoding.encode(), len(body), body))
        await writer.drain()
        writer.close()

    server, url = await raw_server(handler)
    async with server:
        fetched = await fetcher.fetch(url, None)
    assert fetched.body == document
    assert b"accept-encoding: gzip, deflate" in asked[0].lower()


async def test_gzip_bomb_is_stopped_at_the_cap(fetcher):
    bomb = gzip.compress(b"\0" * 20_000_000)

    async def handler(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb) + bomb)
        await writer.drain()
        writer.close()

    server, url = await raw_server(handler)
    async with server:
        with pytest.raises(FetchError, match="too large"):
            await fetcher.fetch(url, None)


async def test_undeclared_stream_is_stopped_at_the_cap(fetcher):
    async def handler(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for _ in range(50):
            writer.write(b"y" * 10_000)
            await writer.drain()
        writer.close()

    server, url = await raw_server(handler)
    async with server:
        with pytest.raises(FetchError, match="too large"):
            await fetcher.fetch(url, None)


async def test_a_page_trickling_bytes_hits_the_deadline():
    async def handler(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        try:
            for _ in range(100):
                writer.write(b"{")
                await writer.drain()
                await asyncio.sleep(0.05)  # each byte arrives well within any read timeout
        except ConnectionError:
            pass

    server, url = await raw_server(handler)
    impatient = Fetcher(timeout=0.5)
    try:
        async with server:
            with pytest.raises(FetchError, match=r"^timeout: http://127\.0\.0\.1:\d+: no complete answer within 0\.5s$"):
                await impatient.fetch(url, None)
    finally:
        await impatient.aclose()


async def test_redirect_loop_and_refused_connection_are_reported(pages, fetcher):
    pages.serve("/loop", b"", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match=r"^redirects: .*/loop: more than 5 redirects$"):
        await fetcher.fetch(f"{pages.url}/loop", None)
    with pytest.raises(FetchError, match=r"^connection: http://127\.0\.0\.1:9/nothing: .+"):
        await fetcher.fetch("http://127.0.0.1:9/nothing", None)
    with pytest.raises(FetchError, match=r"^connection: .*not a valid URL"):
        await fetcher.fetch("http://[::1/s.json", None)
    with pytest.raises(FetchError, match=r"^connection: ftp://127\.0\.0\.1/s\.json: not an http or https URL$"):
        await fetcher.fetch("ftp://127.0.0.1/s.json", None)


async def test_a_redirect_is_followed_with_our_user_agent_and_no_referer(fetcher):
    """Status pages learn who polls them (some CDNs refuse Python's default agent), and a
    redirect's target never learns where we came from."""
    asked: list[bytes] = []

    async def handler(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        asked.append(head.lower())
        if head.startswith(b"GET /old "):
            writer.write(b"HTTP/1.1 301 Moved\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n")
        else:
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\n{"a": 1}')
        await writer.drain()
        writer.close()

    server, url = await raw_server(handler)
    async with server:
        fetched = await fetcher.fetch(f"{url}/old", None)
    assert fetched.body == b'{"a": 1}'
    assert [head.split(b" ", 2)[1] for head in asked] == [b"/old", b"/new"]
    for head in asked:
        assert f"user-agent: {USER_AGENT}".lower().encode() in head
        assert b"referer" not in head and b"cookie" not in head


async def test_a_page_with_only_last_modified_is_asked_if_modified_since(fetcher):
    stamp = b"Tue, 24 Feb 2026 00:54:58 GMT"
    asked: list[bytes] = []

    async def handler(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        asked.append(head.lower())
        if b"if-modified-since: " + stamp.lower() in head.lower():
            writer.write(b"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nLast-Modified: %s\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"
                         b'{"a": 1}' % stamp)
        await writer.drain()
        writer.close()

    server, url = await raw_server(handler)
    async with server:
        first = await fetcher.fetch(url, None)
        again = await fetcher.fetch(url, first.validators)
    assert first.changed and first.validators.last_modified == stamp.decode() and first.validators.etag is None
    assert not again.changed and again.validators == first.validators
    assert b"if-modified-since" not in asked[0] and b"if-none-match" not in asked[1]


async def test_a_bad_encoding_is_reported(fetcher):
    async def handler(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        encoding = b"br" if len(asked) else b"gzip"
        asked.append(encoding)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
                     b"not gzip!" % encoding)
        await writer.drain()
        writer.close()

    asked: list[bytes] = []
    server, url = await raw_server(handler)
    async with server:
        with pytest.raises(FetchError, match=r"^bad encoding: http://.*: .*header"):
            await fetcher.fetch(url, None)
        with pytest.raises(FetchError, match=r"^bad encoding: http://.*: unsupported Content-Encoding 'br'$"):
            await fetcher.fetch(url, None)


@pytest.mark.parametrize("answer,named", [
    (b"garbage SECRET line\r\n\r\n", "Bad status line"),
    (b"HTTP/1.1 999999 SECRET\r\n\r\n", "Bad status line"),
    (b"HTTP/1.1 200 OK\r\nX\x01y: SECRET\r\n\r\n", "Invalid header token"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 12SECRET\r\n\r\n", "Invalid character in Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzzSECRET\r\n", "Invalid character in chunk size"),
    (b"HTTP/1.1 200 OK\r\nX: " + b"SECRET" * 2000 + b"\r\n\r\n", "Got more than 8190 bytes when reading"),
])
async def test_an_unreadable_answer_is_named_without_quoting_it(fetcher, answer, named):
    """aiohttp's own message quotes the offending bytes, over several lines: only its name is kept."""
    server, url = await answering(answer)
    async with server:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url, None)
    assert str(caught.value) == f"connection: {url}: unreadable answer: {named}"


async def test_an_unknown_encoding_is_named_in_a_few_characters(fetcher):
    server, url = await answering(b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: 2\r\n\r\n{}" % (b"x" * 4000))
    async with server:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url, None)
    assert str(caught.value) == f"bad encoding: {url}: unsupported Content-Encoding '{'x' * 32}'"


async def test_a_proxy_from_the_environment_is_used(pages, monkeypatch):
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        proxied = Fetcher(timeout=2.0)
        try:
            pages.serve("/s.json", {"a": 1})
            first = await proxied.fetch(f"{pages.url}/s.json", None)
            again = await proxied.fetch(f"{pages.url}/s.json", first.validators)
        finally:
            await proxied.aclose()
    assert first.body == b'{"a": 1}' and not again.changed
    assert proxy.requests == [f"{pages.url}/s.json"] * 2 and pages.not_modified["/s.json"] == 1


async def test_https_pages_are_checked_against_the_system_trust_store(monkeypatch, tmp_path):
    """A certificate from an unknown authority is a reported failure; SSL_CERT_FILE (how operators
    trust a private or intercepting proxy's CA) makes it trusted."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)

    async def handler(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 8\r\nETag: "v1"\r\n\r\n{"a": 1}')
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context)
    url = f"https://localhost:{server.sockets[0].getsockname()[1]}/s.json"
    async with server:
        untrusting = Fetcher(timeout=2.0)
        try:
            with pytest.raises(FetchError, match=r"^connection: https://localhost:\d+/s\.json: invalid peer certificate"):
                await untrusting.fetch(url, None)
        finally:
            await untrusting.aclose()
        authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        trusting = Fetcher(timeout=2.0)
        try:
            fetched = await trusting.fetch(url, None)
        finally:
            await trusting.aclose()
    assert fetched.body == b'{"a": 1}' and fetched.validators.etag == '"v1"'
