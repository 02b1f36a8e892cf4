"""Apprise notifier: Telegram, ntfy, Matrix, email, PagerDuty, Opsgenie, Pushover and the rest of
Apprise's services, one channel type for all, from the optional extra
(`pip install 'statusbot[apprise]'`). Nothing imports Apprise unless a channel of this type is
configured.

- Each of the channel's `urls` is its own Apprise service, sent to concurrently with Apprise's
  async API (`async_notify`: the blocking send runs in Apprise's own worker pool, bounded by a
  deadline, and the result keeps each service's log lines by context, so concurrent channels
  never read each other's). Apprise's retries are off, whatever a URL's `retry=` says: the
  delivery worker is the one retry layer.
- A message counts as delivered once every URL accepted it. A URL that accepted it is not sent it
  again when the message is retried for another URL's failure (remembered in memory: after a
  restart, a retry goes to every URL). One URL with several targets (two Telegram chats) is one
  unit: a retry re-sends to all of them.
- A failure is classified by `_apprise_outcome` (the HTTP status a plugin logged, mapped through
  the one HTTP table; a refused connection or timeout is an outage; anything else unexplained).
  Errors name a URL by its index and service (`urls[1] (ntfy)`), never by its text.
- The message is plain text (`body_format = text`): Apprise escapes it for a service that renders
  HTML or Markdown, so no page markup renders; page text cannot @-mention or `<!channel>` anyone;
  only the channel's own `mention` is sent as written. Apprise truncates to each service's limit.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.message import BLUE, GREEN, GREY, ORANGE, RED, YELLOW, Message, lines_within, readable
from bot.model import Destination, PermanentError, RetryableError, ThreadRef
from bot.retry_after import UnexpectedAnswer
from bot.text import truncate
from bot.urls import is_web_link

from ._apprise_outcome import TIMED_OUT, Failure, failure_from_log, worst
from ._http import Verdict

INSTALL = "type \"apprise\" needs the apprise extra: pip install 'statusbot[apprise]'"

TITLE_MAX = 250  # Apprise's default title limit; each service may cut further
BODY_MAX = 4000  # below Telegram's 4,096 and most chat limits; Apprise truncates further per service
CHANGES_MAX = 1000
COMPONENTS_MAX = 500
# Messages with some URLs delivered and others still failing, remembered for their retries.
REMEMBERED_MAX = 256

ZWSP = "\u200b"
# @name, @channel, @room, @everyone: a mention in Telegram, Matrix, Mattermost, Discord and more.
# Only at a word's start, so an e-mail address stays as it is.
_AT_MENTION = re.compile(r"(?<![\w.@])@(?=\w)")
_TAG_MENTION = re.compile(r"<(?=[@#!])")  # Slack's <!channel> and <@U…>, Discord's <@id> and <#id>

# What the reader must feel (the message's colour) as Apprise's notification type.
_NOTIFY_TYPES = {GREEN: "success", BLUE: "info", GREY: "info", YELLOW: "warning", ORANGE: "failure", RED: "failure"}

log = logging.getLogger("statusbot.apprise")


def load_apprise() -> Any:
    """The apprise module, imported on first use; ValueError saying how to install it if missing.

    Apprise's own log lines may quote a URL's host, topic or token, so they never reach our
    logs: its logger stops propagating (its results still carry the lines we classify). The
    HTTP library under it, urllib3, logs each request's path at DEBUG, where Telegram's bot token
    is: it logs warnings only, as the other HTTP clients do here."""
    try:
        import apprise
    except ImportError:
        raise ValueError(INSTALL) from None
    library_log = logging.getLogger(apprise.LOGGER_NAME)
    library_log.propagate = False
    if library_log.level == logging.NOTSET:
        library_log.setLevel(logging.WARNING)  # the failure lines are warnings: keep them made
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    return apprise


def _apprise_url(url: str) -> str:
    """A URL Apprise can use, checked by Apprise itself; the error never repeats it."""
    if "://" not in url:
        raise ValueError("must be an Apprise URL such as ntfys://ntfy.sh/TOPIC or tgram://TOKEN/CHAT_ID")
    if load_apprise().Apprise.instantiate(url) is None:
        raise ValueError("Apprise cannot use this URL: an unknown service or a malformed URL "
                         "(see https://github.com/caronc/apprise/wiki)")
    return url


class AppriseSettings(BaseModel):
    # hide_input_in_errors: a validation message must not echo a URL (they carry credentials).
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    urls: list[Annotated[str, AfterValidator(_apprise_url)]] = Field(repr=False)
    timeout: float = Field(default=15.0, gt=0, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _needs_apprise(cls, values: Any) -> Any:
        load_apprise()
        return values

    @field_validator("urls")
    @classmethod
    def _not_empty(cls, urls: list[str]) -> list[str]:
        if not urls:
            raise ValueError("must list at least one Apprise URL")
        return urls


# ---------------------------------------------------------------- pure message


def neutralise(text: str) -> str:
    """Page text that mentions nobody: a zero-width space breaks each mention syntax (readers see
    the same characters)."""
    return _TAG_MENTION.sub("<" + ZWSP, _AT_MENTION.sub("@" + ZWSP, text))


def notify_type(message: Message) -> str:
    """Apprise's info, success, warning or failure, as the message's colour says."""
    return _NOTIFY_TYPES.get(message.colour, "info")


def title_of(message: Message) -> str:
    return truncate(neutralise(message.headline).strip(), TITLE_MAX)


def body_of(message: Message) -> str:
    """Plain text within BODY_MAX: the channel's mention, what happened, the update's text (which
    gives way first), impact, components, a group's other changes, the link."""
    head = [message.mention.strip()] if message.mention and message.mention.strip() else []
    head.append(f"{message.label} · {neutralise(message.phase)}" if message.phase else message.label)
    tail: list[str] = []
    if message.impact and message.impact != "none":
        tail.append(f"Impact: {readable(message.impact)}")
    if message.components:
        tail.append(f"Components: {truncate(neutralise(', '.join(message.components)), COMPONENTS_MAX)}")
    if message.changes:
        changes = [truncate(neutralise(line), CHANGES_MAX) for line in message.changes]
        tail += ["Also changed:", *lines_within(changes, CHANGES_MAX)]
    if is_web_link(message.url):
        tail.append(message.url)
    around = ["\n".join(head), "\n".join(tail)]
    room = max(BODY_MAX - sum(map(len, around)) - 4, 0)  # 4: the blank lines around the text
    parts = [around[0], _text(message, room), around[1]]
    return truncate("\n\n".join(part for part in parts if part), BODY_MAX)


def _text(message: Message, limit: int) -> str:
    """The update's text; a digest's lines kept whole, with how many did not fit."""
    text = neutralise(message.text.strip())
    if message.summary is None:
        return truncate(text, limit)
    return "\n".join(lines_within([truncate(line, CHANGES_MAX) for line in text.splitlines()], limit))


# ---------------------------------------------------------------- the notifier


class _Target:
    """One of the channel's URLs: its Apprise service and how long a send to it may take."""

    def __init__(self, index: int, url: str, timeout: float) -> None:
        library = load_apprise()
        plugin = library.Apprise.instantiate(url)
        assert plugin is not None, "each URL was validated with the settings"
        plugin.retry = 0  # our delivery worker retries, whatever the URL's retry= says
        plugin.optional = False  # a failure is a failure, whatever its optional= says
        # As for every destination here, a redirect is never followed: it could carry the message
        # to another server (Apprise follows them by default).
        plugin.redirects = False
        plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
        plugin.overflow_mode = library.OverflowMode.TRUNCATE  # a split message could arrive half
        self.index = index
        self.name = f"urls[{index}] ({plugin.service_name})"
        # Each request (one per target) may connect and read for `timeout` each, after Apprise's
        # own pacing of the service (request_rate_per_sec: seconds between two of its requests).
        pace = max(float(plugin.request_rate_per_sec or 0), 0.0)
        self.deadline = max(len(plugin), 1) * (pace + 2 * timeout)
        self.apprise = library.Apprise(plugin)


class AppriseNotifier:
    # Apprise paces each service itself (in its worker threads, not on our event loop).
    min_interval: ClassVar[float] = 0.0

    def __init__(self, channel: str, settings: AppriseSettings) -> None:
        self._label = f"apprise channel '{channel}'"
        self._targets = [_Target(index, url, settings.timeout) for index, url in enumerate(settings.urls)]
        self._delivered: OrderedDict[str, set[int]] = OrderedDict()  # message id -> URLs that took it

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        # Apprise's services keep no message ids: no threads, no edits; every event is a message.
        key = message.event.id
        done = self._delivered.pop(key, set())
        pending = [target for target in self._targets if target.index not in done]
        title, body, kind = title_of(message), body_of(message), notify_type(message)
        outcomes = await asyncio.gather(*(self._send_to(target, title, body, kind) for target in pending))
        failed = [(target, failure) for target, failure in zip(pending, outcomes) if failure is not None]
        done |= {target.index for target, failure in zip(pending, outcomes) if failure is None}
        if failed:
            self._remember(key, done)
            raise self._error(failed)
        return None

    async def aclose(self) -> None:
        return None

    async def _send_to(self, target: _Target, title: str, body: str, kind: str) -> Failure | None:
        library = load_apprise()
        result = await target.apprise.async_notify(
            body=body, title=title, notify_type=library.NotifyType(kind), body_format=library.NotifyFormat.TEXT, timeout=target.deadline)
        try:
            if result:
                return None
            if result.status == library.AppriseResultStatus.TIMEOUT:
                return TIMED_OUT
            return failure_from_log(entry.message for entry in result.logs())
        finally:
            result.close()

    def _remember(self, key: str, done: set[int]) -> None:
        if done:
            self._delivered[key] = done
            while len(self._delivered) > REMEMBERED_MAX:
                self._delivered.popitem(last=False)

    def _error(self, failed: Iterable[tuple[_Target, Failure]]) -> RetryableError | PermanentError:
        """The error that decides for the whole message, telling every URL that failed."""
        failed = list(failed)
        deciding = worst(failure for _, failure in failed)
        assert deciding is not None, "called with failures"
        text = f"{self._label}: " + "; ".join(f"{target.name}: {failure.what}" for target, failure in failed)
        verdict = deciding.verdict
        if verdict is Verdict.DISABLE:
            return PermanentError(f"{text}: channel disabled", disable_channel=True)
        if verdict is Verdict.RETRY:
            return RetryableError(text)
        if verdict is Verdict.UNEXPECTED:
            return UnexpectedAnswer(text)
        return PermanentError(f"{text}: message rejected")


def create(channel: str, settings: AppriseSettings, http: object) -> AppriseNotifier:
    return AppriseNotifier(channel, settings)  # Apprise brings its own HTTP client (requests)


DESTINATION = Destination(type="apprise", settings=AppriseSettings, create=create, secret_keys=("urls",))
