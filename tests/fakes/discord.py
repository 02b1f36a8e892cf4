"""A local stand-in for Discord's webhook API over real HTTP.

It serves from a daemon thread, like WebhookReceiver. It keeps the messages it was sent (with
their edit history), validates bodies the way Discord does where that is cheap (embed limits, the
6,000-character total, allowed_mentions), works out who a message would ping, sends
`X-RateLimit-*` headers for a bucket per webhook and answers 429 when the bucket is exceeded.

The token in the URL picks a scenario:

    ok                 normal behaviour (as does any token not listed here)
    ratelimited-once   the first call answers 429 with `retry_after` seconds
    gone               404 Unknown Webhook (code 10015) on everything
    5xx-N              the first N calls answer 500
    unauthorized       401 Invalid Webhook Token (code 50027)

`respond(...)` scripts the next replies, whatever the token or the path: `raw` bytes go out as
they are (text/html unless the reply's headers name a Content-Type).

    with FakeDiscord() as discord:
        url = discord.webhook_url("ok")
        ...POST f"{url}?wait=true"...
        discord.wait_for(1)
        [message] = discord.messages
"""

from __future__ import annotations

import copy
import json
import math
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ._server import FakeHandler, ThreadedFake

DISCORD_EPOCH_MS = 1_420_070_400_000
CHANNEL_ID = "1200000000000000001"

_ROUTE = re.compile(r"/api(?:/v\d+)?/webhooks/(?P<webhook>[0-9]+)/(?P<token>[^/]+)(?:/messages/(?P<message>[^/]+))?/?")
_FAILING = re.compile(r"5xx-([0-9]+)")
# How Discord reads mentions in `content` (embeds never ping).
_EVERYONE = re.compile(r"@(?:everyone|here)")
_ROLE = re.compile(r"<@&([0-9]+)>")
_USER = re.compile(r"<@!?([0-9]+)>")
_WEBHOOK_DEFAULT_MENTIONS = {"parse": ["users"]}


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    json: Any  # the parsed body; None when empty or not JSON
    status: int  # what the fake answered
    at: float  # time.monotonic() on arrival


@dataclass
class StoredMessage:
    id: str
    webhook_id: str
    versions: list[dict[str, Any]]  # the message object as created, then after each edit
    deleted: bool = False

    @property
    def current(self) -> dict[str, Any]:
        return self.versions[-1]

    @property
    def edits(self) -> int:
        return len(self.versions) - 1


@dataclass
class _Reply:
    status: int
    body: Any = None  # JSON-encoded unless `raw` is set
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    delay: float = 0.0

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return b"" if self.body is None else json.dumps(self.body).encode()


@dataclass
class _Bucket:
    started: float
    used: int = 0


def _error(status: int, code: int, message: str, **extra: Any) -> _Reply:
    return _Reply(status, {"message": message, "code": code, **extra})


class FakeDiscord(ThreadedFake[Call, _Reply]):
    noun = "calls"

    def __init__(self, limit: int = 5, window: float = 2.0, retry_after: float = 1.2) -> None:
        super().__init__(_Handler, name="fake-discord")
        self.limit = limit  # requests per bucket window, per webhook
        self.window = window  # seconds
        self.retry_after = retry_after  # what the `ratelimited-once` scenario asks for
        self._messages: dict[str, StoredMessage] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._per_token: Counter[str] = Counter()
        self._sequence = 0

    # ------------------------------------------------------------ test API
    # (`url`, `requests`, `wait_for`, `start`, `stop` come from ThreadedFake)

    def webhook_url(self, token: str = "ok", webhook_id: str = "1100000000000000001") -> str:
        return f"{self.url}/api/webhooks/{webhook_id}/{token}"

    def respond(self, status: int, json_body: Any = None, headers: Mapping[str, str] | None = None,
                times: int = 1, raw: bytes | None = None, delay: float = 0.0) -> None:
        """Answer the next `times` calls like this (a JSON body, or `raw` bytes), on any path."""
        reply = _Reply(status, json_body, dict(headers or {}), raw, delay)
        self._queue(copy.deepcopy(reply) for _ in range(times))

    @property
    def messages(self) -> list[StoredMessage]:
        """Every message created, oldest first, deleted ones included (see `.deleted`)."""
        with self._changed:
            return copy.deepcopy(list(self._messages.values()))

    def message(self, message_id: str) -> StoredMessage:
        with self._changed:
            return copy.deepcopy(self._messages[message_id])

    def delete(self, message_id: str) -> None:
        """What a moderator deleting the message in Discord's client does."""
        with self._changed:
            self._messages[message_id].deleted = True

    # ------------------------------------------------------------ serving

    def _serve(self, method: str, target: str, raw: bytes) -> _Reply:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        body = _parse(raw)
        with self._changed:
            reply = self._scripted() or self._answer(method, parts.path, query, body)
            self._record(Call(method, parts.path, query, body, reply.status, time.monotonic()))
        return reply

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any) -> _Reply:
        route = _ROUTE.fullmatch(path)
        if route is None:
            return _error(404, 0, "404: Not Found")
        webhook, token, message_id = route.group("webhook", "token", "message")
        self._per_token[token] += 1
        refused = self._scenario(token, self._per_token[token])
        if refused is not None:
            return refused
        limited, headers = self._take(webhook, token)
        reply = limited or self._route(method, webhook, message_id, query, body)
        reply.headers.update(headers)
        return reply

    def _scenario(self, token: str, call: int) -> _Reply | None:
        if token == "gone":
            return _error(404, 10015, "Unknown Webhook")
        if token == "unauthorized":
            return _error(401, 50027, "Invalid Webhook Token")
        failing = _FAILING.fullmatch(token)
        if failing and call <= int(failing.group(1)):
            return _error(500, 0, "500: Internal Server Error")
        if token == "ratelimited-once" and call == 1:
            reply = self._rate_limited(self.retry_after)
            reply.headers.update({"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": "0",
                                  "X-RateLimit-Reset-After": f"{self.retry_after:.3f}"})
            return reply
        return None

    def _take(self, webhook: str, token: str) -> tuple[_Reply | None, dict[str, str]]:
        """One request from the webhook's bucket: the 429 if it is empty, and the headers."""
        now = time.monotonic()
        bucket = self._buckets.get((webhook, token))
        if bucket is None or now >= bucket.started + self.window:
            bucket = self._buckets[(webhook, token)] = _Bucket(now)
        # Rounded up, so a client that waits what it was told never arrives early.
        reset_after = math.ceil((bucket.started + self.window - now) * 1000) / 1000
        limited = self._rate_limited(reset_after) if bucket.used >= self.limit else None
        if limited is None:
            bucket.used += 1
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - bucket.used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"bucket-{webhook}",
        }
        return limited, headers

    def _rate_limited(self, retry_after: float) -> _Reply:
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
        # Real answers carry `Via`; discord-webhook treats a 429 without it as a Cloudflare ban.
        headers = {"Retry-After": str(math.ceil(retry_after)), "X-RateLimit-Scope": "user", "Via": "1.1 google"}
        return _Reply(429, body, headers)

    def _route(self, method: str, webhook: str, message_id: str | None, query: dict[str, str], body: Any) -> _Reply:
        if message_id is None:
            if method == "POST":
                return self._execute(webhook, query, body)
            return _error(405, 0, "405: Method Not Allowed")
        stored = self._messages.get(message_id)
        if stored is None or stored.deleted or stored.webhook_id != webhook:
            return _error(404, 10008, "Unknown Message")
        if method == "PATCH":
            return self._edit(stored, body)
        if method == "DELETE":
            stored.deleted = True
            return _Reply(204)
        if method == "GET":
            return _Reply(200, stored.current)
        return _error(405, 0, "405: Method Not Allowed")

    def _execute(self, webhook: str, query: dict[str, str], body: Any) -> _Reply:
        invalid = _invalid(body)
        if invalid is not None:
            return invalid
        if not body.get("content") and not body.get("embeds"):
            return _error(400, 50006, "Cannot send an empty message")
        stored = StoredMessage(self._snowflake(), webhook, [])
        stored.versions.append(_message_object(stored.id, webhook, body))
        self._messages[stored.id] = stored
        if query.get("wait", "false").lower() != "true":
            return _Reply(204)  # Discord's default: no message object, no id
        return _Reply(200, stored.current)

    def _edit(self, stored: StoredMessage, body: Any) -> _Reply:
        invalid = _invalid(body)
        if invalid is not None:
            return invalid
        version = copy.deepcopy(stored.current)
        for key in ("content", "embeds", "allowed_mentions"):
            if key in body:
                version[key] = _embeds(body[key]) if key == "embeds" else body[key]
        # Edited content is parsed again, with the edit's own allowed_mentions or the default.
        version.update(_pings(version["content"], body.get("allowed_mentions")))
        version["edited_timestamp"] = _now()
        stored.versions.append(version)
        return _Reply(200, version)

    def _snowflake(self) -> str:
        self._sequence += 1
        return str(((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | self._sequence)


# ---------------------------------------------------------------- Discord's validation


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _invalid(body: Any) -> _Reply | None:
    """400 as Discord answers it, or None when the body passes."""
    if not isinstance(body, dict):
        return _error(400, 50109, "The request body contains invalid JSON.")
    problems = _problems(body)
    if not problems:
        return None
    return _error(400, 50035, "Invalid Form Body", errors=_nested(problems))


def _problems(body: dict[str, Any]) -> dict[str, str]:
    """Dotted field path -> what is wrong with it."""
    problems: dict[str, str] = {}
    _max_length(problems, "content", body.get("content"), 2000)
    username = body.get("username")
    if username is not None and not 1 <= len(username) <= 80:
        problems["username"] = "Must be between 1 and 80 in length."
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems["embeds"] = "Must be 10 or fewer in length."
    total = sum(_embed_problems(problems, f"embeds.{i}", embed) for i, embed in enumerate(embeds))
    if total > 6000:
        problems["embeds"] = "Embed size exceeds maximum size of 6000"
    _mention_problems(problems, body.get("allowed_mentions"))
    return problems


def _embed_problems(problems: dict[str, str], where: str, embed: dict[str, Any]) -> int:
    """Record the embed's problems; return its size as Discord counts it towards 6,000."""
    sizes = [
        _max_length(problems, f"{where}.title", embed.get("title"), 256),
        _max_length(problems, f"{where}.description", embed.get("description"), 4096),
        _max_length(problems, f"{where}.footer.text", (embed.get("footer") or {}).get("text"), 2048),
        _max_length(problems, f"{where}.author.name", (embed.get("author") or {}).get("name"), 256),
    ]
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems[f"{where}.fields"] = "Must be 25 or fewer in length."
    for i, item in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            text = item.get(key)
            if not isinstance(text, str) or not text.strip():
                problems[f"{where}.fields.{i}.{key}"] = "This field is required"
            sizes.append(_max_length(problems, f"{where}.fields.{i}.{key}", text, limit))
    colour = embed.get("color")
    if colour is not None and (not isinstance(colour, int) or not 0 <= colour <= 0xFFFFFF):
        problems[f"{where}.color"] = "Int value should be less than or equal to 16777215."
    url = embed.get("url")
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        problems[f"{where}.url"] = "Scheme must be one of ('http', 'https')."
    return sum(sizes)


def _max_length(problems: dict[str, str], where: str, text: Any, limit: int) -> int:
    if not isinstance(text, str):
        return 0
    size = len(text.strip())  # Discord trims before it counts
    if size > limit:
        problems[where] = f"Must be {limit} or fewer in length."
    return size


def _mention_problems(problems: dict[str, str], allowed: Any) -> None:
    if allowed is None:
        return
    parse = allowed.get("parse", [])
    if set(parse) - {"users", "roles", "everyone"}:
        problems["allowed_mentions.parse"] = "Value must be one of {'users', 'roles', 'everyone'}."
    for kind in ("users", "roles"):
        if kind in allowed and kind in parse:
            problems[f"allowed_mentions.{kind}"] = f"parse:[\"{kind}\"] and {kind}: [ids...] are mutually exclusive."
        if len(allowed.get(kind, [])) > 100:
            problems[f"allowed_mentions.{kind}"] = "Must be 100 or fewer in length."


def _nested(problems: dict[str, str]) -> dict[str, Any]:
    """Discord's error shape: {"embeds": {"0": {"title": {"_errors": [...]}}}}."""
    tree: dict[str, Any] = {}
    for path, message in problems.items():
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
        node["_errors"] = [{"code": "BASE_TYPE_BAD_VALUE", "message": message}]
    return tree


def _pings(content: str, allowed: dict[str, Any] | None) -> dict[str, Any]:
    """Who `content` notifies under `allowed` (a webhook's default: users only)."""
    allowed = _WEBHOOK_DEFAULT_MENTIONS if allowed is None else allowed
    parse = set(allowed.get("parse", []))
    users = [u for u in _USER.findall(content) if "users" in parse or u in allowed.get("users", [])]
    roles = [r for r in _ROLE.findall(content) if "roles" in parse or r in allowed.get("roles", [])]
    return {
        "mentions": [{"id": user} for user in dict.fromkeys(users)],
        "mention_roles": list(dict.fromkeys(roles)),
        "mention_everyone": "everyone" in parse and _EVERYONE.search(content) is not None,
    }


def _embeds(embeds: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"type": "rich", **embed} for embed in embeds or []]


def _message_object(message_id: str, webhook: str, body: dict[str, Any]) -> dict[str, Any]:
    content = body.get("content") or ""
    return {
        "id": message_id,
        "type": 0,
        "channel_id": CHANNEL_ID,
        "webhook_id": webhook,
        "author": {"id": webhook, "username": body.get("username") or "Spidey Bot", "bot": True},
        "content": content,
        "embeds": _embeds(body.get("embeds")),
        "allowed_mentions": body.get("allowed_mentions"),
        "timestamp": _now(),
        "edited_timestamp": None,
        "tts": False,
        "flags": 0,
        "attachments": [],
        "components": [],
        **_pings(content, body.get("allowed_mentions")),
    }


def _now() -> str:
    return datetime.now(UTC).isoformat()


# ---------------------------------------------------------------- HTTP plumbing


class _Handler(FakeHandler):
    def _handle(self) -> None:
        reply = self.server.fake._serve(self.command, self.path, self._body())
        payload = reply.encoded()
        typed = payload and not any(name.lower() == "content-type" for name in reply.headers)
        content_type = {"content-type": "application/json" if reply.raw is None else "text/html"} if typed else {}
        self._send(reply.status, {**content_type, **reply.headers}, payload, reply.delay)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle
