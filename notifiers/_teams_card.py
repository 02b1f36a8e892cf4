"""The Adaptive Card a Teams channel shows for one message: pure, and tested against exact JSON.

Teams renders a Markdown subset in TextBlocks and facts (bold, italic, lists, links); page text
is escaped so it renders literally: it can format nothing, link nowhere and, with no `msteams`
mention entities in any card, mention nobody. A card's colour is one of the styles Adaptive
Cards name (there is no free colour): the header's Container style and the headline's colour.
"""

from __future__ import annotations

import re
from typing import Any

from bot.message import BLUE, GREEN, GREY, ORANGE, RED, YELLOW, Message, lines_within, readable
from bot.text import truncate
from bot.urls import is_web_link

from ._http import json_bytes

# Teams documents "about 28 KB" for a posted message, all of it counted ("Create Incoming
# Webhooks" and the Teams connector's known limitations on learn.microsoft.com: "the message
# size limit is approximately 28 KB ... fails with Request Entity too large"), and clients
# report failures from about 21 KB. Workflows accepts a larger card with 202 and its run fails
# later, so the answer never says: the whole POST body stays within 20,000 bytes.
BODY_MAX = 20_000
# 1.2: Container styles (good, attention, warning, accent) arrive in 1.2, and everything used
# here renders in Teams desktop, web and mobile (Teams renders up to 1.5; Workflows templates and
# Alertmanager's msteamsv2 send 1.2).
CARD_VERSION = "1.2"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"

TEXT_MAX = 8_000  # the update's text, before the size budget cuts it further
TITLE_MAX = 300
FACT_MAX = 1_000  # a fact's value (components can be many)
CHANGE_MAX = 200  # one line of a group's "Also changed"
CHANGES_MAX = 2_000
URL_MAX = 2_048  # a longer link is left out rather than cut into a wrong one

# Style and headline colour by the message's colour (bot.message): how bad, planned, or over.
_STYLES: dict[int, tuple[str, str]] = {
    RED: ("attention", "attention"),
    ORANGE: ("attention", "attention"),
    YELLOW: ("warning", "warning"),
    GREEN: ("good", "good"),
    BLUE: ("accent", "accent"),
    GREY: ("emphasis", "default"),
}

# CommonMark lets any ASCII punctuation be escaped with a backslash. Escaped everywhere: what
# starts emphasis, links, images, code and autolinks; at a line's start: lists, headings, quotes.
_INLINE = re.compile(r"([\\`*_~\[\]<>])")
_MARKER = re.compile(r"^(\s*)([-+#>])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)  # "1." and "1)": the dot is escaped


def neutralise(text: str) -> str:
    """Page text that Teams' Markdown renders as the same characters, with no effect."""
    text = _INLINE.sub(r"\\\1", text)
    return _NUMBERED.sub(r"\1\\\2", _MARKER.sub(r"\1\\\2", text))


def paragraphs(text: str) -> str:
    """A TextBlock keeps a line break only as a blank line between paragraphs."""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def payload(message: Message, budget: int = BODY_MAX) -> dict[str, Any]:
    """The POST body: one card, its text cut so that the encoded body fits `budget` bytes."""
    def with_text(limit: int) -> dict[str, Any]:
        return envelope(card(message, _text(message, limit)))

    best = with_text(TEXT_MAX)
    if _size(best) <= budget:
        return best
    low, high = 0, TEXT_MAX  # the largest text limit that fits: the body grows with it
    best = with_text(0)
    while low < high:
        middle = (low + high + 1) // 2
        attempt = with_text(middle)
        if _size(attempt) <= budget:
            low, best = middle, attempt
        else:
            high = middle - 1
    return best


def envelope(content: dict[str, Any]) -> dict[str, Any]:
    """What the Workflows template "Post to a channel when a webhook request is received" reads."""
    return {"type": "message", "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": content}]}


def card(message: Message, text: str) -> dict[str, Any]:
    style, colour = _STYLES.get(message.colour, _STYLES[GREY])
    header = [_text_block(_clip(message.label, TITLE_MAX), size="small", isSubtle=True),
              _text_block(_clip(message.headline, TITLE_MAX), size="medium", weight="bolder", color=colour)]
    body: list[dict[str, Any]] = [{"type": "Container", "style": style, "items": header}]
    if text:
        body.append(_text_block(text))
    body.append({"type": "FactSet", "facts": _facts(message)})
    if message.changes:
        lines = lines_within([_clip(line, CHANGE_MAX) for line in message.changes], CHANGES_MAX)
        body.append(_text_block("Also changed", weight="bolder"))
        body.append(_text_block("\n\n".join(lines)))
    content: dict[str, Any] = {"$schema": SCHEMA, "type": "AdaptiveCard", "version": CARD_VERSION, "body": body}
    if is_web_link(message.url) and len(message.url) <= URL_MAX:
        content["actions"] = [{"type": "Action.OpenUrl", "title": "View on the status page", "url": message.url}]
    content["msteams"] = {"width": "Full"}
    return content


def _text(message: Message, limit: int) -> str:
    """The update's text within `limit` characters; a digest's lines kept whole."""
    if message.summary is None:
        return paragraphs(neutralise(truncate(message.text.strip(), limit)))
    lines = [_clip(line, FACT_MAX) for line in message.text.splitlines() if line.strip()]
    return "\n\n".join(lines_within(lines, limit))


def _facts(message: Message) -> list[dict[str, str]]:
    facts = [("Status", message.phase)]
    if message.impact and message.impact != "none":
        facts.append(("Impact", readable(message.impact)))
    if message.components:
        facts.append(("Components", ", ".join(message.components)))
    if message.event.provider_title:
        facts.append(("Provider", truncate(message.event.provider_title, TITLE_MAX)))
    if message.age:
        facts.append(("Open for", message.age))
    return [{"title": title, "value": _clip(value, FACT_MAX)} for title, value in facts if value.strip()]


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _clip(text: str, limit: int) -> str:
    """One line of page text, cut, then escaped (the escapes add at most one byte a character)."""
    return neutralise(truncate(" ".join(text.split()), limit))


def _size(document: dict[str, Any]) -> int:
    return len(json_bytes(document))
