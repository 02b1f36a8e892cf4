"""Slack rendering: pure functions from the neutral `Message` to chat.postMessage / chat.update kwargs.

Layout: a short top-level `text` (push notifications, screen readers), then one attachment whose
colour is the bar beside the message, holding mrkdwn section blocks: headline and status, the
update's text (a digest's summary: whole lines, over several sections), the other changes of a
grouped message ("Also changed", one per line), the components. Every page-provided text is escaped (`&`, `<`, `>`), so
`<!channel>` or `<@U123>` arrives as literal text, and a bare `@here` gets a zero-width space;
sections are `verbatim` so Slack auto-parses nothing either. The channel's own `mention` is
operator text and goes in raw: it is the only way a message pings anyone.
"""

from __future__ import annotations

import re
from typing import Any

from bot.message import Message, lines_within
from bot.text import one_line, truncate
from bot.urls import is_web_link

from ._fit import longest_cut

MAX_TEXT = 4_000  # top-level `text`: chat.update documents 4,000 characters
MAX_SECTION = 3_000  # a section block's text
MAX_HEADLINE = 300  # a title is one line, not a body
MAX_STATUS = 200
MAX_COMPONENTS = 1_000
MAX_URL = 2_000
MAX_LINE = 300  # one line of a group's changes or of a digest
MAX_DIGEST = 9_000  # a digest's lines, over sections of MAX_SECTION: all blocks stay under ~11,000

ZERO_WIDTH_SPACE = "\u200b"
_BARE_MENTION = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)

Payload = dict[str, Any]


def parent_payload(message: Message, plain: bool = False) -> Payload:
    """The thread's first message: headline, the thread's current phase, this update."""
    return _payload(message, _status(None, message.current_phase, message.impact), message.current_colour, plain)


def update_payload(message: Message, plain: bool = False) -> Payload:
    """One update on its own: a thread reply, or an incoming-webhook message."""
    return _payload(message, _status(message.label, message.phase, message.impact), message.colour, plain)


def escape(text: str) -> str:
    """Untrusted text made inert: Slack's three control characters, and bare mentions broken."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BARE_MENTION.sub(lambda match: f"@{ZERO_WIDTH_SPACE}{match.group(1)}", text)


def fit(text: str, limit: int) -> str:
    """`text` escaped and at most `limit` characters long: cut before escaping, so no entity is split."""
    return escape(longest_cut(text, limit, lambda cut: len(escape(cut))))


def link(url: str, label: str) -> str:
    """`<url|label>` when the URL is ours to link (http(s), nothing that breaks the markup), else `label`."""
    if len(url) > MAX_URL or not is_web_link(url):
        return label
    return f"<{url.replace('&', '&amp;')}|{label}>"


def _payload(message: Message, status: str, colour: int, plain: bool) -> Payload:
    prefix = f"{message.mention} " if message.mention else ""
    headline = one_line(message.headline)
    heading = f"{prefix}*{link(message.url, fit(headline, MAX_HEADLINE))}*\n{fit(status, MAX_STATUS)}"
    components = _components(message)
    if plain:
        room = MAX_TEXT - sum(len(part) + 1 for part in (heading, components) if part)  # each with its newline
        changes = _changes(message, room // 2)  # the changes may take half of what is left, the text the rest
        parts = [heading, fit(message.text, room - (len(changes) + 1 if changes else 0)), changes, components]
        return {"text": "\n".join(part for part in parts if part)}
    sections = [heading, *_text_sections(message), _changes(message, MAX_SECTION), components]
    blocks = [_section(text) for text in sections if text]
    summary = f"{truncate(headline, MAX_HEADLINE)} — {status}"
    return {
        "text": prefix + fit(summary, MAX_TEXT - len(prefix)),
        "attachments": [{"color": f"#{colour:06x}", "blocks": blocks}],
    }


def _text_sections(message: Message) -> list[str]:
    """The update's text in one section; a digest's lines, kept whole, over as many as they take."""
    if message.summary is None:
        return [fit(message.text, MAX_SECTION)]
    sections: list[str] = []
    for line in lines_within([fit(line, MAX_LINE) for line in message.text.splitlines()], MAX_DIGEST):
        if sections and len(sections[-1]) + 1 + len(line) <= MAX_SECTION:
            sections[-1] += "\n" + line
        else:
            sections.append(line)
    return sections


def _changes(message: Message, limit: int) -> str:
    """A grouped message's other changes under a heading, one per line, within `limit` characters."""
    heading = "*Also changed*"
    lines = lines_within([fit(line, MAX_LINE) for line in message.changes], limit - len(heading) - 1)
    return "\n".join((heading, *lines)) if lines else ""


def _status(label: str | None, phase: str, impact: str) -> str:
    """'Status change: Identified · Major impact'; the label is left out where it says the same."""
    status = phase if label is None or label.lower() == phase.lower() else f"{label}: {phase}"
    if impact and impact != "none":
        status += f" · {impact.capitalize()} impact"
    return status


def _components(message: Message) -> str:
    if not message.components or message.components == (message.title,):
        return ""  # a component's own message already names it
    return "Components: " + fit(", ".join(message.components), MAX_COMPONENTS)


def _section(text: str) -> Payload:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}
