"""Platform detection: which status-page platform answers at an address, and the URL to read it at.

Each format's signs (`Format.signs`) name a URL to ask about the address; all of them are asked at
once, each URL once. The answers are judged in the formats' order (the registry puts incident.io
before Statuspage, whose API incident.io pages partly answer): the first sign that proposes a URL
is believed once the documents its format reads every poll, fetched at that URL, parse. So a page
that merely looks like a platform's (an HTML shell answering every path, a feed link to nowhere)
is not taken for it.

What a page answers is untrusted: bodies are capped by the fetcher, a URL a page names is judged
as its redirect would be, signs and parsers raise nothing but ParseError, and what a page said is
described in the account, never quoted. An address that answered nothing at all raises its
FetchError (unreachable is not unknown); an address that answered, but as no known platform,
raises UnknownPlatform, one line naming what each format was asked and what it answered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass

from bot.fetch import Fetcher
from bot.model import DEFAULT_LIMITS, Answer, FetchError, Format, ParseError
from bot.urls import http_url, redacted
from providers._parse import describe

# What a format looked for in the page's own HTML, for the account of an HTML page it refused.
_LOOKED_FOR_IN_HTML = {"feed": "without a feed link", "statusio": "naming no status.io page"}

# The failures that mean the address answered nothing at all.
_SILENT = frozenset({"connection", "timeout"})

Outcome = Answer | FetchError


@dataclass(frozen=True)
class Discovery:
    """The platform found: the format's kind, the URL it reads, and a one-line account, e.g.
    "Statuspage at https://www.stripestatus.com (redirected from https://status.stripe.com)"."""

    kind: str
    url: str
    account: str


class UnknownPlatform(ParseError):
    """The address answered, but as no known platform: a poller records it like an unreadable page."""


async def discover(address: str, fetcher: Fetcher, formats: Mapping[str, Format]) -> Discovery:
    """The platform of the status page at `address`, among `formats` (tried in their order).
    Raises UnknownPlatform, or FetchError when the address answered nothing."""
    if http_url(address) is None:
        raise ParseError("the address is not a valid http(s) URL with a host")
    asked = _Answers(fetcher, address)
    signs = [(kind, fmt, sign, sign.ask(address)) for kind, fmt in formats.items() for sign in fmt.signs]
    await asked.get_all(list(dict.fromkeys(url for *_, url in signs)))
    asked.raise_if_silent()
    tried: dict[str, list[str]] = {}
    for kind, fmt, sign, url in signs:
        outcome = asked.outcomes[url]
        proposal = sign.read(address, outcome) if isinstance(outcome, Answer) else None
        if proposal is None:
            tried.setdefault(kind, []).append(asked.what(url, kind))
            continue
        problem = await _unreadable(fmt, proposal, asked)
        if problem is None:
            assert isinstance(outcome, Answer)  # a sign proposes only from an answer
            return Discovery(kind, proposal, _account(fmt, proposal, address, url, outcome))
        tried.setdefault(kind, []).append(_at(asked.shown(url), f"looked like it, but {problem}"))
    accounts = ", ".join(f"{formats[kind].platform} ({'; '.join(whats)})" for kind, whats in tried.items())
    raise UnknownPlatform(f"no known status page platform at {redacted(address)}: {accounts or 'no format to try'}")


async def _unreadable(fmt: Format, url: str, asked: _Answers) -> str | None:
    """Why the documents `fmt` reads every poll at `url` do not read; None when they all do."""
    documents = [document for document in fmt.documents(url) if document.every == 1]
    await asked.get_all([document.url for document in documents])
    for document in documents:
        outcome = asked.outcomes[document.url]
        if isinstance(outcome, FetchError) or outcome.status != 200:
            return asked.what(document.url, fmt.kind)
        try:
            fmt.read(document.role, outcome.body, url, DEFAULT_LIMITS)
        except ParseError as exc:
            return f"{asked.shown(document.url, again=False)}: {exc}"
    return None


def _account(fmt: Format, url: str, address: str, asked: str, answer: Answer) -> str:
    found = f"{fmt.platform} at {redacted(url)}"
    if answer.url != asked:
        return f"{found} (redirected from {redacted(address)})"
    if url.rstrip("/") != address.rstrip("/"):
        return f"{found} (named by the page at {redacted(address)})"
    return found


class _Answers:
    """What each URL answered, asked once, and how to tell of it in one short phrase."""

    def __init__(self, fetcher: Fetcher, address: str) -> None:
        self.fetcher = fetcher
        self.address = address
        self.outcomes: dict[str, Outcome] = {}
        self._named: set[str] = set()  # URLs the account has named: named again, only their answer is

    async def get_all(self, urls: list[str]) -> None:
        """Ask each URL not asked yet, all at once."""
        new = [url for url in dict.fromkeys(urls) if url not in self.outcomes]
        for url, outcome in zip(new, await asyncio.gather(*(self._ask(url) for url in new)), strict=True):
            self.outcomes[url] = outcome

    async def _ask(self, url: str) -> Outcome:
        # Only the address is the operator's own: any other URL is judged as its redirect would be.
        try:
            return await self.fetcher.probe(url, None if url == self.address else self.address)
        except FetchError as exc:
            return exc

    def raise_if_silent(self) -> None:
        """Raise the address's FetchError when no URL got an answer (no connection, no time)."""
        failures = [o for o in self.outcomes.values() if isinstance(o, FetchError)]
        if failures and len(failures) == len(self.outcomes) and all(f.reason in _SILENT for f in failures):
            own = self.outcomes.get(self.address)
            raise own if isinstance(own, FetchError) else failures[0]

    def what(self, url: str, kind: str) -> str:
        """'/api/v2/summary.json: 404', or just '404' when the URL was named before."""
        outcome = self.outcomes[url]
        if isinstance(outcome, FetchError):
            said = outcome.reason
        elif outcome.status != 200:
            said = str(outcome.status)
        else:
            said = _body_kind(outcome)
            if url == self.address:
                html = " " + _LOOKED_FOR_IN_HTML[kind] if said == "HTML" and kind in _LOOKED_FOR_IN_HTML else ""
                return f"the page is {said}{html}"
        return _at(self.shown(url), said)

    def shown(self, url: str, again: bool = True) -> str:
        """`url` as the account names it: its path after the address, the whole URL (redacted)
        elsewhere, or "" when named before (unless `again` is False)."""
        if url in self._named and again:
            return ""
        self._named.add(url)
        base = self.address.rstrip("/")
        if url == self.address:
            return "the page"
        return url[len(base):] if url.startswith(f"{base}/") else redacted(url)


def _at(where: str, said: str) -> str:
    return f"{where}: {said}" if where else said


def _body_kind(answer: Answer) -> str:
    """What a 200 answer's body is, in a word or two, never quoting it."""
    if not answer.body.strip():
        return "empty"
    seen = describe(answer.body)
    if "html" in answer.content_type or seen == "looks like an HTML page":
        return "HTML"
    if seen == "looks like an XML document or feed":
        return "XML of another kind"
    try:
        json.loads(answer.body)
    except (ValueError, RecursionError):
        return seen.removeprefix("looks like ")
    return "JSON of another shape"
