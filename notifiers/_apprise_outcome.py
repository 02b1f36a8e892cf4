"""What one Apprise URL's send came to, read from Apprise's result for it.

Apprise tells only whether a service accepted a message (its result's status). The cause of a
failure is in the lines the plugin logged while it ran, which Apprise keeps per service and per
attempt (captured by context, so concurrent sends of other channels never mix in): nearly every
HTTP plugin logs `Failed to send <service> notification: <reason>, error=<status>.` or
`A Connection error occurred sending <service> ...`. Only the status and the kind of failure are
read from those lines; the lines themselves may quote a host, a topic or a token, and go nowhere.

A status maps through the one HTTP table (`classify_status`), so an Apprise URL fails as every
other destination does: 401/403/404/410 disable the channel, 5xx/429/408 are retried for as long
as they last, another 4xx drops the message. ntfy answers its own error codes (40101 is its 401):
their first three digits are the HTTP status.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ._http import Verdict, classify_status, status_text

_STATUS = re.compile(r"\berror=([1-5][0-9]{2})(?:[0-9]{2})?(?![0-9])")
_CONNECTION = re.compile(r"\bconnection error\b|\bconnection failed\b", re.IGNORECASE)

# Of several failures (URLs of one channel, or targets of one URL), the one that decides:
# an unusable endpoint first (retrying cannot help the channel), then an outage (the others may
# pass on the next try), then an unexplained failure (tried a few times), then a rejected message.
SEVERITY = (Verdict.DISABLE, Verdict.RETRY, Verdict.UNEXPECTED, Verdict.DROP)


@dataclass(frozen=True)
class Failure:
    verdict: Verdict
    what: str  # our words only: "HTTP 500 Internal Server Error", "connection failed", ...


# The plugin logged no status and no connection error (an SMTP refusal, a plugin that says
# nothing): nothing tells an outage from a misconfiguration, so it is retried, but as an
# unexpected answer, a few times and then given up; never retried forever, never disabling.
UNEXPLAINED = Failure(Verdict.UNEXPECTED, "failed, and Apprise logged no reason")
TIMED_OUT = Failure(Verdict.RETRY, "timed out")
CONNECTION_FAILED = Failure(Verdict.RETRY, "connection failed")


def failure_from_log(messages: Iterable[str]) -> Failure:
    """The deciding failure among the lines a failed send logged."""
    found: list[Failure] = []
    for message in messages:
        for match in _STATUS.finditer(message):
            status = int(match.group(1))
            verdict = classify_status(status)
            if verdict is not Verdict.SUCCESS:
                redirect = ": a redirect, not followed" if 300 <= status < 400 else ""
                found.append(Failure(verdict, status_text(status) + redirect))
        if _CONNECTION.search(message):
            found.append(CONNECTION_FAILED)
    return worst(found) or UNEXPLAINED


def worst(failures: Iterable[Failure]) -> Failure | None:
    """The failure that decides, by SEVERITY; None when there is none."""
    return min(failures, key=lambda failure: SEVERITY.index(failure.verdict), default=None)
