"""Logging set-up: one line per record, in UTC, with every known secret masked.

Human lines by default (`2026-02-24 00:54:58 | WARNING | provider acme: HTTP 503 ...`); with
`--log-format json`, one JSON object per line for log pipelines. Either way a record is one line
whatever it quotes, with every control, bidi or invisible character escaped. A replica sharing a
PostgreSQL database names itself on every line (`... | WARNING | replica r1 | provider acme: ...`,
or a "replica" field), once `name_replica` is called.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable

from bot.text import escape_controls

MASK = "***"
# Shorter values are no secret and would mangle ordinary words wherever they were masked.
SECRET_MIN_LENGTH = 4


class RedactSecrets(logging.Filter):
    """Replaces every configured secret in a record's final text: a last line of defence."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        self.secrets = masking_order([*self.secrets, *secrets])

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        masked = mask(text, self.secrets)
        exc_text = mask(record.exc_text, self.secrets) if record.exc_text else record.exc_text
        if masked != text or exc_text != record.exc_text:
            record.msg, record.args, record.exc_text = masked, None, exc_text
        return True


def masking_order(secrets: Iterable[str]) -> list[str]:
    """The secrets worth masking, longest first, so that one inside another is masked whole."""
    return sorted({secret for secret in secrets if len(secret) >= SECRET_MIN_LENGTH}, key=len, reverse=True)


def mask(text: str, ordered: list[str]) -> str:
    """`text` with each of `ordered` (as `masking_order` gives them) replaced by MASK."""
    for secret in ordered:
        text = text.replace(secret, MASK)
    return text


REDACTOR = RedactSecrets()


class NameReplica(logging.Filter):
    """Gives every record the name of the replica that logs it (`record.replica`), once it has one."""

    def __init__(self) -> None:
        super().__init__()
        self.replica: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.replica is not None:
            record.replica = self.replica
        return True


REPLICA = NameReplica()


def name_replica(name: str | None) -> None:
    """Name this replica on every line logged from now on (None: a lone bot, whose lines name none)."""
    REPLICA.replica = name


class TextFormatter(logging.Formatter):
    """`time | LEVEL | message` in UTC (`time | LEVEL | replica NAME | message` for a named replica).
    The line is one line, and only what it says: a newline, an ESC or a bidi override in a message
    or a traceback is shown escaped (`\\n`, `\\x1b`, `\\u202e`), so no text can forge a record or hide
    part of one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s | %(levelname)s | %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
        self.converter = time.gmtime
        self._replica_style = logging.PercentStyle("%(asctime)s | %(levelname)s | replica %(replica)s | %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        style = self._replica_style if _replica(record) else self._style
        return style.format(record)

    def format(self, record: logging.LogRecord) -> str:
        return escape_controls(super().format(record))


class JsonFormatter(logging.Formatter):
    """{"time": ..., "level": ..., "logger": ..., "message": ...}, plus "error" with a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            **({"replica": replica} if (replica := _replica(record)) else {}),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            document["error"] = record.exc_text
        # json.dumps escapes C0 controls; C1, bidi and invisible characters get \u escapes too,
        # which a JSON reader turns back into the same text.
        return escape_controls(json.dumps(document, ensure_ascii=False), _json_escape)


def _replica(record: logging.LogRecord) -> str | None:
    return getattr(record, "replica", None)


def _json_escape(char: str) -> str:
    return json.dumps(char)[1:-1]


def setup_logging(level: str = "INFO", form: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if form == "json" else TextFormatter())
    handler.addFilter(REDACTOR)
    handler.addFilter(REPLICA)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Client libraries log request URLs, and webhook URLs carry tokens.
    for noisy in ("httpx", "httpcore", "aiohttp", "slack_sdk", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
