"""Fetching status pages: one shared HTTP client, conditional requests, a size cap, a deadline.

A page that sends validators is asked `If-None-Match` / `If-Modified-Since` and may answer 304.
A page that sends none (incident.io) is hashed: an identical body is not parsed again.

Pages are fetched with pyreqwest (Rust's reqwest and hyper under asyncio): at ten thousand pages
a minute the HTTP client is most of the bot's CPU; pyreqwest spends about 70% of aiohttp's per
request with 10–50 in flight, and keeps the deadline, the pool and the redirects out of Python
(bench/README.md has figures). Notifiers keep httpx (`delivery_client`): they send a few
requests, not thousands.
"""

from __future__ import annotations

import asyncio
import hashlib
import zlib
from dataclasses import dataclass
from datetime import timedelta

import httpx
from pyreqwest.client import Client, ClientBuilder
from pyreqwest.exceptions import DetailedPyreqwestError, RedirectError, RequestTimeoutError
from pyreqwest.response import Response

from bot.model import FetchError
from bot.retry_after import parse_retry_after
from bot.state import Validators

USER_AGENT = "statusbot/0.1 (self-hosted status page relay; +https://pypi.org/project/statusbot/)"
MAX_REDIRECTS = 5
# Bodies are read and decoded this much at a time: a hostile page never costs more than the cap.
READ_CHUNK = 64 * 1024


def delivery_client() -> httpx.AsyncClient:
    """The HTTP client notifiers share: a destination's redirect is an error, never followed."""
    return httpx.AsyncClient(timeout=30.0, follow_redirects=False, headers={"User-Agent": USER_AGENT})


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
        # of pages polled at once queue up instead of timing out in the client's pool.
        self._slots = asyncio.Semaphore(max_connections)
        self._session: Client | None = None  # made in the running loop, on first use

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _client(self) -> Client:
        if self._session is None:
            self._session = (
                ClientBuilder()
                # One deadline for the whole exchange, from connecting to the last byte of the body:
                # a page trickling a byte a second cannot stall us.
                .timeout(timedelta(seconds=self.timeout))
                .connect_timeout(timedelta(seconds=min(self.timeout, 10.0)))
                .max_redirects(MAX_REDIRECTS)
                # Bodies are decoded here, within the size cap, so only encodings we decode are asked.
                .gzip(False).deflate(False).brotli(False).zstd(False)
                .user_agent(USER_AGENT)
                .default_headers({"Accept": "application/json, */*;q=0.5", "Accept-Encoding": "gzip, deflate"})
                .build()
            )  # no cookie store; HTTP(S)_PROXY and NO_PROXY are read from the environment
        return self._session

    async def fetch(self, url: str, previous: Validators | None) -> FetchResult:
        """GET `url`, conditionally on `previous`. Raises FetchError with a short reason."""
        try:
            async with self._slots:
                return await self._fetch(url, previous or Validators())
        except RequestTimeoutError:
            raise FetchError("timeout", f"no complete answer within {self.timeout:g}s") from None
        except RedirectError:
            raise FetchError("redirects", f"more than {MAX_REDIRECTS} redirects") from None
        except DetailedPyreqwestError as exc:
            raise FetchError("connection", _cause(exc)) from None

    async def _fetch(self, url: str, previous: Validators) -> FetchResult:
        try:
            request = self._client().get(url)
        except ValueError:
            raise FetchError("connection", "not a valid URL") from None
        if previous.etag:
            request = request.header("If-None-Match", previous.etag)
        if previous.last_modified:
            request = request.header("If-Modified-Since", previous.last_modified)
        async with request.build_streamed() as response:
            if response.status == 304:
                return FetchResult(None, previous)
            headers = response.headers
            if response.status != 200:
                raise FetchError(f"HTTP {response.status}", retry_after=parse_retry_after(headers.get("retry-after")))
            body = await self._read_capped(response)
            validators = Validators(
                etag=headers.get("etag"),
                last_modified=headers.get("last-modified"),
                body_hash=hashlib.sha256(body).hexdigest(),
            )
        if validators.body_hash == previous.body_hash:
            return FetchResult(None, validators)
        return FetchResult(body, validators)

    async def _read_capped(self, response: Response) -> bytes:
        """The body, decoded here rather than by the client, so that decompression stops at the
        cap: a gzip bomb never inflates past `max_bytes` in memory."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError("too large", f"{declared} bytes declared, cap is {self.max_bytes}")
        decoder = _decoder(response.headers.get("content-encoding", ""))
        parts: list[bytes] = []
        size = 0
        reader = response.body_reader
        try:
            while (raw := await reader.read(READ_CHUNK)) is not None:
                part = decoder.decompress(raw, self.max_bytes + 1 - size) if decoder else bytes(raw)
                parts.append(part)
                size += len(part)
                if size > self.max_bytes or (decoder and decoder.unconsumed_tail):
                    raise FetchError("too large", f"more than {self.max_bytes} bytes")
            if decoder:
                parts.append(decoder.flush())
        except zlib.error as exc:
            raise FetchError("bad encoding", str(exc)) from None
        return b"".join(parts)


def _cause(exc: DetailedPyreqwestError) -> str:
    """The innermost cause (e.g. "Connection refused (os error 111)"): the outer ones repeat the URL."""
    causes = (exc.details or {}).get("causes") or []
    return causes[-1]["message"] if causes else exc.message


def _decoder(encoding: str) -> zlib._Decompress | None:
    """A decompressor for a Content-Encoding we asked for (gzip, deflate); None for identity."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchError("bad encoding", f"unsupported Content-Encoding {encoding!r}")
