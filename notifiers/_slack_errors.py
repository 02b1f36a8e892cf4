"""What a Slack answer means for one delivery: retry, give up this message, or disable the channel.

The Web API answers most errors with HTTP 200 and `{"ok": false, "error": code}`, incoming webhooks
with an HTTP status and the code as plain text; both end up in one `SlackFailure`. Messages name
the channel and the code only: never the token, the webhook URL or the response body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.model import PermanentError, RetryableError
from bot.retry_after import parse_retry_after, retry_hint

from ._http import Verdict, classify_status, status_text

RETRYABLE = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "service_unavailable", "request_timeout", "fatal_error"}
)
# The token or the channel is unusable: stop the channel and keep its backlog.
DISABLING = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "not_allowed_token_type",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "no_permission",
        "team_not_found",
        "ekm_access_denied",
    }
)
# Slack refused this payload: worth one resend in plain text.
REJECTED_PAYLOAD = frozenset(
    {
        "invalid_payload",  # incoming webhooks
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_blocks_too_long",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_attachments",
        "invalid_arguments",
        "invalid_arg_name",
        "invalid_form_data",
        "markdown_text_conflict",
    }
)
# This thread takes no more replies; a new first message starts another.
THREAD_GONE = frozenset(
    {
        "thread_not_found",
        "message_not_found",
        "cannot_reply_to_message",
        "restricted_action_thread_locked",
        "restricted_action_non_threadable_channel",
    }
)

# What a code looks like; anything else in an answer is not repeated in our messages.
_CODE = re.compile(r"[a-z0-9_]{1,64}")


class SlackFailure(Exception):
    """One failed call, before it becomes the engine's typed error (see `error`)."""

    def __init__(self, status: int, code: str | None, retry_after: float | None = None):
        super().__init__(code or str(status))
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @classmethod
    def from_api(cls, response: Any) -> SlackFailure:
        """From a SlackApiError's response: usually an AsyncSlackResponse, an aiohttp response
        when the body was not JSON."""
        status: int = getattr(response, "status_code", None) or getattr(response, "status", None) or 0
        data = getattr(response, "data", None)
        code = data.get("error") if isinstance(data, dict) else None
        return cls(status, _readable(code), _retry_after(getattr(response, "headers", None)))

    @classmethod
    def from_webhook(cls, status: int, body: str, headers: Mapping[str, str] | None) -> SlackFailure:
        return cls(status, _readable(body.strip()), _retry_after(headers))

    @property
    def verdict(self) -> Verdict:
        return classify(self.status, self.code)

    def describe(self) -> str:
        """'invalid_auth', or 'HTTP 404 Not Found: no_service' when the status says more than 200."""
        if self.code is None:
            unreadable = 200 <= self.status < 300
            return f"unreadable answer ({status_text(self.status)})" if unreadable else status_text(self.status)
        return self.code if self.status == 200 else f"{status_text(self.status)}: {self.code}"

    def error(self, label: str) -> RetryableError | PermanentError:
        verdict = self.verdict
        if verdict is Verdict.RETRY:
            hint = retry_hint(self.retry_after)
            return RetryableError(f"{label}: {self.describe()}{hint}", retry_after=self.retry_after)
        if verdict is Verdict.DISABLE:
            return PermanentError(f"{label}: {self.describe()}: channel disabled", disable_channel=True)
        return PermanentError(f"{label}: {self.describe()}: message rejected")


def classify(status: int, code: str | None) -> Verdict:
    """What an answer means: Slack's code first, the HTTP status where the code says nothing."""
    if status == 429 or status >= 500 or code in RETRYABLE:
        return Verdict.RETRY
    if code is not None and (code in DISABLING or code.startswith("restricted_action")):
        return Verdict.DISABLE
    if not 200 <= status < 300:
        return classify_status(status)
    if code is None:
        return Verdict.RETRY  # an unreadable 200 (a proxy's page?) may pass next time
    return Verdict.DROP  # a payload, edit, thread or unknown code: this message only


def _readable(code: object) -> str | None:
    return code if isinstance(code, str) and _CODE.fullmatch(code) else None


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    return parse_retry_after(headers.get("Retry-After")) if headers else None
