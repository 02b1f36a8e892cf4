"""Fetching status pages: one shared HTTP client, conditional requests, a size cap, a deadline,
and redirects that cannot lead into the operator's network.

A page that sends validators is asked `If-None-Match` / `If-Modified-Since` and may answer 304.
A page that sends none (incident.io) is hashed: an identical body is not parsed again.

Redirects are followed here, not by aiohttp, so that each hop is judged: http(s) only, and away
from the configured URL's own host never to a loopback, private, link-local, unspecified or
otherwise non-public address. A name is judged by the connector's resolver on the addresses it
returns, the very ones connected to (a name cannot pass a check and then rebind to 127.0.0.1).

Pages are fetched with aiohttp: mature, already required by slack_sdk's async client and the
HTTP endpoint, and cheap per request (bench/README.md has figures). Notifiers keep httpx (their
client is built by the composition root, bot/root.py): they send a few requests, not thousands.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import os
import re
import socket
import ssl
import urllib.request
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.helpers import get_env_proxy_for_url, proxies_from_env
from aiohttp.resolver import DefaultResolver
from yarl import URL

from bot.model import Answer, FetchError, Validators
from bot.retry_after import parse_retry_after
from bot.urls import redacted

USER_AGENT = "statusbot/0.1 (self-hosted status page relay; +https://pypi.org/project/statusbot/)"
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Bodies are read and decoded this much at a time: a hostile page never costs more than the cap.
READ_CHUNK = 64 * 1024
# Detection reads a page's HTML and feeds as well as its JSON.
_PROBE_HEADERS = {"Accept": "application/json, application/rss+xml, application/atom+xml, text/html;q=0.9, */*;q=0.5"}

_T = TypeVar("_T")


@dataclass(frozen=True)
class FetchResult:
    """`body` is None when the page did not change (304, or the same bytes as last time)."""

    body: bytes | None
    validators: Validators

    @property
    def changed(self) -> bool:
        return self.body is not None


class Fetcher:
    def __init__(self, timeout: float = 20.0, max_bytes: int = 5_000_000, max_connections: int = 100):
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_connections = max_connections
        # Requests beyond the connection limit wait here, before their deadline starts: thousands
        # of pages polled at once queue up instead of timing out inside the pool.
        self._slots = asyncio.Semaphore(max_connections)
        self._session: aiohttp.ClientSession | None = None  # made in the running loop, on first use
        # Each page's URLs, parsed once: given a str, aiohttp makes a new URL on every request and
        # works out its host, path and origin again, about a sixth of the client's CPU for a 304.
        # The kept URL holds them: about 700 bytes a URL, 34 MB at 17,000 pages (bench/README.md).
        self._parsed: dict[str, URL] = {}
        # Hosts that may resolve to internal addresses: the configured pages' (the operator chose
        # them) and the proxy's. Shared with the resolver, which refuses that to any other host.
        self._trusted: set[str] = set()
        self._guard: _GuardedResolver | None = None  # made with the session
        self._proxied = False

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._guard is not None:  # the connector closes only a resolver it made itself
            await self._guard.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            # HTTP(S)_PROXY and NO_PROXY, as operators expect; only when a proxy is set, since
            # aiohttp then also reads ~/.netrc in a thread on every request.
            self._proxied = bool(urllib.request.getproxies())
            if self._proxied:
                self._trusted.update(info.proxy.raw_host for info in proxies_from_env().values()
                                     if info.proxy.raw_host)
            self._guard = _GuardedResolver(self._trusted)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.max_connections, limit_per_host=0, resolver=self._guard,
                    # Made now, not at aiohttp's import: SSL_CERT_FILE / SSL_CERT_DIR (a private
                    # CA, an intercepting proxy's) are read when the context is made.
                    ssl=ssl.create_default_context(),
                ),
                # One deadline for the whole exchange, from connecting to the last byte of the body:
                # a page trickling a byte a second cannot stall us.
                timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=min(self.timeout, 10.0)),
                # Bodies are decoded here, within the size cap, so only encodings we decode are asked.
                auto_decompress=False,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json, */*;q=0.5",
                         "Accept-Encoding": "gzip, deflate"},
                cookie_jar=aiohttp.DummyCookieJar(),  # status pages' cookies are nothing to keep
                trust_env=self._proxied,
            )
        return self._session

    async def fetch(self, url: str, previous: Validators | None) -> FetchResult:
        """GET `url`, conditionally on `previous`. Raises FetchError naming the (redacted) URL and
        a short reason; the cause is named without the URL that aiohttp's own messages repeat."""
        return await self._guarded(url, lambda: self._fetch(url, previous or Validators()))

    async def probe(self, url: str, linked_from: str | None = None) -> Answer:
        """GET `url` for platform detection: whatever its status, the answer (redirects followed as
        `fetch` follows them, the body capped alike). Raises FetchError only when there is no
        answer to give: no connection, a timeout, a refused redirect, a body over the cap.

        `linked_from` is the address of the page whose answer named `url` (a feed its HTML links,
        the API a page refers to): `url` is then judged as a redirect from that page would be, so
        a page cannot send detection to an address of the operator's network.
        """
        return await self._guarded(url, lambda: self._probe(url, linked_from))

    async def _guarded(self, url: str, request: Callable[[], Awaitable[_T]]) -> _T:
        """`request` made within the connection limit, its failures raised as FetchError."""
        try:
            async with self._slots:
                return await request()
        except _Refused as exc:
            raise FetchError(exc.reason, _detail(url, exc.cause), exc.retry_after) from None
        except TimeoutError:
            raise FetchError("timeout", _detail(url, f"no complete answer within {self.timeout:g}s")) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise FetchError("connection", _detail(url, _cause(exc))) from None

    async def _fetch(self, url: str, previous: Validators) -> FetchResult:
        headers = {}
        if previous.etag:
            headers["If-None-Match"] = previous.etag
        if previous.last_modified:
            headers["If-Modified-Since"] = previous.last_modified
        page = self._url(url)
        return await self._follow(page, page, headers, lambda response: self._answer(response, previous))

    async def _probe(self, url: str, linked_from: str | None) -> Answer:
        if linked_from is None:
            page = target = self._url(url)
        else:  # not trusted as a configured page is: judged as the linking page's redirect
            page = self._url(linked_from)
            self._client()  # the hop's judges (the resolver, the proxy settings) come with the session
            target = await self._next_hop(page, page, url)

        async def answer(response: aiohttp.ClientResponse) -> Answer:
            media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
            return Answer(str(response.url), response.status, media_type, await self._read_capped(response))

        return await self._follow(page, target, _PROBE_HEADERS, answer)

    async def _follow(self, page: URL, target: URL, headers: Mapping[str, str],
                      answer: Callable[[aiohttp.ClientResponse], Awaitable[_T]]) -> _T:
        """GET `target`, following the redirects `page` may make, and read the final answer."""
        for _ in range(MAX_REDIRECTS + 1):
            # No Referer, here or on a hop: a redirect's target never learns the page's URL.
            async with self._client().get(target, headers=headers, allow_redirects=False) as response:
                location = response.headers.get("Location") if response.status in _REDIRECTS else None
                if location is None:
                    return await answer(response)
            target = await self._next_hop(page, target, location)
        raise _Refused("redirects", f"more than {MAX_REDIRECTS} redirects")

    async def _answer(self, response: aiohttp.ClientResponse, previous: Validators) -> FetchResult:
        if response.status == 304:
            # No body to read: leaving the block releases the connection to the pool as it is.
            return FetchResult(None, previous)
        if response.status != 200:
            raise _Refused(f"HTTP {response.status}", retry_after=parse_retry_after(
                response.headers.get("Retry-After")))
        body = await self._read_capped(response)
        validators = Validators(
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            body_hash=hashlib.sha256(body).hexdigest(),
        )
        if validators.body_hash == previous.body_hash:
            return FetchResult(None, validators)
        return FetchResult(body, validators)

    async def _next_hop(self, page: URL, current: URL, location: str) -> URL:
        """Where `location` leads from `current`, if the page at `page` may send us there."""
        try:
            hop = current.join(URL(location))
        except ValueError:
            raise _Refused(_REDIRECT_REFUSED, "its Location is not a valid URL") from None
        if hop.scheme not in ("http", "https"):
            raise _Refused(_REDIRECT_REFUSED, f"to a {_shown(hop.scheme)}: URL, only http and https are followed")
        if not hop.raw_host:
            raise _Refused(_REDIRECT_REFUSED, "its Location has no host")
        # The page's own host, on its port or a scheme's default one (http to https): whatever
        # the page is, it may move within itself.
        if hop.raw_host == page.raw_host and (hop.port == page.port or hop.is_default_port()):
            return hop
        try:
            literal = ipaddress.ip_address(hop.host or "")
        except ValueError:
            literal = None
        if literal is not None:  # aiohttp connects to it without the resolver, a proxy too
            if kind := _internal(literal):
                raise _Refused(_REDIRECT_REFUSED, f"to {hop.origin()}, {kind}")
        elif hop.raw_host in self._trusted and not self._through_proxy(hop):
            # Another configured page's host, which the resolver lets be internal: judged here.
            assert self._guard is not None  # made with the session that asked for this hop
            await self._guard.judge(hop.raw_host, hop.port or 0)
        # Any other name is judged by the resolver when connecting; through a proxy, the proxy
        # resolves names, so only literal addresses can be judged.
        return hop

    def _through_proxy(self, url: URL) -> bool:
        if not self._proxied:
            return False
        try:
            get_env_proxy_for_url(url)
        except LookupError:  # NO_PROXY, or no proxy for this scheme
            return False
        return True

    def _url(self, url: str) -> URL:
        parsed = self._parsed.get(url)
        if parsed is None:
            try:
                parsed = self._parsed[url] = URL(url)
            except ValueError:  # as aiohttp says it of a str URL it cannot parse
                raise aiohttp.InvalidUrlClientError(url) from None
            if parsed.raw_host:
                self._trusted.add(parsed.raw_host)
        return parsed

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, decoded here rather than by aiohttp, so that decompression stops at the cap:
        a gzip bomb never inflates past `max_bytes` in memory."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise _Refused("too large", f"{declared} bytes declared, cap is {self.max_bytes}")
        decoder = _decoder(response.headers.get("Content-Encoding", ""))
        body = bytearray()
        try:
            async for raw in response.content.iter_chunked(READ_CHUNK):
                body += decoder.decompress(raw, self.max_bytes + 1 - len(body)) if decoder else raw
                if len(body) > self.max_bytes or (decoder and decoder.unconsumed_tail):
                    raise _Refused("too large", f"more than {self.max_bytes} bytes")
            if decoder:
                body += decoder.flush()
        except zlib.error as exc:
            raise _Refused("bad encoding", str(exc)) from None
        except aiohttp.ClientPayloadError:
            raise _Refused("connection", "the body ended before it was complete") from None
        return bytes(body)


class _GuardedResolver(AbstractResolver):
    """aiohttp's own resolver, refusing a host's internal addresses unless the host is trusted.

    It sits in the connector, so it judges the addresses actually connected to, on every lookup
    (aiohttp caches answers for 10 s, and only answers that passed). It cannot know which page a
    request is for, so the hosts of all configured pages are trusted, and `_next_hop` judges a
    hop from one configured page to another's host itself. The refusal is raised as `_Refused`:
    aiohttp passes on unchanged what is not an OSError."""

    def __init__(self, trusted: set[str]) -> None:
        self._inner = DefaultResolver()
        self._trusted = trusted

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        resolved = await self._inner.resolve(host, port, family)
        if host not in self._trusted:
            _refuse_internal(host, port, resolved)
        return resolved

    async def judge(self, host: str, port: int) -> None:
        """Refuse `host`, trusted or not, when it resolves to an internal address."""
        _refuse_internal(host, port, await self._inner.resolve(host, port, socket.AF_UNSPEC))

    async def close(self) -> None:
        await self._inner.close()


_REDIRECT_REFUSED = "redirect refused"
# IPv6 forms that lead to an IPv4 address (mapped, NAT64): judged on that address.
_CARRYING_IPV4 = (ipaddress.IPv6Network("::ffff:0:0/96"), ipaddress.IPv6Network("64:ff9b::/96"))


def _refuse_internal(host: str, port: int, resolved: list[ResolveResult]) -> None:
    for answer in resolved:
        if kind := _internal(ipaddress.ip_address(answer["host"])):
            raise _Refused(_REDIRECT_REFUSED, f"to {_shown(host)}:{port}, which resolves to {answer['host']}, {kind}")


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What makes `address` one a redirect may not lead to; None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and any(address in network for network in _CARRYING_IPV4):
        address = ipaddress.IPv4Address(address.packed[12:])
    kinds = (("a loopback", address.is_loopback), ("a link-local", address.is_link_local),
             ("the unspecified", address.is_unspecified), ("a multicast", address.is_multicast),
             ("a private", address.is_private), ("a non-public", not address.is_global))
    return next((f"{kind} address" for kind, matches in kinds if matches), None)


def _shown(text: str) -> str:
    """Page-supplied text (a host, a scheme) fit for one log line."""
    return text if text.isprintable() else ascii(text)


class _Refused(Exception):
    """A page's answer or redirect refused (in `_fetch` or the resolver); `fetch` turns it into a
    FetchError naming the URL."""

    def __init__(self, reason: str, cause: str = "", retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.cause = cause
        self.retry_after = retry_after


def _detail(url: str, cause: str) -> str:
    return f"{redacted(url)}: {cause}" if cause else redacted(url)


def _cause(exc: BaseException) -> str:
    """What went wrong, without the host and port that aiohttp's own messages repeat."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"invalid peer certificate: {getattr(exc.certificate_error, 'verify_message', '') or exc.certificate_error}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        error = exc.os_error  # asyncio's strerror repeats the address ("Connect call failed (...)")
        if error.errno and error.errno > 0:
            return os.strerror(error.errno)
        return error.strerror or str(error) or type(error).__name__
    if isinstance(exc, aiohttp.InvalidURL):
        return "not a valid URL"
    if isinstance(exc, aiohttp.NonHttpUrlClientError):
        return "not an http or https URL"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"unreadable answer: {_complaint(exc.message)}"
    return str(exc) or type(exc).__name__


def _complaint(message: str) -> str:
    """aiohttp's description of a malformed answer ("Bad status line", "Invalid header token")
    without what follows it: the offending bytes of the answer, quoted."""
    return re.split(r"[:'\"\n]", message, maxsplit=1)[0].strip()[:60] or "malformed HTTP"


def _decoder(encoding: str) -> zlib._Decompress | None:
    """A decompressor for a Content-Encoding we asked for (gzip, deflate); None for identity."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise _Refused("bad encoding", f"unsupported Content-Encoding {encoding[:32]!r}")
