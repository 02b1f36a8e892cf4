"""What the formats' signs share (platform detection, `bot.model.Sign`): the URL a sign asks, the
answer's JSON, and the base URL an answer shows once redirects moved the page.

A sign reads strictly: the status 200 and a body of its platform's exact shape. It only proposes;
detection believes it once the format's documents read at the proposed URL.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

from bot.model import JSON, Answer, ParseError
from providers._parse import describe, load_object


def at_path(path: str) -> Callable[[str], str]:
    """A sign's `ask`: `path` appended to the address given (a path prefix in it kept)."""

    def ask(address: str) -> str:
        parts = urlsplit(address)
        return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + path, parts.query, ""))

    return ask


def the_address(address: str) -> str:
    """A sign's `ask` for what the address itself answers (a feed, a page's HTML)."""
    return address


def base_url(answer: Answer, path: str) -> str | None:
    """The base URL of the page that answered the request for `path`: the answer's final URL
    without `path` (after a redirect, the page's new home); None when the redirects led to a URL
    that does not end in `path`, which is no longer the document asked for."""
    parts = urlsplit(answer.url)
    if not parts.path.endswith(path):
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path[: -len(path)], parts.query, ""))


def json_object(answer: Answer) -> JSON | None:
    """The JSON object a 200 answer holds, else None (an error status, HTML, another shape)."""
    if answer.status != 200:
        return None
    try:
        return load_object(answer.body)
    except ParseError:
        return None


# The head of an HTML page, where its <link> tags are: a hostile page's megabytes are not parsed.
_HEAD_BYTES = 512 * 1024


def page_text(answer: Answer) -> str | None:
    """The beginning of a 200 answer's HTML as text, else None."""
    if answer.status != 200 or describe(answer.body) != "looks like an HTML page":
        return None
    return answer.body[:_HEAD_BYTES].decode("utf-8", "replace")


def html_links(html: str) -> list[dict[str, str]]:
    """The attributes of each <link> tag of `html`, names and values as written (values unescaped)."""
    collector = _Links()
    try:
        collector.feed(html)
        collector.close()
    # The standard library's HTML parser fed untrusted markup: whatever it raises means there
    # is nothing more to read, and the links found so far stand.
    except Exception:
        pass
    return collector.links


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link":
            self.links.append({name: value or "" for name, value in attrs})

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
