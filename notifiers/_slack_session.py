"""The aiohttp session under slack_sdk's clients: it refuses redirects and keeps the last answer.

slack_sdk cannot be told not to follow a redirect, and when it cannot read a body (invalid UTF-8,
plain text where it wants JSON) it raises without the answer's status. The session's trace
hooks do both jobs: a 3xx ends the request as a `SlackFailure`, and `AnswerLog.last` says what
the server answered (status, Retry-After, the body's type and size, never its text).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import aiohttp

from bot.retry_after import parse_retry_after

from ._http import answer_text
from ._slack_errors import SlackFailure


@dataclass
class Answer:
    status: int
    content_type: str | None
    size: int | None  # bytes read, else the Content-Length; None when neither is known
    retry_after: float | None

    @classmethod
    def of(cls, response: aiohttp.ClientResponse) -> Answer:
        return cls(response.status, response.headers.get("Content-Type"), response.content_length,
                   parse_retry_after(response.headers.get("Retry-After")))

    def text(self) -> str:
        """'HTTP 200 OK with 5 bytes of text/plain'."""
        return answer_text(self.status, self.content_type, self.size)

    def failure(self, code: object) -> SlackFailure:
        return SlackFailure(self.status, code, self.retry_after, self.text())


class AnswerLog:
    """What the last request of one session was answered; the caller sets `last` to None before
    a request, so None afterwards means no answer arrived."""

    def __init__(self) -> None:
        self.last: Answer | None = None

    def session(self, timeout: float) -> aiohttp.ClientSession:
        # slack_sdk applies `timeout` only to sessions it opens itself: ours carries it.
        trace = aiohttp.TraceConfig()
        trace.on_request_redirect.append(self._redirected)
        trace.on_request_end.append(self._answered)
        trace.on_response_chunk_received.append(self._read)
        return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout), trace_configs=[trace])

    async def _redirected(self, session: aiohttp.ClientSession, context: SimpleNamespace,
                          params: aiohttp.TraceRequestRedirectParams) -> None:
        """A configured URL that redirects is wrong: the 3xx is the answer, never followed."""
        self.last = Answer.of(params.response)
        params.response.close()  # nobody reads it: free the connection now
        raise self.last.failure(None)

    async def _answered(self, session: aiohttp.ClientSession, context: SimpleNamespace,
                        params: aiohttp.TraceRequestEndParams) -> None:
        self.last = Answer.of(params.response)

    async def _read(self, session: aiohttp.ClientSession, context: SimpleNamespace,
                    params: aiohttp.TraceResponseChunkReceivedParams) -> None:
        if self.last is not None:  # aiohttp reports a body it read in full as one chunk
            self.last.size = len(params.chunk)
