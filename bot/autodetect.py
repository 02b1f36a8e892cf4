"""A page configured with kind "auto": its platform detected at the first poll, remembered in the
store, and detected again when a page that worked starts answering 404 or 410 for its documents
(platforms move: OpenAI left Atlassian for incident.io, Stripe its own page for Statuspage). A
page of a configured kind (a preset's, or one set by the operator) is detected again too, but
only to say in the log where it went.

What was detected is remembered for the address it was detected at: a restart reads the page at
once, and an operator who changes the address gets a new detection. The URL to read is stored
only when it is not the address itself and carries none of the configuration's secrets; else
the page is detected again at the next start.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.discovery import Discovery, discover
from bot.fetch import Fetcher
from bot.model import FetchError, Format, ParseError
from bot.plan import PollTarget
from bot.redaction import scrub
from bot.store_base import SqlStore
from bot.urls import redacted

log = logging.getLogger("statusbot.poll")


@dataclass(frozen=True)
class Platform:
    """What to read a page as: its format, and the URL that format reads."""

    format: Format
    url: str


class AutoPlatform:
    """The platform of one page: detected (kind "auto"), or as configured (`follows` false: a page
    that moves is then only named in the log, with the kind and url to set; the operator chose)."""

    def __init__(self, target: PollTarget, formats: Mapping[str, Format], fetcher: Fetcher, store: SqlStore,
                 follows: bool = True):
        self.target = target  # as configured: `url` is the address detection starts from
        self.formats = formats
        self.fetcher = fetcher
        self.store = store
        self.follows = follows

    async def current(self, lease: int | None) -> Platform:
        """The platform to read: as stored for this address, else detected now and stored."""
        stored = await self.store.platform(self.target.name)
        if stored is not None and stored.detected_at(self.target.url) and stored.kind in self.formats:
            return Platform(self.formats[stored.kind], stored.url or self.target.url)
        found = await discover(self.target.url, self.fetcher, self.formats)
        log.info("provider %s: detected %s", self.target.name, self._shown(found.account))
        return await self._record(found, lease)

    async def again(self, was: Platform, why: str, lease: int | None) -> Platform | None:
        """Detect the platform again because the page answered `why`: the new platform when it
        changed (stored, and logged with what changed), else None (the caller reports `why`)."""
        name = self.target.name
        try:
            found = await discover(self.target.url, self.fetcher, self.formats)
        except (FetchError, ParseError) as exc:
            log.warning("provider %s: %s; detecting its platform again found none: %s", name, why, self._shown(str(exc)))
            return None
        if (found.kind, found.url) == (was.format.kind, was.url):
            log.warning("provider %s: %s; detected again, it is still %s", name, why, self._shown(found.account))
            return None
        if not self.follows:
            log.warning("provider %s: %s; the page now looks like %s: set kind = %r and url = %r (or leave kind"
                        " out to have it detected)", name, why, self._shown(found.account), found.kind,
                        self._shown(redacted(found.url)))
            return None
        log.warning("provider %s: %s; detected again, its platform changed: now %s (was %s at %s)", name, why,
                    self._shown(found.account), was.format.kind, self._shown(redacted(was.url)))
        return await self._record(found, lease)

    async def _record(self, found: Discovery, lease: int | None) -> Platform:
        platform = Platform(self.formats[found.kind], found.url)
        keep = [document.url for document in platform.format.documents(found.url)]
        await self.store.record_platform(self.target.name, self.target.url, found.kind, self._storable(found.url),
                                         keep, lease=lease)
        return platform

    def _storable(self, url: str) -> str | None:
        """The URL to store: None for the address itself, or for a URL with a secret in it."""
        if url == self.target.url or any(secret in url for secret in self.target.secrets):
            return None
        return url

    def _shown(self, text: str) -> str:
        """`text` for a log line: a secret of the configuration in a page's path is masked too."""
        return scrub(text, self.target.secrets)
