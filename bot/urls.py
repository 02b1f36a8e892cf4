"""URL checks shared by the configuration, the providers and the notifiers."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

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
