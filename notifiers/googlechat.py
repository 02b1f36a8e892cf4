"""Google Chat incoming-webhook notifier: one card per event, one thread per incident.

A webhook cannot edit, so each event is a message of its own; what keeps an incident together is
its thread. Every message is POSTed to the webhook URL with
`messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD` and `thread.threadKey` derived from the
event's thread key: the first message starts the thread, the later ones (replies-only events such
as reminders among them) land in it, and a thread Chat no longer has is started anew instead of
failing. Chat answers with the created message; for a thread's first message its `thread.name`
is the ref the engine stores. A reply-only event never starts a stored ref.

Answers: 200 with the message; 429 (RESOURCE_EXHAUSTED) and 5xx are retried, Retry-After honoured;
401, 403, 404 (the webhook or its space is gone) and a 400 that says the webhook's key is invalid
disable the channel; any other 400 (INVALID_ARGUMENT) drops the message.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar
from urllib.parse import parse_qs

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.message import Message
from bot.model import Destination, EnvChannel, PermanentError, ThreadRef

from ._googlechat_card import build_payload
from ._http import describe, json_bytes, json_object, raise_for_response, status_text, unexpected, webhook_url
from ._transport import transport_error

log = logging.getLogger("statusbot.googlechat")

REPLY_OPTION = {"messageReplyOption": "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"}
# Chat's own thread resource name; anything else in an answer is not Chat's.
_THREAD_NAME = re.compile(r"spaces/[A-Za-z0-9_-]{1,128}/threads/[A-Za-z0-9_.-]{1,128}")
# google.rpc.ErrorInfo reasons that say the webhook's URL itself is no good (a 400, not a 401).
_BAD_KEY = frozenset({"API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED"})
_JSON = {"content-type": "application/json; charset=UTF-8"}


class GoogleChatSettings(BaseModel):
    # hide_input_in_errors: a validation message must not echo the webhook's key or token.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    webhook_url: str = Field(repr=False)
    timeout: float = Field(default=15.0, gt=0, allow_inf_nan=False)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        url = webhook_url(value, "/v1/spaces/SPACE/messages")
        query = parse_qs(url.query)
        if not query.get("key") or not query.get("token"):
            # A shell cuts an unquoted URL at its '&': the token is the part that goes missing.
            raise ValueError("must carry the webhook's key and token: copy the whole URL, in quotes")
        return value


class GoogleChatNotifier:
    # Google Chat allows 60 message writes a minute per space, shared by everything posting there.
    min_interval: ClassVar[float] = 1.0

    def __init__(self, channel: str, settings: GoogleChatSettings, http: httpx.AsyncClient) -> None:
        self._label = f"googlechat channel '{channel}'"
        # The thread goes in the body: a deprecated threadKey in the URL would override it.
        self._url = httpx.URL(settings.webhook_url).copy_remove_param("threadKey").copy_merge_params(REPLY_OPTION)
        self._timeout = settings.timeout
        self._http = http

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        response = await self._post(build_payload(message))
        if message.event.reply or thread is not None:
            return None  # the thread exists, or this message may not start one the engine keeps
        return {"thread": self._thread_name(response)}

    async def aclose(self) -> None:
        return None  # the HTTP client is shared and owned by the engine

    async def _post(self, payload: dict[str, Any]) -> httpx.Response:
        try:
            response = await self._http.post(self._url, content=json_bytes(payload), headers=_JSON,
                                             timeout=self._timeout, follow_redirects=False)
        except httpx.RequestError as exc:
            raise transport_error(exc, self._label) from None
        if response.status_code == 400 and _error_reasons(response) & _BAD_KEY:
            raise PermanentError(f"{self._label}: {status_text(400)}: the webhook's key is invalid: channel disabled",
                                 disable_channel=True)
        raise_for_response(response, self._label)
        return response

    def _thread_name(self, response: httpx.Response) -> str:
        thread = json_object(response).get("thread")
        name = thread.get("name") if isinstance(thread, dict) else None
        if isinstance(name, str) and _THREAD_NAME.fullmatch(name):
            return name
        # Not Chat's answer (a proxy's page): the message may be posted, but the thread it started
        # is unknown. Tried a few times, then given up.
        raise unexpected(self._label, f"{describe(response)}, not Google Chat's message", response.status_code)


def _error_reasons(response: httpx.Response) -> set[str]:
    """The google.rpc.ErrorInfo reasons of a Google API error body."""
    error = json_object(response).get("error")
    details = error.get("details") if isinstance(error, dict) else None
    if not isinstance(details, list):
        return set()
    return {d["reason"] for d in details if isinstance(d, dict) and isinstance(d.get("reason"), str)}


def create(channel: str, settings: GoogleChatSettings, http: httpx.AsyncClient) -> GoogleChatNotifier:
    return GoogleChatNotifier(channel, settings, http)


DESTINATION = Destination(type="googlechat", settings=GoogleChatSettings, create=create,
                          secret_keys=("webhook_url",),
                          from_env=(EnvChannel("googlechat", {"webhook_url": "GOOGLECHAT_WEBHOOK_URL"}),))
