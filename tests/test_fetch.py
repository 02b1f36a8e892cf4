"""The fetcher against real local HTTP servers: validators, body hashes, caps and deadlines."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib

import pytest
import trustme

from bot.fetch import Fetcher
from bot.model import FetchError
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
async def test_http_errors_carry_a_short_reason(pages, fetcher, status, headers, reason, retry_after):
    pages.serve("/s.json", b"oops", status=status, headers=headers)
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(f"{pages.url}/s.json", None)
    assert caught.value.reason == reason and caught.value.retry_after == retry_after


async def test_declared_oversize_body_is_refused(pages, fetcher):
    pages.serve("/big.json", b"x" * 200_000)
    with pytest.raises(FetchError, match="too large"):
        await fetcher.fetch(f"{pages.url}/big.json", None)


async def raw_server(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


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


async def test_a_page_trickling_bytes_hits_the_deadline(fetcher):
    async def handler(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        try:
            for _ in range(100):
                writer.write(b"{")
                await writer.drain()
                await asyncio.sleep(0.3)  # each byte arrives well within any read timeout
        except ConnectionError:
            pass

    server, url = await raw_server(handler)
    async with server:
        with pytest.raises(FetchError, match="timeout"):
            await fetcher.fetch(url, None)


async def test_redirect_loop_and_refused_connection_are_reported(pages, fetcher):
    pages.serve("/loop", b"", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="redirects"):
        await fetcher.fetch(f"{pages.url}/loop", None)
    with pytest.raises(FetchError, match="connection"):
        await fetcher.fetch("http://127.0.0.1:9/nothing", None)



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
            with pytest.raises(FetchError, match="connection: invalid peer certificate"):
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
