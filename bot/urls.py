"""URL checks shared by the configuration, the providers and the notifiers, and URLs made fit to log."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, parse_qsl, urlsplit, urlunsplit

from bot.logs import MASK
from bot.redaction import worth_hiding

# Characters a link must not carry: whitespace and controls would end it early in a chat's markup,
# and <, >, |, " delimit links in Slack's mrkdwn and in HTML.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f<>|\"]")


def http_url(url: str) -> SplitResult | None:
    """The parts of `url` when it is an absolute http(s) URL with a host and nothing unsafe in it;
    else None. Callers word their own error: a URL may carry a token, so none quotes it."""
    if _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    return parts if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def is_web_link(url: str) -> bool:
    """Whether `url`, taken from a status page, is a link worth giving a reader."""
    return http_url(url) is not None


def redacted(url: str) -> str:
    """`url` fit for a log line: no user or password, no query values (a token can be in either)."""
    try:
        parts = urlsplit(url)
        where = _host_and_port(parts)
    except ValueError:
        return "(not a valid URL)"
    query = "&".join(f"{name}={MASK}" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, where, parts.path, query, ""))


def _host_and_port(parts: SplitResult) -> str:
    """The URL's host and port without user or password. Raises ValueError on a malformed port."""
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def masked(text: str, secrets: Iterable[str]) -> str:
    """`text` hidden: `***`, or for a URL whose scheme and host hold no secret (of any length)
    scheme://host:port/***, so that a reader still sees where it points."""
    try:
        parts = urlsplit(text)
        origin = f"{parts.scheme}://{_host_and_port(parts)}" if parts.scheme and parts.hostname else None
    except ValueError:
        origin = None
    if origin and not any(secret in origin for secret in secrets):
        return f"{origin}/{MASK}"
    return MASK


def public_address(url: str, secrets: Iterable[str]) -> str:
    """`url` as a chat message may link it: without user, password, query or fragment, and ""
    when a secret is still in it (in its path). A value too short to be a secret is not looked
    for: "45" from ${POLL} must not cost every page with a 45 in its address its link."""
    try:
        parts = urlsplit(url)
        public = urlunsplit((parts.scheme, _host_and_port(parts), parts.path, "", ""))
    except ValueError:
        return ""
    return "" if any(secret in public for secret in worth_hiding(secrets)) else public
