"""A local stand-in for Google Chat's incoming webhooks over real HTTP.

It serves from a daemon thread, like the other fakes. `POST /v1/spaces/{space}/messages?key=…&token=…`
creates a message and answers with it as Chat does (`name`, `sender`, `createTime`, `thread.name`,
`space`, the posted fields). It checks what Chat checks where that is cheap: the key and token,
`messageReplyOption`, a JSON object with text or cards, known top-level fields, the 32,000-byte
message limit, a threadKey of at most 4,000 characters. Threads are kept by threadKey per
webhook: with `REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD` a known key replies in its thread and a new
key starts one; without the option every message starts a thread, as Chat ignores the key then.

It also reads a message as Chat would show it: the `text` field's mentions (`<users/…>`),
labelled links (`<url|label>`) and formatting (`*bold*`, `_italic_`, `~strike~`, `` `code` ``),
and the HTML a card's text fields carry (`<a href>`, `<b>`, ...), so a test can tell what a page's
text would have done.

The token picks a scenario:

    ok                 normal behaviour (as does any token not listed here)
    ratelimited-once   the first call answers 429 RESOURCE_EXHAUSTED, Retry-After `retry_after`
    gone               404 NOT_FOUND on everything (the space or the webhook was deleted)
    forbidden          403 PERMISSION_DENIED
    5xx-N              the first N calls answer 500 INTERNAL

and the key `bad-key` answers 400 INVALID_ARGUMENT with reason API_KEY_INVALID, as Google does.
`respond(...)` scripts the next replies whatever the URL: `raw` bytes go out as they are.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ._server import FakeHandler, ThreadedFake

MESSAGE_MAX_BYTES = 32_000
THREAD_KEY_MAX = 4_000
SPACE = "AAAAqqqq1Zs"
WEBHOOK_KEY = "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI"  # Chat's webhook key: the same for every webhook

_ROUTE = re.compile(r"/v1/spaces/(?P<space>[A-Za-z0-9_-]+)/messages")
_FAILING = re.compile(r"5xx-([0-9]+)")
_REPLY_OPTIONS = {"MESSAGE_REPLY_OPTION_UNSPECIFIED", "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD", "REPLY_MESSAGE_OR_FAIL"}
_FIELDS = {"text", "cardsV2", "cards", "fallbackText", "thread", "accessoryWidgets", "privateMessageViewer",
           "formattedText", "annotations", "attachment", "clientAssignedMessageId"}
# How Chat reads a message's `text`.
_MENTION = re.compile(r"<users/([^>\s]+)>")
_LABELLED_LINK = re.compile(r"<(https?://[^|>\s]+)\|([^>]+)>")
_FORMAT = re.compile(r"(?<![\w*_~`])([*_~`])(?=\S)(.+?)(?<=\S)\1(?![\w*_~`])")
# HTML a card's text field would render.
_CARD_TAG = re.compile(r"<\s*(a|b|i|u|s|strike|font|br|time)\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Call:
    path: str  # without the query string
    query: dict[str, str]
    json: Any  # the parsed body; None when empty or not JSON
    size: int  # bytes of the body
    status: int  # what the fake answered
    at: float  # time.monotonic() on arrival


@dataclass
class ChatMessage:
    name: str
    thread: str  # the thread's resource name
    thread_key: str | None
    body: dict[str, Any]  # as posted
    started_thread: bool

    @property
    def mentions(self) -> list[str]:
        """Whom the message notifies: `users/all`, `users/123`, ... (only `text` can mention)."""
        return [f"users/{user}" for user in _MENTION.findall(self.body.get("text", ""))]

    @property
    def links(self) -> list[str]:
        """Links shown under a label: `<url|label>` in the text, `<a href>` in a card."""
        text_links = [url for url, _ in _LABELLED_LINK.findall(self.body.get("text", ""))]
        card_links = [tag for tag in self.card_markup if tag.lower().startswith("<a")]
        return text_links + card_links

    @property
    def formatting(self) -> list[str]:
        """Formatted spans of the text (`*bold*`, ...), as Chat would render them."""
        return [match.group(0) for match in _FORMAT.finditer(self.body.get("text", ""))]

    @property
    def card_markup(self) -> list[str]:
        """Every HTML tag in the cards' text fields (where Chat renders them), <br> excepted."""
        tags = [match.group(0) for text in _card_texts(self.body) for match in _CARD_TAG.finditer(text)]
        return [tag for tag in tags if not tag.lower().startswith("<br")]

    @property
    def card_texts(self) -> list[str]:
        """Every string the cards show (header, widgets), in order."""
        return list(_strings(self.body.get("cardsV2", [])))


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return b"" if self.body is None else json.dumps(self.body).encode()


def _error(status: int, state: str, message: str, reason: str | None = None) -> _Reply:
    """A Google API error body (google.rpc.Status in JSON)."""
    error: dict[str, Any] = {"code": status, "message": message, "status": state}
    if reason is not None:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                             "domain": "googleapis.com", "metadata": {"service": "chat.googleapis.com"}}]
    return _Reply(status, {"error": error})


class FakeGoogleChat(ThreadedFake[Call, _Reply]):
    noun = "calls"

    def __init__(self, retry_after: float = 1.0) -> None:
        super().__init__(_Handler, name="fake-googlechat")
        self.retry_after = retry_after  # what the `ratelimited-once` scenario asks for
        self._messages: list[ChatMessage] = []
        self._threads: dict[tuple[str, str], str] = {}  # (token, threadKey) -> thread name
        self._per_token: Counter[str] = Counter()
        self._sequence = 0

    # ------------------------------------------------------------ test API

    def webhook_url(self, token: str = "ok", key: str = WEBHOOK_KEY, space: str = SPACE) -> str:
        return f"{self.url}/v1/spaces/{space}/messages?key={key}&token={token}"

    def respond(self, status: int, json_body: Any = None, headers: Mapping[str, str] | None = None,
                times: int = 1, raw: bytes | None = None) -> None:
        """Answer the next `times` calls like this (a JSON body, or `raw` bytes), on any path."""
        reply = _Reply(status, json_body, dict(headers or {}), raw)
        self._queue(copy.deepcopy(reply) for _ in range(times))

    @property
    def messages(self) -> list[ChatMessage]:
        with self._changed:
            return copy.deepcopy(self._messages)

    def thread(self, name: str) -> list[ChatMessage]:
        """The messages of one thread, oldest first."""
        return [message for message in self.messages if message.thread == name]

    # ------------------------------------------------------------ serving

    def _serve(self, method: str, target: str, raw: bytes) -> _Reply:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        body = _parse(raw)
        with self._changed:
            reply = self._scripted() or self._answer(method, parts.path, query, body, len(raw))
            self._record(Call(parts.path, query, body, len(raw), reply.status, time.monotonic()))
        return reply

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any, size: int) -> _Reply:
        route = _ROUTE.fullmatch(path)
        if route is None:
            return _error(404, "NOT_FOUND", "Requested entity was not found.")
        if method != "POST":
            return _error(405, "METHOD_NOT_ALLOWED", "Method not allowed.")
        if query.get("key") == "bad-key":
            return _error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "API_KEY_INVALID")
        token = query.get("token")
        if not query.get("key") or not token:
            return _error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        self._per_token[token] += 1
        refused = self._scenario(token, self._per_token[token])
        if refused is not None:
            return refused
        invalid = _invalid(query, body, size)
        if invalid is not None:
            return invalid
        return self._create(route.group("space"), token, query, body)

    def _scenario(self, token: str, call: int) -> _Reply | None:
        if token == "gone":
            return _error(404, "NOT_FOUND", "Requested entity was not found.")
        if token == "forbidden":
            return _error(403, "PERMISSION_DENIED", "The caller does not have permission")
        failing = _FAILING.fullmatch(token)
        if failing and call <= int(failing.group(1)):
            return _error(500, "INTERNAL", "Internal error encountered.")
        if token == "ratelimited-once" and call == 1:
            reply = _error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).",
                           "RATE_LIMIT_EXCEEDED")
            reply.headers["Retry-After"] = f"{self.retry_after:g}"
            return reply
        return None

    def _create(self, space: str, token: str, query: dict[str, str], body: dict[str, Any]) -> _Reply:
        key = (body.get("thread") or {}).get("threadKey")
        replying = query.get("messageReplyOption", "MESSAGE_REPLY_OPTION_UNSPECIFIED") != "MESSAGE_REPLY_OPTION_UNSPECIFIED"
        thread = self._threads.get((token, key)) if replying and key else None
        started = thread is None
        if thread is None:  # a new key starts a thread (with either option that reads it)
            thread = f"spaces/{space}/threads/{self._id()}"
            if replying and key:
                self._threads[(token, key)] = thread
        name = f"spaces/{space}/messages/{self._id()}.{self._id()}"
        self._messages.append(ChatMessage(name, thread, key, body, started))
        return _Reply(200, _message_object(name, space, thread, body))

    def _id(self) -> str:
        self._sequence += 1
        return f"{self._sequence:011d}"


# ---------------------------------------------------------------- Chat's validation


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _invalid(query: dict[str, str], body: Any, size: int) -> _Reply | None:
    """400 INVALID_ARGUMENT as Chat answers it, or None when the request passes."""
    option = query.get("messageReplyOption")
    if option is not None and option not in _REPLY_OPTIONS:
        return _error(400, "INVALID_ARGUMENT", f'Invalid value at \'message_reply_option\' ("{option}")')
    if not isinstance(body, dict):
        return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        return _error(400, "INVALID_ARGUMENT", f'Invalid JSON payload received. Unknown name "{unknown[0]}"')
    if not body.get("text") and not body.get("cardsV2"):
        return _error(400, "INVALID_ARGUMENT", "Message cannot be empty. Discarding empty message.")
    if size > MESSAGE_MAX_BYTES:
        return _error(400, "INVALID_ARGUMENT", "Message exceeds the maximum size.")
    key = (body.get("thread") or {}).get("threadKey")
    if key is not None and (not isinstance(key, str) or len(key) > THREAD_KEY_MAX):
        return _error(400, "INVALID_ARGUMENT", "Invalid thread key.")
    for card in body.get("cardsV2") or []:
        if not isinstance(card, dict) or not card.get("card", {}).get("sections"):
            return _error(400, "INVALID_ARGUMENT", "Invalid card: a card needs at least one section.")
        if any(not section.get("widgets") for section in card["card"]["sections"]):
            return _error(400, "INVALID_ARGUMENT", "Invalid card: a section needs at least one widget.")
    return None


def _message_object(name: str, space: str, thread: str, body: dict[str, Any]) -> dict[str, Any]:
    text = body.get("text", "")
    message: dict[str, Any] = {
        "name": name,
        "sender": {"name": "users/114022495153014004089", "displayName": "statusbot", "type": "BOT"},
        "createTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "text": text,
        "cardsV2": body.get("cardsV2", []),
        "thread": {"name": thread},
        "space": {"name": f"spaces/{space}", "type": "ROOM", "spaceType": "SPACE", "displayName": "Ops"},
        "argumentText": text,
        "formattedText": text,
    }
    if "fallbackText" in body:
        message["fallbackText"] = body["fallbackText"]
    mentions = [{"type": "USER_MENTION", "userMention": {"user": {"name": f"users/{user}"}, "type": "MENTION"}}
                for user in _MENTION.findall(text)]
    if mentions:
        message["annotations"] = mentions
    return message


def _card_texts(body: dict[str, Any]) -> list[str]:
    """The card fields Chat renders as HTML: text paragraphs and decorated text."""
    texts: list[str] = []
    for card in body.get("cardsV2") or []:
        for section in card.get("card", {}).get("sections", []):
            for widget in section.get("widgets", []):
                for kind in ("textParagraph", "decoratedText"):
                    if kind in widget:
                        texts.append(widget[kind].get("text", ""))
    return texts


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


# ---------------------------------------------------------------- HTTP plumbing


class _Handler(FakeHandler):
    def _handle(self) -> None:
        reply = self.server.fake._serve(self.command, self.path, self._body())
        payload = reply.encoded()
        typed = payload and not any(name.lower() == "content-type" for name in reply.headers)
        kind = "application/json; charset=UTF-8" if reply.raw is None else "text/html"
        self._send(reply.status, {**({"content-type": kind} if typed else {}), **reply.headers}, payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
