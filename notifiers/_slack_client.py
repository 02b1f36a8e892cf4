"""Slack's two modes on slack_sdk's async clients (aiohttp underneath); `notifiers/slack.py` has
the settings and builds these.

Token mode, through slack_sdk's AsyncWebClient: an incident's first message in the channel is the
thread's parent; every later update first edits the parent to the thread's current phase
(chat.update), then posts the update as a reply, broadcast to the channel when it ends the
thread. A parent that cannot be edited any more turns the reply into a broadcast; a thread that is
gone gets a new parent, whose ref replaces the stored one. A reply-only message (a reminder, a
component change of an open incident) is a plain reply in its thread: no edit, no broadcast;
without a thread it is a message of its own, which starts none.

Both modes leave retries to the engine's delivery worker (`retry_handlers=[]`); the one exception
is a payload Slack refuses, which is resent at once as plain text.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient
from slack_sdk.webhook.webhook_response import WebhookResponse

from bot.message import Message
from bot.model import ThreadRef

from ._http import Verdict
from ._slack_errors import REJECTED_PAYLOAD, THREAD_GONE, SlackFailure
from ._slack_render import Payload, parent_payload, update_payload
from ._slack_session import Answer, AnswerLog
from ._transport import transport_error

if TYPE_CHECKING:
    from .slack import SlackSettings

log = logging.getLogger("statusbot.notifiers.slack")

# What a request can raise on the way (refused, reset, timed out): worth another try.
_TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)

Render = Callable[..., Payload]  # parent_payload or update_payload
Client = TypeVar("Client", AsyncWebClient, AsyncWebhookClient)
Response = TypeVar("Response", AsyncSlackResponse, WebhookResponse)


class _SlackNotifier(ABC, Generic[Client]):
    """What both modes share: the label, and one aiohttp session opened inside the running loop."""

    # chat.postMessage allows about one message per second per channel.
    min_interval: ClassVar[float] = 1.0

    def __init__(self, channel: str, settings: SlackSettings) -> None:
        self._label = f"slack channel '{channel}'"
        self._timeout = settings.timeout
        self._answers = AnswerLog()
        self._session: aiohttp.ClientSession | None = None
        self._sdk: Client | None = None

    def _client(self) -> Client:
        if self._sdk is None:
            self._session = self._answers.session(self._timeout)
            self._sdk = self._make_client(self._session)
        return self._sdk

    async def _call_sdk(self, request: Awaitable[Response]) -> Response:
        """One slack_sdk call; a redirect, an outage, or an answer it could not read all come out
        as a SlackFailure or the engine's RetryableError, never as the library's own exception."""
        self._answers.last = None
        try:
            return await request
        except SlackFailure:
            raise  # a refused redirect
        except SlackApiError as exc:
            data = getattr(exc.response, "data", None)
            raise self._answer().failure(data.get("error") if isinstance(data, dict) else None) from None
        except _TRANSPORT_ERRORS as exc:
            raise transport_error(exc, self._label) from None
        except Exception:
            # slack_sdk choked on a body (AttributeError on plain text, UnicodeDecodeError):
            # the answer it was reading says what happened; without one, this is no answer's doing.
            if self._answers.last is None:
                raise
            raise self._answers.last.failure(None) from None

    def _answer(self) -> Answer:
        if self._answers.last is None:
            raise RuntimeError("slack_sdk reported an answer that never arrived")
        return self._answers.last

    @property
    def _sdk_timeout(self) -> int:
        # slack_sdk annotates `timeout` as int but only hands it to aiohttp.ClientTimeout, which
        # takes fractions of a second: a cast keeps 0.5 s from becoming 0 or 1.
        return cast(int, self._timeout)

    @abstractmethod
    def _make_client(self, session: aiohttp.ClientSession) -> Client: ...

    def _note_plain_resend(self, failure: SlackFailure) -> None:
        log.warning("%s: Slack refused the message (%s); resending it as plain text", self._label, failure.code)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = self._sdk = None


class SlackNotifier(_SlackNotifier[AsyncWebClient]):
    """Bot-token mode: chat.postMessage and chat.update, threaded per incident."""

    def __init__(self, channel: str, settings: SlackSettings) -> None:
        super().__init__(channel, settings)
        self._token = settings.token
        self._channel = settings.channel
        self._api_url = settings.api_url or AsyncWebClient.BASE_URL

    def _make_client(self, session: aiohttp.ClientSession) -> AsyncWebClient:
        return AsyncWebClient(
            token=self._token, base_url=self._api_url, session=session, timeout=self._sdk_timeout, retry_handlers=[]
        )

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        try:
            return await self._deliver(message, _usable(thread))
        except SlackFailure as failure:
            raise failure.error(self._label) from None

    async def _deliver(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        if message.event.reply:
            await self._reply_only(message, thread)
            return None
        if thread is None:
            return await self._post_parent(message)
        # The edit goes first: when it fails and the engine retries the whole send, no reply is doubled.
        edited = await self._edit_parent(thread, message)
        try:
            await self._call(
                "chat_postMessage",
                update_payload,
                message,
                channel=thread["channel"],
                thread_ts=thread["ts"],
                reply_broadcast=message.final or not edited,  # an unedited parent shows a stale phase
            )
        except SlackFailure as failure:
            if failure.code not in THREAD_GONE:
                raise
            log.info("%s: the thread is gone (%s); starting a new one", self._label, failure.code)
            return await self._post_parent(message)
        return None

    async def _reply_only(self, message: Message, thread: ThreadRef | None) -> None:
        """A reply in the thread, which stays as it is; without one (or gone), a message of its own."""
        if thread is not None:
            try:
                await self._call("chat_postMessage", update_payload, message, channel=thread["channel"],
                                 thread_ts=thread["ts"])
                return
            except SlackFailure as failure:
                if failure.code not in THREAD_GONE:
                    raise
                log.info("%s: the thread is gone (%s); posting on its own", self._label, failure.code)
        await self._call("chat_postMessage", update_payload, message, channel=self._channel)

    async def _post_parent(self, message: Message) -> ThreadRef | None:
        data = await self._call("chat_postMessage", parent_payload, message, channel=self._channel)
        return _ref(data)

    async def _edit_parent(self, thread: ThreadRef, message: Message) -> bool:
        """Show the thread's current phase on its parent; False when the parent cannot be edited."""
        quiet = message.model_copy(update={"mention": None})  # an edit pings no one: the reply carries it
        try:
            await self._call("chat_update", parent_payload, quiet, channel=thread["channel"], ts=thread["ts"])
        except SlackFailure as failure:
            if failure.verdict is not Verdict.DROP:
                raise  # retryable, or the channel is unusable: the update could not go out either
            log.info("%s: cannot edit the thread's first message (%s)", self._label, failure.describe())
            return False
        return True

    async def _call(self, method: str, render: Render, message: Message, **target: Any) -> dict[str, Any]:
        """One API call, resent once as plain text when Slack refuses the rich payload."""
        try:
            return await self._request(method, {**target, **render(message)})
        except SlackFailure as failure:
            if failure.code not in REJECTED_PAYLOAD:
                raise
            self._note_plain_resend(failure)
        plain = render(message, plain=True)
        if method == "chat_update":
            plain["attachments"] = []  # chat.update keeps the attachments it is not sent
        return await self._request(method, {**target, **plain})

    async def _request(self, method: str, arguments: dict[str, Any]) -> dict[str, Any]:
        response: AsyncSlackResponse = await self._call_sdk(getattr(self._client(), method)(**arguments))
        if not isinstance(response.data, dict):
            raise self._answer().failure(None)  # a binary body slack_sdk lets through as bytes
        return response.data


class SlackWebhookNotifier(_SlackNotifier[AsyncWebhookClient]):
    """Incoming-webhook mode: one message per event; a webhook can neither thread nor edit."""

    def __init__(self, channel: str, settings: SlackSettings) -> None:
        super().__init__(channel, settings)
        self._url = settings.webhook_url or ""

    def _make_client(self, session: aiohttp.ClientSession) -> AsyncWebhookClient:
        return AsyncWebhookClient(url=self._url, timeout=self._sdk_timeout, session=session, retry_handlers=[])

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        try:
            await self._call(message)
        except SlackFailure as failure:
            raise failure.error(self._label) from None
        return None

    async def _call(self, message: Message) -> None:
        """One post, resent once as plain text when Slack refuses the rich payload."""
        try:
            await self._post(update_payload(message))
        except SlackFailure as failure:
            if failure.code not in REJECTED_PAYLOAD:
                raise
            self._note_plain_resend(failure)
            await self._post(update_payload(message, plain=True))

    async def _post(self, payload: Payload) -> None:
        """A 2xx is accepted whatever its body: incoming webhooks report every failure with an
        error status (Slack's 2016 change), and posting a message again that Slack took would
        show it twice. A body other than Slack's `ok` is worth a warning, not a resend."""
        try:
            body: str | None = (await self._call_sdk(self._client().send_dict(payload))).body
        except SlackFailure:
            body = None  # a redirect, or a body slack_sdk could not decode: the status answers
        answer = self._answer()
        code = body.strip() if body else None
        if not 200 <= answer.status < 300:
            raise answer.failure(code)
        if code != "ok":
            log.warning("%s: accepted (%s), though Slack answers 'ok'", self._label, answer.text())


def _usable(thread: ThreadRef | None) -> ThreadRef | None:
    return thread if thread and thread.get("channel") and thread.get("ts") else None


def _ref(data: dict[str, Any]) -> ThreadRef | None:
    channel, ts = data.get("channel"), data.get("ts")
    if isinstance(channel, str) and isinstance(ts, str):
        return {"channel": channel, "ts": ts}
    return None  # posted, but nothing to thread on: the next update starts its own thread
