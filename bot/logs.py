"""Logging set-up: one line per record, in UTC, with every known secret masked.

Human lines by default (`2026-02-24 00:54:58 | WARNING | provider acme: HTTP 503 ...`); with
`--log-format json`, one JSON object per line for log pipelines.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable

MASK = "***"


class RedactSecrets(logging.Filter):
    """Replaces every configured secret in a record's final text: a last line of defence."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted({s for s in [*self.secrets, *secrets] if len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        masked = _mask(text, self.secrets)
        exc_text = _mask(record.exc_text, self.secrets) if record.exc_text else record.exc_text
        if masked != text or exc_text != record.exc_text:
            record.msg, record.args, record.exc_text = masked, None, exc_text
        return True


def _mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


REDACTOR = RedactSecrets()


class JsonFormatter(logging.Formatter):
    """{"time": ..., "level": ..., "logger": ..., "message": ...}, plus "error" with a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            document["error"] = record.exc_text
        return json.dumps(document, ensure_ascii=False)


def setup_logging(level: str = "INFO", form: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if form == "json":
        formatter: logging.Formatter = JsonFormatter()
    else:
        formatter = logging.Formatter("%(asctime)s | %(levelname)s | %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
        formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Client libraries log request URLs, and webhook URLs carry tokens.
    for noisy in ("httpx", "httpcore", "aiohttp", "slack_sdk", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
