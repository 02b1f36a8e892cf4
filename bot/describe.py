"""The resolved configuration as `statusbot check` prints it, with every secret redacted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urlsplit

from pydantic import BaseModel

from bot.config import Config
from bot.logs import MASK
from bot.redaction import worth_hiding


def describe(config: Config) -> str:
    """One line per section, provider and channel; anything holding a secret is redacted."""
    bot = config.bot
    lines = [
        ("source", [("", config.source)]),
        ("database", [("", bot.database)]),
        ("bot", [
            ("interval", _seconds(bot.interval)),
            ("first_run", bot.first_run),
            ("timeout", _seconds(bot.timeout)),
            ("max_body_bytes", str(bot.max_body_bytes)),
            ("lock_timeout", _seconds(bot.lock_timeout)),
            ("http", bot.http or "off"),
        ]),
    ]
    for p in config.providers:
        lines.append((f"provider {p.name}", [
            ("title", p.title),
            ("kind", p.kind),
            ("url", p.url),
            ("interval", _seconds(p.interval)),
            ("components", _all(p.components)),
        ]))
    for c in config.channels:
        lines.append((f"channel {c.name}", [
            ("type", c.type),
            ("providers", _all(c.providers)),
            ("min_impact", c.min_impact),
            ("events", ",".join(c.events)),
            ("components", _all(c.components)),
            ("mention", f"{c.mention} (from {c.mention_min_impact})" if c.mention else "-"),
            *_settings_fields(c.settings),
        ]))
    secrets = worth_hiding(config.secrets)
    return "\n".join(_line(head, fields, secrets) for head, fields in lines)


def _line(head: str, fields: Sequence[tuple[str, str]], secrets: Sequence[str]) -> str:
    shown = (f"{key}={_shown(value, secrets)}" if key else _shown(value, secrets) for key, value in fields)
    return f"{_shown(head, secrets)}: {' '.join(shown)}"


def _settings_fields(settings: BaseModel) -> list[tuple[str, str]]:
    fields = []
    dumped = settings.model_dump(mode="json")
    for key in type(settings).model_fields:
        value = dumped.get(key)
        if value is not None:
            fields.append((key, value if isinstance(value, str) else json.dumps(value)))
    return fields


def _shown(text: str, secrets: Sequence[str]) -> str:
    """`text`, or when it holds a secret `***` (a URL keeps its scheme and host: scheme://host/***)."""
    if not any(secret in text for secret in secrets):
        return text
    try:
        parts = urlsplit(text)
        origin = f"{parts.scheme}://{parts.hostname}" if parts.scheme and parts.hostname else None
    except ValueError:
        origin = None
    if origin and not any(secret in origin for secret in secrets):
        return f"{origin}/{MASK}"
    return MASK


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _all(items: Sequence[str]) -> str:
    return ",".join(items) if items else "all"
