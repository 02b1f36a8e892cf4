"""A local stand-in for a Teams Workflows webhook ("Post to a channel when a webhook request is
received") over real HTTP.

It answers as Power Automate does: 202 Accepted with an empty body for any JSON request with the
right signature, and runs the "flow" afterwards. The flow posts each attachment's Adaptive Card
to the channel (`posted`) or fails the run (`failed_runs`, with the reason Teams would give: a
card that is no Adaptive Card, a version Teams does not render, a message over 28 KB). As with the
real service, the sender never learns of a failed run.

What it reads of a card, the way a Teams client would: the visible text of every TextBlock and
fact (Markdown backslash escapes removed), every link a reader could follow (Action.OpenUrl and
unescaped Markdown links), the Markdown that would format something, and mention entities.

Refusals, as Workflows sends them (`{"error": {"code", "message"}}`):

    wrong or missing sig      401 DirectApiInvalidAuthorizationSignature / DirectApiAuthorizationRequired
    turn_off(workflow)        400 WorkflowTriggerIsNotEnabled (so is a deleted flow's URL, for a while)
    delete(workflow)          404 WorkflowNotFound
    a body that is not JSON   400 InvalidRequestContent

`respond(...)` scripts the next answers (a 429 with Retry-After, a 500, ...), whatever the request.

    with FakeTeams() as teams:
        url = teams.workflow_url()
        ...POST url...
        teams.wait_for(1)
        [card] = teams.posted
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from ._server import FakeHandler, ThreadedFake

SIG = "fake-signature-0123456789"
MESSAGE_MAX = 28 * 1024  # Teams: "the message size limit is approximately 28 KB"
RENDERED_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5")
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
ELEMENTS = {"TextBlock", "Container", "FactSet", "ColumnSet", "Image", "ActionSet", "RichTextBlock"}

_ROUTE = re.compile(r"/workflows/(?P<workflow>[0-9a-f]+)/triggers/manual/paths/invoke/?")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: any ASCII punctuation
_LINK = re.compile(r"\[[^\]\x00]*\]\([^)\x00]*\)")
# Markdown that would change how page text looks, once escapes are taken out.
_FORMATTING = re.compile(
    r"\*\*|\*[^*\s\x00]|(?<![A-Za-z0-9])_[^_\s\x00]|`|~~|!\[|<https?:|<at>|^\s*(?:[-+*]|\d+[.)])\s|^\s*[#>]",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Call:
    path: str  # without the query string
    query: dict[str, str]
    content_type: str
    size: int  # bytes of the body
    json: Any  # the parsed body; None when empty or not JSON
    status: int  # what the fake answered
    at: float  # time.monotonic() on arrival


@dataclass(frozen=True)
class PostedCard:
    workflow: str
    content: dict[str, Any]  # the Adaptive Card as sent

    @property
    def texts(self) -> list[str]:
        """Every TextBlock's text and every fact's title and value, as the Markdown source."""
        return list(_texts(self.content.get("body", [])))

    @property
    def visible(self) -> str:
        """What a reader sees: the texts with Markdown escapes removed, one a line."""
        return "\n".join(_ESCAPE.sub(r"\1", text) for text in self.texts)

    @property
    def links(self) -> list[str]:
        """Every link a reader could follow: actions' URLs and unescaped Markdown links."""
        actions = [a["url"] for a in self.content.get("actions", []) if a.get("type") == "Action.OpenUrl"]
        return actions + [link for text in self.texts for link in _LINK.findall(_masked(text))]

    @property
    def formatting(self) -> list[str]:
        """Markdown that would format something (bold, lists, code, images, <at> ...)."""
        return [hit for text in self.texts for hit in _FORMATTING.findall(_masked(text))]

    @property
    def mentions(self) -> list[Any]:
        return list((self.content.get("msteams") or {}).get("entities", []))


@dataclass(frozen=True)
class FailedRun:
    workflow: str
    reason: str


@dataclass
class _Reply:
    status: int
    body: Any = None  # JSON-encoded unless `raw` is set
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return b"" if self.body is None else json.dumps(self.body).encode()


def _error(status: int, code: str, message: str) -> _Reply:
    return _Reply(status, {"error": {"code": code, "message": message}})


class FakeTeams(ThreadedFake[Call, _Reply]):
    noun = "calls"

    def __init__(self) -> None:
        super().__init__(_Handler, name="fake-teams")
        self._posted: list[PostedCard] = []
        self._failed: list[FailedRun] = []
        self._off: set[str] = set()
        self._deleted: set[str] = set()

    # ------------------------------------------------------------ test API

    def workflow_url(self, workflow: str = "0a1b2c3d4e5f", sig: str = SIG) -> str:
        query = f"api-version=2016-06-01&sp={quote('/triggers/manual/run', safe='')}&sv=1.0&sig={sig}"
        return f"{self.url}/workflows/{workflow}/triggers/manual/paths/invoke?{query}"

    def respond(self, status: int, json_body: Any = None, headers: Mapping[str, str] | None = None,
                times: int = 1, raw: bytes | None = None) -> None:
        """Answer the next `times` requests like this, whatever they are."""
        reply = _Reply(status, json_body, dict(headers or {}), raw)
        self._queue(copy.deepcopy(reply) for _ in range(times))

    def turn_off(self, workflow: str = "0a1b2c3d4e5f") -> None:
        with self._changed:
            self._off.add(workflow)

    def delete(self, workflow: str = "0a1b2c3d4e5f") -> None:
        with self._changed:
            self._deleted.add(workflow)

    @property
    def posted(self) -> list[PostedCard]:
        with self._changed:
            return list(self._posted)

    @property
    def failed_runs(self) -> list[FailedRun]:
        with self._changed:
            return list(self._failed)

    def wait_for_cards(self, count: int, timeout: float = 10.0) -> list[PostedCard]:
        """Block until `count` cards were posted; a failed run fails the wait at once."""
        with self._changed:
            done = self._changed.wait_for(lambda: len(self._posted) >= count or self._failed, timeout)
            if self._failed:
                raise AssertionError(f"flow runs failed: {self._failed}")
            if not done:
                raise TimeoutError(f"expected {count} cards within {timeout}s, got {len(self._posted)}")
            return list(self._posted)

    # ------------------------------------------------------------ serving

    def _serve(self, method: str, target: str, content_type: str, raw: bytes) -> _Reply:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        body = _parse(raw)
        route = _ROUTE.fullmatch(parts.path)
        workflow = route.group("workflow") if route and method == "POST" else None
        with self._changed:
            reply = self._scripted() or self._answer(workflow, query, body)
            self._record(Call(parts.path, query, content_type, len(raw), body, reply.status, time.monotonic()))
            if workflow is not None and 200 <= reply.status < 300 and body is not None:
                self._run(workflow, raw, body)
                self._changed.notify_all()
        return reply

    def _answer(self, workflow: str | None, query: dict[str, str], body: Any) -> _Reply:
        if workflow is None:
            return _error(404, "WorkflowNotFound", "The workflow could not be found.")
        if "sig" not in query:
            return _error(401, "DirectApiAuthorizationRequired",
                          "The request must be authenticated only by Shared Access scheme.")
        if query["sig"] != SIG:
            return _error(401, "DirectApiInvalidAuthorizationSignature", "The provided authorization signature is not valid.")
        if workflow in self._deleted:
            return _error(404, "WorkflowNotFound", f"The workflow '{workflow}' could not be found.")
        if workflow in self._off:
            return _error(400, "WorkflowTriggerIsNotEnabled",
                          f"Cannot execute the workflow '{workflow}' trigger 'manual' since the workflow is disabled.")
        if body is None:
            return _error(400, "InvalidRequestContent", "The request content is not valid and could not be deserialized.")
        return _Reply(202)  # no body: the flow runs afterwards

    def _run(self, workflow: str, raw: bytes, body: Any) -> None:
        """The flow's run: post each attachment's card, or fail as Teams would."""
        reason = _envelope_problem(body) or (f"Request Entity too large: {len(raw)} bytes" if len(raw) > MESSAGE_MAX else None)
        if reason is not None:
            self._failed.append(FailedRun(workflow, reason))
            return
        for attachment in body["attachments"]:
            self._posted.append(PostedCard(workflow, attachment["content"]))


# ---------------------------------------------------------------- what the flow checks


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _envelope_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("type") != "message":
        return "the body is no message"
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return "the message has no attachments"
    for attachment in attachments:
        if not isinstance(attachment, dict) or attachment.get("contentType") != CARD_TYPE:
            return "an attachment is no Adaptive Card"
        problem = _card_problem(attachment.get("content"))
        if problem:
            return problem
    return None


def _card_problem(card: Any) -> str | None:
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return "Property 'type' must be 'AdaptiveCard'"
    if card.get("version") not in RENDERED_VERSIONS:
        return f"card version {card.get('version')!r} is not rendered by Teams"
    body = card.get("body")
    if not isinstance(body, list):
        return "the card has no body"
    for element in _elements(body):
        if element.get("type") not in ELEMENTS:
            return f"unknown element {element.get('type')!r}"
        if element.get("type") == "TextBlock" and not isinstance(element.get("text"), str):
            return "a TextBlock without text"
    for action in card.get("actions", []):
        if action.get("type") != "Action.OpenUrl" or urlsplit(action.get("url", "")).scheme not in ("http", "https"):
            return "an action that is no web link"
    return None


def _elements(items: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            found.append(item)
            found.extend(_elements(item.get("items", [])))
    return found


def _texts(items: list[Any]) -> list[str]:
    texts: list[str] = []
    for element in _elements(items):
        if element.get("type") == "TextBlock":
            texts.append(element["text"])
        for fact in element.get("facts", []) if element.get("type") == "FactSet" else []:
            texts.extend((fact["title"], fact["value"]))
    return texts


def _masked(text: str) -> str:
    """Escaped characters as NUL, so no pattern can match them."""
    return _ESCAPE.sub("\x00", text)


# ---------------------------------------------------------------- HTTP plumbing


class _Handler(FakeHandler):
    def _handle(self) -> None:
        reply = self.server.fake._serve(self.command, self.path, self.headers.get("content-type", ""), self._body())
        payload = reply.encoded()
        typed = payload and not any(name.lower() == "content-type" for name in reply.headers)
        content_type = {"content-type": "application/json; charset=utf-8" if reply.raw is None else "text/html"} if typed else {}
        self._send(reply.status, {**content_type, **reply.headers}, payload)

    do_GET = do_POST = _handle
