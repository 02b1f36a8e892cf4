"""Mattermost rendering: pure functions from the neutral `Message` to an incoming webhook's JSON.

Layout: one message attachment (Mattermost's Slack-compatible `attachments`) whose colour is the
bar beside the post: the headline as its title (linked to the incident where the page gives an
http(s) link), the update's text (a digest's summary: whole lines), fields for the status, the
impact, the components and a grouped message's other changes, and the event's label as footer.
The post's own `text` carries nothing but the channel's `mention`: operator text, the only way a
message pings anyone. `props.statusbot` names the event for a reader of Mattermost's API.

Page text is made inert for the field it lands in. Mattermost renders the attachment's text and
field values as Markdown, after its Slack compatibility has turned `<!channel>` into `@channel`,
`<@id>` into `@username` and `<url|text>` into a link: there, `&`, `<` and `>` become entities,
Markdown's punctuation is backslash-escaped (both render as the same characters), and a zero-width
space follows every `@` that could start a mention. A bare URL keeps its characters (escaping them
would break its link), but not its mentions. Titles and the fallback may render as plain text,
where a backslash would show: they only get the zero-width spaces that break mentions, Slack's
`<…>` syntax (announcements, links) and Markdown's link brackets.

Sizes: Mattermost splits a post whose message exceeds MaxPostSize (16,383 characters by default)
into several posts, and refuses props over 400,000. Every part here is cut to a bound of its own,
so the whole attachment stays under 16,383 characters whatever a page sends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.message import Message, lines_within, readable
from bot.urls import is_web_link

from ._fit import longest_cut

MAX_MENTION = 1_000  # the post's text: the operator's own mention
MAX_TITLE = 250
MAX_TEXT = 6_000  # the update's text, as escaped
MAX_DIGEST = 8_000  # a digest's lines, as escaped
MAX_LINE = 300  # one line of a digest or of a group's changes
MAX_FIELD = 1_000  # a field's value (components, a status)
MAX_CHANGES = 2_000  # a group's other changes, together
MAX_FALLBACK = 500  # the plain-text summary notifications show
MAX_URL = 2_000

ZWSP = "\u200b"
_URL = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_HTML = re.compile(r"[&<>]")
_MARKDOWN = re.compile(r"[\\`*_~\[\]#|]")  # code, emphasis, strikes and ~channel links, links, headings, tables
_LINE_START = re.compile(r"^([ \t]*)([-+=])", re.MULTILINE)  # list bullets, setext underlines, rules
_MENTION = re.compile(r"@(?=\w)")  # @channel, @here, @all, @someone
_ANGLE = re.compile(r"<(?=\S)")  # Slack's <!channel>, <!here>, <!all>, <@id>, <url|text>; autolinks
_LINK_BRACKET = re.compile(r"\](?=[(\[:])")  # [text](url), ![image](url), [text][ref], [ref]: url

Payload = dict[str, Any]


@dataclass(frozen=True)
class Overrides:
    """What the channel's settings change about every post (None: the webhook's own)."""

    channel: str | None = None
    username: str | None = None
    icon_url: str | None = None


def payload(message: Message, overrides: Overrides = Overrides()) -> Payload:
    """The incoming webhook's JSON for one message."""
    body: Payload = {}
    if message.mention and message.mention.strip():
        body["text"] = message.mention.strip()[:MAX_MENTION]
    for key, value in (("channel", overrides.channel), ("username", overrides.username),
                       ("icon_url", overrides.icon_url)):
        if value:
            body[key] = value
    body["attachments"] = [attachment(message)]
    body["props"] = {"statusbot": {"event_id": message.event.id, "event_type": message.event.type}}
    return body


def attachment(message: Message) -> Payload:
    """The message as one attachment, in the phase and colour of the event it announces."""
    title = fit(message.headline, MAX_TITLE, inert_line)
    card: Payload = {
        "fallback": _fallback(message),
        "color": f"#{message.colour:06x}",
        "title": title,
    }
    if len(message.url) <= MAX_URL and is_web_link(message.url):
        card["title_link"] = message.url
    card["text"] = _text(message)
    card["fields"] = _fields(message)
    card["footer"] = message.label  # our own words
    return card


def inert_markdown(text: str) -> str:
    """Page text that renders as itself in a Markdown field: no mention, link, image, heading,
    table or emphasis, and nothing Mattermost's Slack compatibility would rewrite."""
    parts: list[str] = []
    start = 0
    for url in _URL.finditer(text):
        parts.append(_escape(text[start:url.start()]))
        parts.append(_MENTION.sub("@" + ZWSP, url.group()))  # its link works; its @ pings nobody
        start = url.end()
    parts.append(_escape(text[start:]))
    return "".join(parts)


def inert_line(text: str) -> str:
    """Page text for a field that may render plain: only zero-width spaces, which never show."""
    text = _MENTION.sub("@" + ZWSP, text)
    text = _ANGLE.sub("<" + ZWSP, text)
    return _LINK_BRACKET.sub("]" + ZWSP, text)


def fit(text: str, limit: int, inert: Callable[[str], str]) -> str:
    """`text` made inert and at most `limit` characters long: cut before escaping, so no escape
    is split, and a megabyte of page text costs one cut."""
    return inert(longest_cut(text.strip(), limit, lambda cut: len(inert(cut))))


def _escape(text: str) -> str:
    text = _HTML.sub(lambda match: _ENTITIES[match.group()], text)
    text = _MARKDOWN.sub(lambda match: "\\" + match.group(), text)
    text = _LINE_START.sub(lambda match: f"{match.group(1)}\\{match.group(2)}", text)
    return _MENTION.sub("@" + ZWSP, text)


def _fallback(message: Message) -> str:
    """'New incident: Acme: Elevated errors — Investigating', for notifications and plain clients."""
    return fit(f"{message.label}: {message.headline} — {message.phase}", MAX_FALLBACK, inert_line)


def _text(message: Message) -> str:
    """The update's text; a digest's lines kept whole, with how many did not fit."""
    if message.summary is None:
        return fit(message.text, MAX_TEXT, inert_markdown)
    lines = [fit(line, MAX_LINE, inert_markdown) for line in message.text.splitlines()]
    return "\n".join(lines_within(lines, MAX_DIGEST))


def _fields(message: Message) -> list[Payload]:
    fields = [_field("Status", fit(message.phase, MAX_FIELD, inert_markdown))]
    if message.impact and message.impact != "none":
        fields.append(_field("Impact", fit(readable(message.impact), MAX_FIELD, inert_markdown)))
    if message.components and message.components != (message.title,):  # a component's own message names it
        fields.append(_field("Components", fit(", ".join(message.components), MAX_FIELD, inert_markdown), short=False))
    if message.changes:
        lines = lines_within([fit(line, MAX_LINE, inert_markdown) for line in message.changes], MAX_CHANGES)
        fields.append(_field("Also changed", "\n".join(lines), short=False))
    return [field for field in fields if field["value"]]


def _field(title: str, value: str, short: bool = True) -> Payload:
    return {"short": short, "title": title, "value": value}
