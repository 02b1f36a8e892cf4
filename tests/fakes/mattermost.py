"""A local stand-in for a Mattermost server's incoming webhooks (`POST /hooks/{key}`) over real HTTP.

It answers as the server does (`channels/web/webhook.go`, `channels/app/webhook.go`): `200 ok`
(text/plain) for a post; a JSON AppError for a refusal, whose message quotes the hook's key, with
the status the server gives: 400 for a key it does not know (a deleted hook) or an `@user` that
does not exist, 404 for a channel it cannot find, 403 for a hook locked to another channel, 400 for
a body it cannot decode or a message with neither text nor attachments. It applies what the server
does to what it takes: Slack's `<!channel>`, `<!here>`, `<!all>` become `@channel`, `@here`,
`@all`, `<@id>` becomes `@username`, `<url|text>` becomes `[text](url)` (in the text, an
attachment's pretext, text and field values); a message longer than `max_post_size` becomes
several posts. Each post records who it would notify, read the way the server reads mentions (in
its message and its attachments' pretext, text and field values). An attachment's colour and
title link are checked as the server's model checks them.

`respond(...)` scripts the next replies, whatever the key: `raw` bytes go out as they are.

    with FakeMattermost() as mattermost:
        url = mattermost.webhook_url()       # a hook into "town-square"
        ...POST url...
        [post] = mattermost.posts
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._server import FakeHandler, ThreadedFake

MAX_POST_SIZE = 16_383  # ServiceSettings.MaxPostSize's default (runes)
GENERAL = "web.incoming_webhook.general.app_error"

_ROUTE = re.compile(r"/hooks/(?P<key>[A-Za-z0-9]+)")
_SLACK_LINK = re.compile(r"<([^<|]+)\|([^>]+)>")  # the server's linkWithTextRegex
_USER_ID = re.compile(r"<@([a-zA-Z0-9]+)>")
_ANNOUNCEMENTS = {"<!channel>": "@channel", "<!here>": "@here", "<!all>": "@all"}
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# A word as the server splits a message to find mentions: letters, digits and . - _ : @ hold together.
_WORD = re.compile(r"[\w.\-:@]+")
_CHANNEL_WIDE = {"channel", "here", "all"}
_HTTP_URL = re.compile(r"https?://[^\s/]+")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    content_type: str
    json: Any  # the parsed body; None when it is not JSON
    status: int  # what the fake answered
    at: float  # time.monotonic() on arrival


@dataclass(frozen=True)
class Post:
    hook: str
    channel: str
    message: str  # after the server's Slack compatibility
    attachments: list[dict[str, Any]]
    username: str | None  # the override the post shows
    icon_url: str | None
    props: dict[str, Any]  # the rest of the request's props
    mentions: frozenset[str]  # who it notifies: "channel", "here", "all", or usernames


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class _Hook:
    channel: str
    locked: bool = False


class FakeMattermost(ThreadedFake[Call, _Reply]):
    noun = "calls"

    def __init__(self, max_post_size: int = MAX_POST_SIZE) -> None:
        super().__init__(_Handler, name="fake-mattermost")
        self.max_post_size = max_post_size
        self.channels = {"town-square", "off-topic", "incidents"}
        self.users = {"u1alice0000000000000000000": "alice", "u2bob000000000000000000000": "bob"}
        self._hooks: dict[str, _Hook] = {}
        self._posts: list[Post] = []

    # ------------------------------------------------------------ test API

    def webhook_url(self, channel: str = "town-square", locked: bool = False) -> str:
        """A new hook's URL; its key is 26 characters of [a-z0-9], as the server makes them."""
        key = "".join(secrets.choice("abcdefghijkmnopqrstuwxyz13456789") for _ in range(26))
        with self._changed:
            self._hooks[key] = _Hook(channel, locked)
        return f"{self.url}/hooks/{key}"

    def delete_hook(self, url: str) -> None:
        """What deleting the webhook under Integrations does."""
        with self._changed:
            del self._hooks[url.rsplit("/", 1)[-1]]

    def respond(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None, times: int = 1,
                raw: bytes | None = None, delay: float = 0.0) -> None:
        """Answer the next `times` calls like this: a JSON `body`, or `raw` bytes as they are."""
        payload = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
        typed = {"Content-Type": "application/json"} if raw is None and body is not None else {}
        reply = _Reply(status, payload, {**typed, **(headers or {})}, delay)
        self._queue(copy.deepcopy(reply) for _ in range(times))

    @property
    def posts(self) -> list[Post]:
        with self._changed:
            return list(self._posts)

    # ------------------------------------------------------------ serving

    def _serve(self, method: str, path: str, content_type: str, raw: bytes) -> _Reply:
        body = _parse(raw) if content_type.split(";", 1)[0].strip() == "application/json" else None
        with self._changed:
            reply = self._scripted() or self._answer(method, path, body)
            self._record(Call(method, path, content_type, body, reply.status, time.monotonic()))
        return reply

    def _answer(self, method: str, path: str, body: Any) -> _Reply:
        route = _ROUTE.fullmatch(path)
        if route is None or method != "POST":
            return _Reply(404, b"404 page not found", {"Content-Type": "text/plain; charset=utf-8"})
        key = route.group("key")
        if not isinstance(body, dict):
            return _app_error("web.incoming_webhook.decode.app_error", "Unable to decode the payload.", 400)
        if _refused(body):
            return _app_error(GENERAL, _general_message(key), 400)
        hook = self._hooks.get(key)
        if hook is None:
            return _app_error(GENERAL, _general_message(key), 400)  # web.incoming_webhook.invalid, wrapped
        channel, status = self._channel(hook, body.get("channel") or "")
        if status != 200:
            return _app_error(GENERAL, _general_message(key), status)
        self._post(key, channel, body)
        return _Reply(200, b"ok", {"Content-Type": "text/plain"})

    def _channel(self, hook: _Hook, name: str) -> tuple[str, int]:
        """The channel a post goes to, or the status the server refuses it with."""
        if not name:
            return hook.channel, 200
        if name.startswith("@"):
            return (f"@{name[1:]}", 200) if name[1:] in self.users.values() else ("", 400)
        name = name.removeprefix("#")
        if name not in self.channels:
            return "", 404
        if hook.locked and name != hook.channel:
            return "", 403
        return name, 200

    def _post(self, key: str, channel: str, body: dict[str, Any]) -> None:
        message = self._slack_text(str(body.get("text") or ""))
        message = _SLACK_LINK.sub(r"[\2](\1)", message)
        attachments = [self._attachment(a) for a in body.get("attachments") or [] if isinstance(a, dict)]
        props = {k: v for k, v in (body.get("props") or {}).items() if k != "attachments"}
        chunks = [message[i:i + self.max_post_size] for i in range(0, len(message), self.max_post_size)] or [""]
        for n, chunk in enumerate(chunks):  # the attachments go with the last post, as the server splits
            last = n == len(chunks) - 1
            shown = attachments if last else []
            self._posts.append(Post(key, channel, chunk, shown, body.get("username"), body.get("icon_url"), props,
                                    self._mentions(chunk, shown)))

    def _attachment(self, attachment: dict[str, Any]) -> dict[str, Any]:
        processed = copy.deepcopy(attachment)
        for key in ("pretext", "text", "title"):
            if isinstance(processed.get(key), str):
                processed[key] = self._slack_text(processed[key])
        for key in ("pretext", "text"):
            if isinstance(processed.get(key), str):
                processed[key] = _SLACK_LINK.sub(r"[\2](\1)", processed[key])
        for item in processed.get("fields") or []:
            if isinstance(item, dict) and item.get("value") is not None:
                item["value"] = _SLACK_LINK.sub(r"[\2](\1)", self._slack_text(str(item["value"])))
        return processed

    def _slack_text(self, text: str) -> str:
        for slack, mention in _ANNOUNCEMENTS.items():
            text = text.replace(slack, mention)
        return _USER_ID.sub(lambda m: f"@{self.users[m.group(1)]}" if m.group(1) in self.users else m.group(), text)

    def _mentions(self, message: str, attachments: list[dict[str, Any]]) -> frozenset[str]:
        texts = [message]
        for attachment in attachments:
            texts += [str(attachment.get("pretext") or ""), str(attachment.get("text") or "")]
            texts += [str(item.get("value") or "") for item in attachment.get("fields") or []]
        known = set(self.users.values()) | _CHANNEL_WIDE
        names = {word[1:].rstrip(".-_:").lower() for text in texts for word in _WORD.findall(text)
                 if word.startswith("@")}
        return frozenset(names & known)


def _refused(body: dict[str, Any]) -> bool:
    """Whether the server refuses the request itself: no text and no attachments (`text.app_error`),
    or an attachment its model rejects (a colour that is no style or #rrggbb, a bad title link)."""
    if not body.get("text") and body.get("attachments") is None:
        return True
    for attachment in body.get("attachments") or []:
        colour = attachment.get("color") or ""
        if colour and colour not in ("good", "warning", "danger") and not _HEX_COLOUR.fullmatch(colour):
            return True
        link = attachment.get("title_link") or ""
        if link and (not attachment.get("title") or not _HTTP_URL.match(link)):
            return True
    return False


def _app_error(error_id: str, message: str, status: int) -> _Reply:
    body = {"id": error_id, "message": message, "detailed_error": "", "request_id": secrets.token_hex(13),
            "status_code": status}
    return _Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


def _general_message(key: str) -> str:
    return f"Failed to handle the payload of media type application/json for incoming webhook {key}."


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


class _Handler(FakeHandler):
    def do_POST(self) -> None:
        reply = self.server.fake._serve("POST", self.path, self.headers.get("content-type") or "", self._body())
        self._send(reply.status, reply.headers, reply.body, reply.delay)

    def do_GET(self) -> None:
        reply = self.server.fake._serve("GET", self.path, "", b"")
        self._send(reply.status, reply.headers, reply.body, reply.delay)
