"""Fetching status pages: one shared HTTP client, conditional requests, a size cap, a deadline.

A page that sends validators is asked `If-None-Match` / `If-Modified-Since` and may answer 304.
A page that sends none (incident.io) is hashed: an identical body is not parsed again.

Pages are fetched with aiohttp: mature, already required by slack_sdk's async client and the
HTTP endpoint, and cheap per request (bench/README.md has figures). Notifiers keep httpx (their
client is built by the composition root, bot/root.py): they send a few requests, not thousands.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl
import urllib.request
import zlib
from dataclasses import dataclass

import aiohttp
from yarl import URL

from bot.model import FetchError
from bot.retry_after import parse_retry_after
from bot.urls import redacted

USER_AGENT = "statusbot/0.1 (self-hosted status page relay; +https://pypi.org/project/statusbot/)"
MAX_REDIRECTS = 5
# Bodies are read and decoded this much at a time: a hostile page never costs more than the cap.
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Validators:
    """What a page told us to send back to learn whether it changed."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


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

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.max_connections, limit_per_host=0,
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
                # HTTP(S)_PROXY and NO_PROXY, as operators expect; only when a proxy is set, since
                # aiohttp then also reads ~/.netrc in a thread on every request.
                trust_env=bool(urllib.request.getproxies()),
            )
        return self._session

    async def fetch(self, url: str, previous: Validators | None) -> FetchResult:
        """GET `url`, conditionally on `previous`. Raises FetchError naming the (redacted) URL and
        a short reason; the cause is named without the URL that aiohttp's own messages repeat."""
        try:
            async with self._slots:
                return await self._fetch(url, previous or Validators())
        except _Refused as exc:
            raise FetchError(exc.reason, _detail(url, exc.cause), exc.retry_after) from None
        except TimeoutError:
            raise FetchError("timeout", _detail(url, f"no complete answer within {self.timeout:g}s")) from None
        except aiohttp.TooManyRedirects:
            raise FetchError("redirects", _detail(url, f"more than {MAX_REDIRECTS} redirects")) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise FetchError("connection", _detail(url, _cause(exc))) from None

    async def _fetch(self, url: str, previous: Validators) -> FetchResult:
        headers = {}
        if previous.etag:
            headers["If-None-Match"] = previous.etag
        if previous.last_modified:
            headers["If-Modified-Since"] = previous.last_modified
        async with self._client().get(self._url(url), headers=headers, max_redirects=MAX_REDIRECTS) as response:
            if response.status == 304:
                # Read the (empty) body: an unread response would close its connection, and
                # the next conditional request would pay for a new one.
                await response.read()
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

    def _url(self, url: str) -> URL:
        parsed = self._parsed.get(url)
        if parsed is None:
            try:
                parsed = self._parsed[url] = URL(url)
            except ValueError:  # as aiohttp says it of a str URL it cannot parse
                raise aiohttp.InvalidUrlClientError(url) from None
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


class _Refused(Exception):
    """A page's answer refused inside `_fetch`; `fetch` turns it into a FetchError naming the URL."""

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
        return f"unreadable answer: {exc.message}"
    return str(exc) or type(exc).__name__


def _decoder(encoding: str) -> zlib._Decompress | None:
    """A decompressor for a Content-Encoding we asked for (gzip, deflate); None for identity."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise _Refused("bad encoding", f"unsupported Content-Encoding {encoding!r}")
