"""Discord webhook notifier: one embed per event; the first message of a thread is kept current.

Discord webhooks cannot reply in threads, so a thread here is its first message plus later posts:
- no thread yet: `POST {webhook_url}?wait=true` with the card (headline, current phase, this
  update); the returned message id is the ref the engine stores for the thread.
- a thread: `PATCH {webhook_url}/messages/{id}` to show the thread's current phase, then POST the
  update as its own message. The edit goes first: when the edit fails and the engine retries the
  whole send, no update has been posted twice. A first message someone deleted (404, code 10008)
  is replaced: the update is posted as a new card, whose id replaces the stored ref.
- a reply-only message (`event.reply`: a component change of an open incident) is posted as its
  own card and never edits the first message; it starts no thread either. A reminder instead
  edits the first message's card to show how long the incident has been open (footer "Open for
  4h 12m") and posts nothing; with no first message to edit, it is a card of its own.

Page text only ever lands in the embed, neutralised; `content` carries nothing but the channel's
own opt-in mention, and `allowed_mentions` on every request lets exactly that one ping.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.message import Message, lines_within, readable
from bot.model import Destination, EnvChannel, PermanentError, RetryableError, ThreadRef
from bot.retry_after import parse_retry_after, retry_hint
from bot.text import iso_utc, truncate
from bot.urls import is_web_link

from ._http import describe, json_bytes, json_object, raise_for_response, status_text, unexpected, webhook_url
from ._transport import transport_error

log = logging.getLogger("statusbot.discord")

# Embed limits (discord-api-docs, resources/message); Discord counts after trimming whitespace.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000  # title + description + field names and values + footer
CONTENT_MAX = 2000

UNKNOWN_MESSAGE = 10008  # JSON error code: the message was deleted; the webhook still works
# A bucket reset further away than this is not waited inline: a 429 hands the wait to the engine.
MAX_PACE = 60.0

ZWSP = "\u200b"
_MASS_MENTION = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
_MENTION_TAG = re.compile(r"<(?=[@#])")  # <@user>, <@!user>, <@&role>, <#channel>
_MASKED_LINK = re.compile(r"\]\(")  # [text](url) would show a page's text over any link

# What a channel's own `mention` may name.
_EVERYONE = re.compile(r"@(?:everyone|here)")
_ROLE = re.compile(r"<@&([0-9]+)>")
_USER = re.compile(r"<@!?([0-9]+)>")

_SNOWFLAKE = re.compile(r"[0-9]{1,20}")
_JSON = {"content-type": "application/json"}

Sleep = Callable[[float], Awaitable[None]]


class DiscordSettings(BaseModel):
    # hide_input_in_errors: a validation message must not echo the webhook's token.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    webhook_url: str = Field(repr=False)
    username: str | None = Field(default=None, min_length=1, max_length=80)
    timeout: float = Field(default=15.0, gt=0, allow_inf_nan=False)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        webhook_url(value, "/api/webhooks/ID/TOKEN")
        return value


# ---------------------------------------------------------------- pure payload


def neutralise(text: str) -> str:
    """Page text that renders literally: no mention syntax, no masked links (a zero-width space
    breaks each; readers see the same characters)."""
    text = _MASS_MENTION.sub("@" + ZWSP, text)
    text = _MENTION_TAG.sub("<" + ZWSP, text)
    return _MASKED_LINK.sub("]" + ZWSP + "(", text)


def allowed_mentions(mention: str | None) -> dict[str, list[str]]:
    """Exactly what the channel's own mention names may ping; without one, nobody."""
    if not mention:
        return {"parse": []}
    allowed: dict[str, list[str]] = {}
    if _EVERYONE.search(mention):
        allowed["parse"] = ["everyone"]  # Discord's switch for both @everyone and @here
    if roles := _unique(_ROLE.findall(mention)):
        allowed["roles"] = roles
    if users := _unique(_USER.findall(mention)):
        allowed["users"] = users
    return allowed or {"parse": []}


def build_embed(message: Message, phase: str, colour: int) -> dict[str, Any]:
    """One embed within Discord's limits; the description gives way first to the 6,000 total."""
    title = _clip(message.headline, TITLE_MAX)
    fields = _fields(message, phase)
    footer = _clip(message.label, FOOTER_MAX)  # our own words: a label, or a reminder's age
    # The title, our footer, a status and an impact, and the components and changes at 1,024
    # each: about 3,400, so the description always keeps some room.
    used = len(title) + len(footer) + sum(len(f["name"]) + len(f["value"]) for f in fields)
    embed: dict[str, Any] = {"title": title}
    if is_web_link(message.url):
        embed["url"] = message.url
    if description := _description(message, min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - used)):
        embed["description"] = description
    embed["color"] = colour
    embed["fields"] = fields
    if footer:
        embed["footer"] = {"text": footer}
    if message.event.occurred_at is not None:
        embed["timestamp"] = iso_utc(message.event.occurred_at)
    return embed


def first_payload(message: Message, username: str | None = None) -> dict[str, Any]:
    """A thread's first message: the card, showing the thread's current phase."""
    return _post_payload(message, build_embed(message, message.current_phase, message.current_colour), username)


def update_payload(message: Message, username: str | None = None) -> dict[str, Any]:
    """A later update, posted as its own message in the phase it announces."""
    return _post_payload(message, build_embed(message, message.phase, message.colour), username)


def edit_payload(message: Message) -> dict[str, Any]:
    """The PATCH of a first message: the card as the thread stands now. No content: an edit
    never pings, and without explicit allowed_mentions Discord would re-parse with defaults."""
    return {"embeds": [build_embed(message, message.current_phase, message.current_colour)],
            "allowed_mentions": {"parse": []}}


def age_payload(message: Message) -> dict[str, Any]:
    """A reminder's PATCH of the first message: the card as the incident stands (its latest
    update's text), with how long it has been open where the footer names the last change."""
    incident = message.event.incident
    latest = incident.updates[-1].body.strip() if incident is not None and incident.updates else ""
    age = f"Open for {message.age}" if message.age else message.label
    return edit_payload(message.model_copy(update={"label": age, "text": latest or message.text}))


def _post_payload(message: Message, embed: dict[str, Any], username: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if message.mention and message.mention.strip():
        payload["content"] = message.mention.strip()[:CONTENT_MAX]
    if username:
        payload["username"] = username
    payload["embeds"] = [embed]
    payload["allowed_mentions"] = allowed_mentions(message.mention)
    return payload


def _description(message: Message, limit: int) -> str:
    """The update's text; a digest's lines kept whole, with how many did not fit."""
    if message.summary is None:
        return _clip(message.text, limit)
    return "\n".join(lines_within([_clip(line, FIELD_VALUE_MAX) for line in message.text.splitlines()], limit))


def _fields(message: Message, phase: str) -> list[dict[str, Any]]:
    fields = [_field("Status", phase)]
    if message.impact and message.impact != "none":
        fields.append(_field("Impact", readable(message.impact)))
    if message.components:
        fields.append(_field("Components", ", ".join(message.components), inline=False))
    if message.changes:
        changes = lines_within([_clip(line, FIELD_VALUE_MAX) for line in message.changes], FIELD_VALUE_MAX)
        fields.append(_field("Also changed", "\n".join(changes), inline=False))
    return [f for f in fields if f["value"]][:FIELDS_MAX]  # Discord rejects an empty value


def _field(name: str, value: str, inline: bool = True) -> dict[str, Any]:
    return {"name": _clip(name, FIELD_NAME_MAX), "value": _clip(value, FIELD_VALUE_MAX), "inline": inline}


def _clip(text: str, limit: int) -> str:
    # Neutralise first: the zero-width spaces count towards Discord's limits too.
    return truncate(neutralise(text).strip(), limit)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- reading answers


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0 <= value < float("inf") else None


def _message_id(thread: ThreadRef | None) -> str | None:
    """The stored first-message id, if it looks like one (it is put into a URL path)."""
    message_id = (thread or {}).get("message_id")
    return message_id if isinstance(message_id, str) and _SNOWFLAKE.fullmatch(message_id) else None


# ---------------------------------------------------------------- the notifier


class DiscordNotifier:
    # Discord's webhook bucket is 5 requests per 2 s; the headers fine-tune what is left.
    min_interval: ClassVar[float] = 0.5

    def __init__(self, channel: str, settings: DiscordSettings, http: httpx.AsyncClient,
                 sleep: Sleep = asyncio.sleep) -> None:
        self._label = f"discord channel '{channel}'"
        self._url = httpx.URL(settings.webhook_url)
        self._username = settings.username
        self._timeout = settings.timeout
        self._http = http
        self._sleep = sleep
        self._resume_at = 0.0  # monotonic time when an emptied rate-limit bucket refills

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        message_id = _message_id(thread)
        if message.event.reply:
            await self._reply_only(message_id, message)
            return None
        if message_id is not None and await self._edit(message_id, message, edit_payload(message)):
            await self._post(update_payload(message, self._username))
            return None
        response = await self._post(first_payload(message, self._username))
        return {"message_id": self._created_id(response)}

    async def aclose(self) -> None:
        return None  # the HTTP client is shared and owned by the engine

    async def _reply_only(self, message_id: str | None, message: Message) -> None:
        """A card that leaves the thread's first message as it is; a reminder edits only that
        message's age line, and is a card of its own when there is no first message to edit."""
        reminder = message.event.type == "incident.reminder"
        if reminder and message_id is not None and await self._edit(message_id, message, age_payload(message)):
            return
        await self._post(update_payload(message, self._username))

    async def _edit(self, message_id: str, message: Message, payload: dict[str, Any]) -> bool:
        """`payload` on the thread's first message; False if it was deleted."""
        url = self._url.copy_with(path=f"{self._url.path.rstrip('/')}/messages/{message_id}")
        response = await self._request("PATCH", url, payload)
        if response.status_code == 404 and json_object(response).get("code") == UNKNOWN_MESSAGE:
            log.info("%s: the first message of %s was deleted; posting a new one",
                     self._label, message.event.thread_key)
            return False
        self._raise_for(response)
        return True

    async def _post(self, payload: dict[str, Any]) -> httpx.Response:
        # wait=true: Discord answers with the message, and reports errors it would else swallow.
        response = await self._request("POST", self._url.copy_merge_params({"wait": "true"}), payload)
        self._raise_for(response)
        return response

    async def _request(self, method: str, url: httpx.URL, payload: dict[str, Any]) -> httpx.Response:
        await self._wait_for_bucket()
        try:
            response = await self._http.request(
                method, url, content=json_bytes(payload), headers=_JSON, timeout=self._timeout, follow_redirects=False
            )
        except httpx.RequestError as exc:
            raise transport_error(exc, self._label) from None
        self._note_bucket(response)
        return response

    def _raise_for(self, response: httpx.Response) -> None:
        status = response.status_code
        if status == 429:
            raise self._rate_limited(response)
        if status == 404:
            # Discord: "If a webhook returns a 404 status you should not attempt to use it again."
            raise PermanentError(f"{self._label}: webhook gone (404): channel disabled", disable_channel=True)
        raise_for_response(response, self._label)

    def _rate_limited(self, response: httpx.Response) -> RetryableError:
        body = json_object(response)
        # The body's float is more precise than the header's whole seconds.
        retry_after = _seconds(body.get("retry_after"))
        if retry_after is None:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
        scope = ("global",) if body.get("global") is True else ()
        hint = retry_hint(retry_after, *scope)
        return RetryableError(f"{self._label}: {status_text(429)}{hint}", retry_after=retry_after)

    def _created_id(self, response: httpx.Response) -> str:
        message_id = json_object(response).get("id")
        if isinstance(message_id, str) and _SNOWFLAKE.fullmatch(message_id):
            return message_id
        # Not Discord's answer (a proxy's page, a stripped ?wait=true): the message may exist, but
        # without its id the thread cannot be kept. Tried a few times, then given up.
        raise unexpected(self._label, f"{describe(response)}, not Discord's message", response.status_code)

    async def _wait_for_bucket(self) -> None:
        # Pacing, not a retry: the last answer said the bucket is empty until then.
        pause = self._resume_at - time.monotonic()
        if pause > 0:
            log.debug("%s: rate-limit bucket empty; waiting %.2fs", self._label, pause)
            await self._sleep(pause)

    def _note_bucket(self, response: httpx.Response) -> None:
        if response.headers.get("x-ratelimit-remaining", "").strip() != "0":
            return
        reset_after = parse_retry_after(response.headers.get("x-ratelimit-reset-after"))
        if reset_after is not None:
            self._resume_at = max(self._resume_at, time.monotonic() + min(reset_after, MAX_PACE))


def create(channel: str, settings: DiscordSettings, http: httpx.AsyncClient) -> DiscordNotifier:
    return DiscordNotifier(channel, settings, http)


DESTINATION = Destination(
    type="discord", settings=DiscordSettings, create=create, secret_keys=("webhook_url",),
    from_env=(EnvChannel("discord", {"webhook_url": "DISCORD_WEBHOOK_URL"}),),
)
