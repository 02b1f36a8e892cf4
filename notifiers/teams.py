"""Microsoft Teams through a Workflows webhook: one Adaptive Card per event.

The URL comes from the Workflows template "Post to a channel when a webhook request is
received" (Power Automate behind it); its `sig=` parameter is the credential, so the whole URL is
a secret. Workflows answers 202 Accepted with no body and posts the card afterwards: there is no
message id, hence no threads and no edits, and a card the flow later fails to post is not
reported back (the card is kept well within Teams' size limit for that reason; see _teams_card).

What the answers mean (statuses as every HTTP destination reads them, notifiers/_http.py):
- 2xx: accepted (202; 200 when the flow ends with a Response action).
- 429: Power Automate throttles the flow; Retry-After is honoured.
- 400 `WorkflowTriggerIsNotEnabled`: the flow is turned off or deleted. 400
  `TriggerInputSchemaMismatch`: the flow's trigger was given a schema our envelope does not
  match. Both are the workflow's state, true of every card: the channel is disabled, its backlog
  kept. Another 400 rejects this card only.
- 401 (`DirectApiInvalidAuthorizationSignature`, `DirectApiAuthorizationRequired`: a wrong or
  missing sig), 403, 404 (`WorkflowNotFound`) and 410 disable the channel.
Errors name the status and the flow's error code, never the URL or the body's message.

Teams Workflows cannot mention anyone reliably (a card's `<at>` entities need the person's
Entra id, and flows posting as the Flow bot do not notify them), so there is no `mention` here.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import parse_qsl

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.message import Message
from bot.model import Destination, EnvChannel, PermanentError, ThreadRef

from ._http import json_bytes, raise_for_response, status_text, webhook_url
from ._teams_card import payload
from ._transport import transport_error

# The flow's own state, whatever the card: stop the channel and keep its backlog.
_WORKFLOW_UNUSABLE = {
    "WorkflowTriggerIsNotEnabled": "the workflow is turned off or deleted",
    "TriggerInputSchemaMismatch": "the workflow's trigger expects another body (remove its schema)",
}
_ERROR_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,63}")  # repeated in errors only if it looks like one
# Office 365 connector URLs: retired by Microsoft in favour of Workflows.
_CONNECTOR_HOSTS = ("outlook.office.com", "outlook.office365.com")
_JSON = {"content-type": "application/json"}


class TeamsSettings(BaseModel):
    # hide_input_in_errors: a validation message must not echo the URL and its sig.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    webhook_url: str = Field(repr=False)
    timeout: float = Field(default=15.0, gt=0, allow_inf_nan=False)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        url = webhook_url(value)
        host = (url.hostname or "").lower()
        if host in _CONNECTOR_HOSTS or host.endswith(".webhook.office.com"):
            raise ValueError("is an Office 365 connector URL, which Microsoft retired: create a Workflows "
                             "webhook instead (see the README's Microsoft Teams section)")
        if not any(key == "sig" and sig for key, sig in parse_qsl(url.query)):
            raise ValueError("must be the whole workflow URL, with its sig= parameter")
        return value


def error_code(response: httpx.Response) -> str | None:
    """The flow's `{"error": {"code": ...}}`, if the body has one that looks like a code."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None


class TeamsNotifier:
    # Teams allows an app about 4 requests a second into one channel, and a flow's Teams connector
    # posts slower still; one card a second keeps a burst well inside both, 429s aside.
    min_interval: ClassVar[float] = 1.0

    def __init__(self, channel: str, settings: TeamsSettings, http: httpx.AsyncClient) -> None:
        self._label = f"teams channel '{channel}'"
        self._url = settings.webhook_url
        self._timeout = settings.timeout
        self._http = http

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        try:
            response = await self._http.post(self._url, content=json_bytes(payload(message)), headers=_JSON,
                                             timeout=self._timeout, follow_redirects=False)
        except httpx.RequestError as exc:
            raise transport_error(exc, self._label) from None
        self._raise_for(response)
        return None  # no message id: every card stands alone

    async def aclose(self) -> None:
        return None  # the HTTP client is shared and owned by the engine

    def _raise_for(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            raise_for_response(response, self._label)  # success, or a redirect not followed
            return
        code = error_code(response)
        if status == 400 and code in _WORKFLOW_UNUSABLE:
            raise PermanentError(f"{self._label}: {status_text(400)} ({code}): {_WORKFLOW_UNUSABLE[code]}: "
                                 "channel disabled", disable_channel=True)
        label = f"{self._label}: workflow error {code}" if code else self._label
        raise_for_response(response, label)


def create(channel: str, settings: TeamsSettings, http: httpx.AsyncClient) -> TeamsNotifier:
    return TeamsNotifier(channel, settings, http)


DESTINATION = Destination(type="teams", settings=TeamsSettings, create=create, secret_keys=("webhook_url",),
                          mentions=False, from_env=(EnvChannel("teams", {"webhook_url": "TEAMS_WEBHOOK_URL"}),))
