"""One mapping from a failed request to the engine's RetryableError, for every HTTP destination.

Webhook and Discord go through httpx, Slack through slack_sdk on aiohttp: both libraries wrap the
same few failures (a timeout, a refused connection, a TLS handshake, a broken HTTP answer) in
exceptions of their own, with the real cause further down the chain. The message names the
channel and the failure's kind only: the libraries' own texts may quote the URL, which can carry
a token.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import aiohttp
import httpx
from aiohttp.http_exceptions import HttpProcessingError

from bot.model import RetryableError

# An answer that is not well-formed HTTP, or none at all (the server hung up).
_PROTOCOL_ERRORS = (
    httpx.ProtocolError,
    httpx.DecodingError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientPayloadError,
    HttpProcessingError,
)
# Most telling first: an aiohttp timeout is a TimeoutError, a refused connection also an OSError.
_KINDS: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("timed out", (TimeoutError, httpx.TimeoutException)),
    ("TLS failed", (ssl.SSLError,)),
    ("connection refused", (ConnectionRefusedError,)),
    ("name lookup failed", (socket.gaierror,)),
    ("protocol error", _PROTOCOL_ERRORS),
    ("connection failed", (OSError, httpx.NetworkError)),
)


def transport_error(exc: BaseException, label: str) -> RetryableError:
    """'<label>: connection refused (ConnectError)'. Raise it `from None`, so a logged traceback
    does not print the library's exception either."""
    return RetryableError(f"{label}: {failure_kind(exc)} ({type(exc).__name__})")


def failure_kind(exc: BaseException) -> str:
    """What went wrong, read from the whole exception chain: the libraries wrap the real cause."""
    chain = list(_chain(exc))
    for kind, types in _KINDS:
        if any(isinstance(link, types) for link in chain):
            return kind
    return "request failed"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__

