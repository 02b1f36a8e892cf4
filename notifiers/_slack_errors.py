"""What a Slack answer means for one delivery: retry, give up this message, or disable the channel.

The Web API answers most errors with HTTP 200 and `{"ok": false, "error": code}`, incoming webhooks
with an HTTP status and the code as plain text; both end up in one `SlackFailure`. Messages name
the channel and the code, or the body's type and size: never the token, the webhook URL or the
response body.
"""

from __future__ import annotations

import re

from bot.model import PermanentError, RetryableError
from bot.retry_after import retry_hint

from ._http import Verdict, classify_status, status_text, unexpected

RETRYABLE = frozenset({"ratelimited", "rate_limited", "internal_error", "service_unavailable", "request_timeout"})
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

# Slack: "It's possible some aspect of the operation succeeded": a retry may post it twice, so
# this is tried only as often as an unexpected answer.
MAY_HAVE_POSTED = frozenset({"fatal_error"})

# What a code looks like.
_CODE = re.compile(r"[a-z0-9_]{1,64}")


class SlackFailure(Exception):
    """One failed call, before it becomes the engine's typed error (see `error`). `answer` says
    what came back ('HTTP 200 OK with 5 bytes of text/plain') for when the code is unknown."""

    def __init__(self, status: int, code: object, retry_after: float | None = None, answer: str | None = None):
        readable = _readable(code)  # anything else in an answer is not repeated in our messages
        super().__init__(readable or str(status))
        self.status = status
        self.code = readable
        self.retry_after = retry_after
        self.answer = answer

    @property
    def verdict(self) -> Verdict:
        return classify(self.status, self.code)

    def describe(self) -> str:
        """'invalid_auth', or 'HTTP 404 Not Found: no_service' when the status says more than 200;
        without a code, the status, and the body's type and size where they tell what went wrong."""
        if self.code is None:
            return (self.verdict is Verdict.UNEXPECTED and self.answer) or status_text(self.status)
        return self.code if self.status == 200 else f"{status_text(self.status)}: {self.code}"

    def error(self, label: str) -> RetryableError | PermanentError:
        verdict = self.verdict
        if verdict is Verdict.RETRY:
            hint = retry_hint(self.retry_after)
            return RetryableError(f"{label}: {self.describe()}{hint}", retry_after=self.retry_after)
        if verdict is Verdict.UNEXPECTED:
            return unexpected(label, self.describe(), self.status)
        if verdict is Verdict.DISABLE:
            return PermanentError(f"{label}: {self.describe()}: channel disabled", disable_channel=True)
        return PermanentError(f"{label}: {self.describe()}: message rejected")


def classify(status: int, code: str | None) -> Verdict:
    """What an answer means: Slack's code first, the HTTP status where the code says nothing."""
    if code in MAY_HAVE_POSTED:
        return Verdict.UNEXPECTED
    if status == 429 or 500 <= status < 600 or code in RETRYABLE:
        return Verdict.RETRY
    if code is not None and (code in DISABLING or code.startswith("restricted_action")):
        return Verdict.DISABLE
    if not 200 <= status < 300:
        return classify_status(status)
    if code is None:
        return Verdict.UNEXPECTED  # a 2xx that is not Slack's answer: a proxy's page, a broken body
    return Verdict.DROP  # a payload, edit, thread or unknown code: this message only


def _readable(code: object) -> str | None:
    return code if isinstance(code, str) and _CODE.fullmatch(code) else None

