"""Text helpers shared by providers and notifiers: untrusted page text made safe and short."""

from __future__ import annotations

import html
import re
from datetime import datetime

from bot.model import as_utc

_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAG = re.compile(r"<\s*(br|/p|/div|/li|/h\d|p|div|li)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_WHITESPACE = re.compile(r"\s+")


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML fragment: block tags become line breaks."""
    text = _BLOCK_TAG.sub("\n", markup)
    text = html.unescape(_TAG.sub("", text))
    return tidy(text)


def tidy(text: str) -> str:
    """Trim each line, collapse runs of spaces and of blank lines."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as JSON APIs want it; None stays None (JSON null)."""
    return None if moment is None else as_utc(moment).isoformat().replace("+00:00", "Z")


def one_line(text: str) -> str:
    """All whitespace (newlines included) collapsed: one log line can never become two."""
    return _WHITESPACE.sub(" ", text).strip()


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """At most `limit` characters, cut at a word boundary where one is near."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ellipsis), 0)]
    space = cut.rfind(" ")
    if space > len(cut) * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ellipsis
