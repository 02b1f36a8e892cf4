"""The Google Chat message for one event: a card (cardsV2) in the incident's thread, pure and
measured, so every payload stays under Google Chat's 32,000-byte message limit.

Where page text goes, and how it is made inert:
- card text (the update, components, other changes) is rendered by Chat as a small HTML subset
  (<b>, <a href>, <font>, ...; Markdown is not parsed there): it is HTML-escaped, so a page's
  `<a href=...>` or `<users/all>` shows as typed;
- the card's header and `fallbackText` (what a phone's notification shows) are plain text: a
  zero-width space after each `<` keeps them inert even if Chat ever read markup there, and reads
  the same;
- the message's `text`, the one field where Chat turns `<users/all>`, `<url|label>` and `*bold*`
  into mentions, links and formatting, carries nothing but the channel's own `mention`.

Cards v2 have no colour bar: the impact shows as an icon and words in the header's subtitle.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Sequence
from typing import Any

from bot.message import BLUE, GREEN, GREY, ORANGE, RED, YELLOW, Message, lines_within, readable
from bot.urls import is_web_link

from ._fit import longest_cut
from ._http import json_bytes

# "The maximum message size, including any text or cards, is 32,000 bytes" (Chat API, Send a
# message). Measured here as the bytes of the whole JSON body we send, which is larger than what
# Google counts (its protobuf has no key names), so the margin is on our side.
MESSAGE_MAX_BYTES = 32_000
# Each field but the update's text gets a fixed share, in bytes of JSON; the text gets the rest
# (at least 21,000 bytes: these shares and the card's structure stay under 11,000).
TITLE_MAX_BYTES = 800
SUBTITLE_MAX_BYTES = 600
MENTION_MAX_BYTES = 500
FALLBACK_MAX_BYTES = 800
COMPONENTS_MAX_BYTES = 2_000
CHANGES_MAX_BYTES = 4_000
URL_MAX_BYTES = 2_000  # a longer link is left out rather than cut

CARD_ID = "statusbot"
THREAD_KEY_PREFIX = "statusbot-"
ZWSP = "\u200b"

# Cards v2 have no colour: the message's colour becomes an icon in the subtitle.
ICONS = {GREEN: "🟢", BLUE: "🔵", GREY: "⚪", YELLOW: "🟡", ORANGE: "🟠", RED: "🔴"}


def thread_key(event_thread_key: str) -> str:
    """The Chat threadKey of an event's thread: stable, and of a fixed, plain alphabet whatever
    the page's ids hold (Chat takes up to 4,000 characters; a hash keeps every key short)."""
    return THREAD_KEY_PREFIX + hashlib.sha256(event_thread_key.encode("utf-8", "replace")).hexdigest()[:40]


def plain(text: str) -> str:
    """Page text for a plain-text field: no `<` that could open a tag, a link or a mention."""
    return text.replace("<", "<" + ZWSP)


def card_text(text: str) -> str:
    """Page text for a card's HTML-formatted field: escaped, its line breaks kept."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def build_payload(message: Message) -> dict[str, Any]:
    """The message: the channel's mention as `text`, the card, a plain fallback, and the thread."""
    payload: dict[str, Any] = {}
    if message.mention and message.mention.strip():
        payload["text"] = _fit(message.mention.strip(), MENTION_MAX_BYTES, str)
    payload["fallbackText"] = _fit(f"{message.headline}: {_status_line(message)}", FALLBACK_MAX_BYTES, plain)
    payload["cardsV2"] = [{"cardId": CARD_ID, "card": _card(message)}]
    payload["thread"] = {"threadKey": thread_key(message.event.thread_key)}
    _fill_text(payload, message)
    return payload


def _card(message: Message) -> dict[str, Any]:
    header = {
        "title": _fit(message.headline, TITLE_MAX_BYTES, plain),
        "subtitle": _fit(f"{ICONS.get(message.colour, '⚪')} {_status_line(message)}", SUBTITLE_MAX_BYTES, plain),
    }
    sections: list[dict[str, Any]] = [{"widgets": [{"textParagraph": {"text": ""}}]}]  # the text: filled last
    if message.components:
        components = _fit(", ".join(message.components), COMPONENTS_MAX_BYTES, card_text)
        sections.append({"widgets": [{"decoratedText": {"topLabel": "Components", "text": components,
                                                         "wrapText": True}}]})
    if message.changes:
        changes = _lines_fit(message.changes, CHANGES_MAX_BYTES)
        sections.append({"header": "Also changed", "widgets": [{"textParagraph": {"text": changes}}]})
    if is_web_link(message.url) and len(json_bytes(message.url)) <= URL_MAX_BYTES:
        button = {"text": "View on the status page", "onClick": {"openLink": {"url": message.url}}}
        sections.append({"widgets": [{"buttonList": {"buttons": [button]}}]})
    return {"header": header, "sections": sections}


def _status_line(message: Message) -> str:
    """'New incident · Investigating · Major impact', a reminder's '· open for 4h 12m'."""
    parts = [message.label, message.phase]
    if message.impact and message.impact != "none":
        parts.append(f"{readable(message.impact)} impact")
    if message.age:
        parts.append(f"open for {message.age}")
    return " · ".join(part for part in parts if part)


def _fill_text(payload: dict[str, Any], message: Message) -> None:
    """The update's text (a digest's lines kept whole) in what the rest of the message left."""
    paragraph = payload["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["textParagraph"]
    budget = MESSAGE_MAX_BYTES - len(json_bytes(payload))
    text = message.text.strip() or "(no text)"
    if message.summary is not None:
        paragraph["text"] = _lines_fit(text.splitlines(), budget)
    else:
        paragraph["text"] = _fit(text, budget, card_text)


def _size(render: Callable[[str], str]) -> Callable[[str], int]:
    """How many bytes a cut adds to the JSON body once rendered (the quotes are already there)."""
    return lambda cut: len(json_bytes(render(cut))) - 2


def _fit(text: str, max_bytes: int, render: Callable[[str], str]) -> str:
    """`text` cut to fit `max_bytes` of JSON once rendered, then rendered: the cut falls on the
    page's text, never inside an escape."""
    return render(longest_cut(text, max_bytes, _size(render)))


def _lines_fit(lines: Sequence[str], max_bytes: int) -> str:
    """Whole lines, rendered for a card, in `max_bytes` of JSON, with how many did not fit."""
    size = _size(lambda text: text)
    limit = max_bytes
    while limit > 0:
        kept = card_text("\n".join(lines_within([line.strip() for line in lines], limit)))
        measured = size(kept)
        if measured <= max_bytes:
            return kept
        limit = min(limit - 1, limit * max_bytes // measured)  # as longest_cut: shrink by the growth
    return ""
