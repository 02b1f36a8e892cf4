"""A fake Slack: Web API (chat.postMessage, chat.update) and incoming webhooks on a real local server.

Like slack-sdk's own mock server, the scenario comes from the token (Web API) or from the last
path segment (webhooks), so the real client libraries run unmodified against it, in-process or
from a bot subprocess. It answers with Slack's real shapes and keeps every message per channel:
ts, thread_ts, reply_broadcast, text, attachments, blocks and the versions before each edit.

    with FakeSlack() as slack:
        client = AsyncWebClient(token="xoxb-ratelimited-once", base_url=slack.api_url)
        ...
        slack.wait_for(2)

Tokens (`xoxb-<scenario>`, anything after it is free, e.g. `xoxb-ok-7f3a`):
    ok                    every call succeeds
    ratelimited-once      the first call answers 429, Retry-After: 1, `ratelimited`
    5xx-N                 the first N calls answer HTTP 500 with an HTML page
    invalid-auth, token-revoked, not-in-channel
                          every call fails with that code (HTTP 200, `ok: false`)
    edit-window-closed    chat.update fails with `edit_window_closed`
    rejects-blocks        `invalid_blocks` whenever attachments or blocks are sent
    (no token: `not_authed`; any other token: `invalid_auth`)

Webhook scenarios (`webhook_url(scenario)`, the same `-anything` suffix allowed):
    ok                    200 `ok`
    rejects-blocks        400 `invalid_payload` when attachments or blocks are sent
    invalid_payload       400 `invalid_payload` always
    prohibited            403 `action_prohibited`
    gone                  404 `no_service` (so is any unknown scenario)
    archived              410 `channel_is_archived`
    ratelimited-once      the first post answers 429, Retry-After: 1

`respond(...)` scripts the next answers to any request, ahead of every scenario (a body of bytes
goes out as it is: invalid UTF-8, say).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ._server import FakeHandler, ThreadedFake

SCENARIOS = ("ok", "ratelimited-once", "5xx", "invalid-auth", "token-revoked", "not-in-channel",
             "edit-window-closed", "rejects-blocks")
FAILING_TOKENS = {
    "unknown": "invalid_auth",
    "invalid-auth": "invalid_auth",
    "token-revoked": "token_revoked",
    "not-in-channel": "not_in_channel",
}
WEBHOOK_PREFIX = "/services/T00000000/B00000000/"
WEBHOOK_SCENARIOS = ("ok", "rejects-blocks", "invalid_payload", "prohibited", "gone", "archived", "ratelimited-once")
WEBHOOK_FAILURES = {
    "unknown": (404, "no_service"),
    "gone": (404, "no_service"),
    "prohibited": (403, "action_prohibited"),
    "archived": (410, "channel_is_archived"),
}
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{8,}")
_HTML_500 = "<html><body><h1>500 Internal Server Error</h1></body></html>"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str | None  # from `Authorization: Bearer`, or a `token` field
    body: dict[str, Any]  # JSON or form fields; form `attachments`/`blocks` decoded, booleans as bool
    headers: dict[str, str]  # names in lower case


@dataclass
class Posted:
    """A message as the fake keeps it."""

    channel: str  # the channel id
    ts: str
    text: str | None
    attachments: list[Any] | None
    blocks: list[Any] | None
    thread_ts: str | None = None
    reply_broadcast: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)  # the versions before each edit, oldest first
    deleted: bool = False


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: Mapping[str, Any] | str | bytes = "ok"  # a mapping is sent as JSON, a string or bytes as plain text
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeSlack(ThreadedFake[Request, Answer]):
    def __init__(self) -> None:
        super().__init__(_Handler, name="fake-slack")
        self._calls: Counter[str] = Counter()  # per token or webhook path: for the "once"/"N" scenarios
        self._channels: dict[str, str] = {}  # name -> id
        self._messages: dict[str, list[Posted]] = {}  # channel id -> messages, oldest first
        self._webhook_posts: dict[str, list[dict[str, Any]]] = {}
        self._ts = itertools.count(100, 100)
        self._ids = itertools.count(1)

    # ------------------------------------------------------------ set-up

    @property
    def base_url(self) -> str:
        return self.url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def webhook_url(self, scenario: str = "ok") -> str:
        return f"{self.base_url}{WEBHOOK_PREFIX}{scenario}"

    def respond(
        self,
        status: int = 200,
        body: Mapping[str, Any] | str | bytes = "ok",
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests (any path) like this, ahead of every scenario."""
        self._queue([Answer(status, body, dict(headers or {}), delay)] * times)

    # ------------------------------------------------------------ what happened
    # (`requests` and `wait_for` come from ThreadedFake)

    def channel_id(self, channel: str) -> str:
        with self._changed:
            return self._resolve(channel)

    def messages(self, channel: str) -> list[Posted]:
        """Every message of `channel` (name or id), deleted ones included, oldest first."""
        with self._changed:
            return list(self._messages.get(self._resolve(channel), []))

    def delete(self, channel: str, ts: str) -> None:
        """What a person deleting the message in Slack does."""
        with self._changed:
            message = self._find(self._resolve(channel), ts)
            if message is None:
                raise KeyError(f"no message {ts} in {channel}")
            message.deleted = True

    def webhook_posts(self, name: str = "ok") -> list[dict[str, Any]]:
        """The bodies a webhook accepted; `name` as given to `webhook_url`."""
        with self._changed:
            return list(self._webhook_posts.get(name, []))

    # ------------------------------------------------------------ serving (under the lock)

    def _answer(self, request: Request) -> Answer:
        with self._changed:
            self._record(request)
            scripted = self._scripted()
            if scripted is not None:
                return scripted
            if request.path.startswith(WEBHOOK_PREFIX):
                return self._webhook(request.path.removeprefix(WEBHOOK_PREFIX), request.body)
            return self._api(request)

    def _api(self, request: Request) -> Answer:
        if request.token is None:
            return _error("not_authed")
        self._calls[request.token] += 1
        calls = self._calls[request.token]
        scenario, count = _scenario(request.token)
        method = request.path.removeprefix("/api/")
        if scenario in FAILING_TOKENS:
            return _error(FAILING_TOKENS[scenario])
        if scenario == "ratelimited-once" and calls == 1:
            return Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
        if scenario == "5xx" and calls <= count:
            return Answer(500, _HTML_500, {"Content-Type": "text/html"})
        if scenario == "rejects-blocks" and _rich(request.body):
            return _error("invalid_blocks")
        if method == "chat.postMessage":
            return self._post_message(request.body)
        if method == "chat.update":
            return _error("edit_window_closed") if scenario == "edit-window-closed" else self._update(request.body)
        return _error("unknown_method")

    def _post_message(self, body: dict[str, Any]) -> Answer:
        if not body.get("channel"):
            return _error("channel_not_found")
        if not (body.get("text") or body.get("blocks") or body.get("attachments")):
            return _error("no_text")
        channel = self._resolve(str(body["channel"]))
        thread_ts = body.get("thread_ts")
        if thread_ts is not None and self._find(channel, str(thread_ts)) is None:
            return _error("thread_not_found")
        message = Posted(
            channel=channel,
            ts=f"1700000000.{next(self._ts):06d}",
            text=body.get("text"),
            attachments=body.get("attachments"),
            blocks=body.get("blocks"),
            thread_ts=thread_ts,
            reply_broadcast=bool(body.get("reply_broadcast")),
        )
        self._messages.setdefault(channel, []).append(message)
        return Answer(200, {"ok": True, "channel": channel, "ts": message.ts, "message": _shape(message)})

    def _update(self, body: dict[str, Any]) -> Answer:
        channel = self._resolve(str(body.get("channel", "")))
        message = self._find(channel, str(body.get("ts", "")))
        if message is None:
            return _error("message_not_found")
        message.edits.append({"text": message.text, "attachments": message.attachments, "blocks": message.blocks})
        # Like Slack: a field left out keeps its old value; an empty list removes it.
        for name in ("text", "attachments", "blocks"):
            if name in body:
                setattr(message, name, body[name] or None)
        shape = _shape(message)
        return Answer(200, {"ok": True, "channel": channel, "ts": message.ts, "text": message.text, "message": shape})

    def _webhook(self, name: str, body: dict[str, Any]) -> Answer:
        self._calls[name] += 1
        scenario = _match(name, WEBHOOK_SCENARIOS)
        if scenario == "ratelimited-once" and self._calls[name] == 1:
            return Answer(429, "rate_limited", {"Retry-After": "1"})
        if scenario == "invalid_payload" or (scenario == "rejects-blocks" and _rich(body)):
            return Answer(400, "invalid_payload")
        if scenario in WEBHOOK_FAILURES:
            return Answer(*WEBHOOK_FAILURES[scenario])
        self._webhook_posts.setdefault(name, []).append(body)
        return Answer(200, "ok")

    def _resolve(self, channel: str) -> str:
        """A channel's id from its name (`#ops` or `ops`) or id; a new channel on first sight."""
        name = channel.removeprefix("#")
        if name in self._messages or _CHANNEL_ID.fullmatch(name):
            return name
        if name not in self._channels:
            self._channels[name] = f"C{next(self._ids):010d}"
        return self._channels[name]

    def _find(self, channel: str, ts: str) -> Posted | None:
        return next((m for m in self._messages.get(channel, []) if m.ts == ts and not m.deleted), None)


def _error(code: str) -> Answer:
    return Answer(200, {"ok": False, "error": code})


def _match(name: str, scenarios: tuple[str, ...]) -> str:
    """The scenario `name` starts with (`ok`, `ok-7f3a`), else "unknown"."""
    return next((s for s in scenarios if name == s or name.startswith(f"{s}-")), "unknown")


def _scenario(token: str) -> tuple[str, int]:
    """`xoxb-5xx-2-abc` -> ("5xx", 2); `xoxb-ok-abc` -> ("ok", 0); no known scenario -> ("unknown", 0)."""
    name = token.removeprefix("xoxb-")
    scenario = _match(name, SCENARIOS)
    count = re.match(r"5xx-(\d+)", name) if scenario == "5xx" else None
    return scenario, int(count.group(1)) if count else 0


def _rich(body: Mapping[str, Any]) -> bool:
    return bool(body.get("attachments") or body.get("blocks"))


def _shape(message: Posted) -> dict[str, Any]:
    """The `message` object Slack returns."""
    shape: dict[str, Any] = {"type": "message", "user": "U0000000BOT", "bot_id": "B0000000001", "ts": message.ts}
    for name in ("text", "attachments", "blocks", "thread_ts"):
        if getattr(message, name) is not None:
            shape[name] = getattr(message, name)
    return shape


def _parse(content_type: str, raw: bytes) -> dict[str, Any]:
    if content_type.startswith("application/json"):
        return json.loads(raw or b"{}")
    fields: dict[str, Any] = dict(parse_qsl(raw.decode()))
    for name in ("attachments", "blocks"):
        if name in fields:
            fields[name] = json.loads(fields[name])
    for name in ("reply_broadcast", "unfurl_links", "unfurl_media", "mrkdwn", "link_names"):
        if name in fields:
            fields[name] = fields[name].lower() in ("1", "true")
    return fields


class _Handler(FakeHandler):
    def do_POST(self) -> None:
        raw = self._body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        body = _parse(headers.get("content-type", ""), raw)
        bearer = headers.get("authorization", "")
        token = bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else body.pop("token", None)
        answer = self.server.fake._answer(Request(self.command, urlsplit(self.path).path, token, body, headers))
        if isinstance(answer.body, bytes):
            content_type, payload = "text/plain; charset=utf-8", answer.body  # as sent, valid UTF-8 or not
        elif isinstance(answer.body, str):
            content_type, payload = "text/plain; charset=utf-8", answer.body.encode()
        else:
            content_type, payload = "application/json; charset=utf-8", json.dumps(answer.body).encode()
        # An answer's own Content-Type wins over the one its body implies.
        sent = {"Content-Type": answer.headers.get("Content-Type", content_type)}
        sent.update((name, value) for name, value in answer.headers.items() if name.lower() != "content-type")
        self._send(answer.status, sent, payload, answer.delay)
