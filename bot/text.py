"""Text helpers shared by providers and notifiers: untrusted page text made safe and short.

Page text is cleaned once, where it enters the model (`PageLine` and `PageText` on the fields of
`bot.model`): no control, bidi or invisible formatting character gets further, so none reaches a
log line, a table, a chat message or a webhook. What makes writing work stays: joiners (emoji
sequences like 👩‍💻, Persian, Indic scripts), variation selectors, combining marks, flags.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator

# C0 and C1 control characters (NUL, ESC, CSI, line breaks): in page text each is a space, in a
# body a line break where it is one.
_CONTROL = "\\x00-\\x1f\\x7f-\\x9f"
# Characters removed from page text: invisible, they only reorder or hide what surrounds them.
_INVISIBLE = (
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides, isolates
    "\u200b\u2060-\u2064\ufeff\u180e\u206a-\u206f\ufff9-\ufffb"  # zero-width and invisible formatting
    "\ud800-\udfff"  # lone surrogates (JSON may escape them; no UTF-8 encoder takes them): become U+FFFD
    "\U000e0000-\U000e007f"  # tag characters, which can hide whole words: kept only where they spell a flag
)
# A subdivision flag (🏴, tag letters, a cancel tag): the one use of tag characters kept.
_FLAG = "\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"
_REMOVE = re.compile(f"({_FLAG})|[{_INVISIBLE}]")
_BLANKS = re.compile(f"[\\s{_CONTROL}]+")
# What str.splitlines() breaks at (\r\n, \r, \v, \f, \x1c-\x1e, NEL, U+2028/9): one \n each in a body.
_LINE_BREAK = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
# What a log line shows escaped: every control character, line breaks included, and the invisible ones.
_UNLOGGABLE = re.compile(f"({_FLAG})|[{_CONTROL}\\u2028\\u2029{_INVISIBLE}]")

_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAG = re.compile(r"<\s*(br|/p|/div|/li|/h\d|p|div|li)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML fragment: block tags become line breaks."""
    text = _BLOCK_TAG.sub("\n", markup)
    text = html.unescape(_TAG.sub("", text))
    return tidy(text)


def tidy(text: str) -> str:
    """Trim each line, collapse runs of spaces and of blank lines."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def as_utc(moment: datetime) -> datetime:
    """Every time in the model is UTC; a time without a zone is taken as UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as JSON APIs want it; None stays None (JSON null)."""
    return None if moment is None else as_utc(moment).isoformat().replace("+00:00", "Z")


# The cleaners run on every string of every parsed item, so each starts with a fast path that
# returns clean text as it is: str.isprintable() is false for every character they change (and
# for a few they keep, such as joiners and flags), and costs far less than a regex search.


def one_line(text: str) -> str:
    """One line of plain text: every run of whitespace or control characters one space, trimmed,
    and no bidi or invisible character: a log line or a table row can never become two, and no
    text can reorder or hide what surrounds it."""
    if text.isprintable() and "  " not in text and text.strip(" ") == text:
        return text
    return _BLANKS.sub(" ", _without_invisible(text)).strip()


def plain_text(text: str) -> str:
    """Text that may span lines (an update's body): each line break one newline, any other
    control character a space, and no bidi or invisible character."""
    if text.replace("\n", "").isprintable():
        return text
    return _without_invisible(_CONTROL_BUT_NEWLINE.sub(" ", _LINE_BREAK.sub("\n", text)))


def _python_escape(char: str) -> str:
    return char.encode("unicode_escape").decode("ascii")


def escape_controls(text: str, escape: Callable[[str], str] = _python_escape) -> str:
    """Every control, bidi or invisible character replaced by `escape(char)`, by default its
    Python escape (`\\n`, `\\x1b`, `\\u202e`): for a log line, which must stay one line and read as
    what it holds, whatever it quotes."""
    if text.isprintable():
        return text
    return _UNLOGGABLE.sub(lambda match: match[1] or escape(match[0]), text)


def _without_invisible(text: str) -> str:
    return _REMOVE.sub(_kept, text)


def _kept(match: re.Match[str]) -> str:
    if match[1]:
        return match[1]  # a flag
    return "\ufffd" if "\ud800" <= match[0] <= "\udfff" else ""


# Pydantic field types for page-supplied strings (bot.model): cleaned once, as the model is built.
PageLine = Annotated[str, AfterValidator(one_line)]  # ids, statuses, titles, names, links
PageText = Annotated[str, AfterValidator(plain_text)]  # update bodies


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """At most `limit` characters, cut at a word boundary where one is near."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ellipsis), 0)]
    space = cut.rfind(" ")
    if space > len(cut) * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def counted(count: int, noun: str) -> str:
    """'1 change', '3 changes': a count and its noun, plural when it is not one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def readable(status: str | None) -> str:
    """A status as people read it: `partial_outage` -> `Partial outage`."""
    return (status or "unknown").replace("_", " ").capitalize()
