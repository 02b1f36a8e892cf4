"""The resolved configuration as `statusbot check` prints it, with every secret redacted.

A key that holds a secret (a secret key of a channel's destination, or any key set through
${VAR}) is shown redacted whatever the length of its value. Beyond those, any text holding a
secret long enough to be searched for (SECRET_MIN_LENGTH) is redacted wherever it shows.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from pydantic import BaseModel

from bot.config import Config
from bot.logs import MASK
from bot.redaction import worth_hiding
from bot.urls import masked

_Fields = list[tuple[str, str]]  # (key, value) in the order shown; key "" shows the value alone


def describe(config: Config) -> str:
    """One line per section, provider and channel; anything holding a secret is redacted."""
    bot = config.bot
    searchable = worth_hiding(config.secrets)

    def name(value: str, secret_keys: Collection[str]) -> str:
        return MASK if _hidden("name", value, secret_keys, searchable) else value

    sections: list[tuple[str, _Fields, Collection[str]]] = [
        ("source", [("", config.source)], ()),
        ("database", [("", bot.database)], {""} if "database" in config.bot_secret_keys else ()),
        ("bot", [
            ("interval", _seconds(bot.interval)),
            ("first_run", bot.first_run),
            ("timeout", _seconds(bot.timeout)),
            ("max_body_bytes", str(bot.max_body_bytes)),
            ("lock_timeout", _seconds(bot.lock_timeout)),
            ("http", bot.http or "off"),
            ("max_events_per_poll", str(bot.max_events_per_poll)),
            ("max_incidents", str(bot.max_incidents)),
            ("max_components", str(bot.max_components)),
            ("max_updates", str(bot.max_updates)),
        ], config.bot_secret_keys),
    ]
    for p in config.providers:
        sections.append((f"provider {name(p.name, p.secret_keys)}", [
            ("title", p.title),
            ("kind", p.kind),
            ("url", p.url),
            ("interval", _seconds(p.interval)),
            ("components", _all(p.components)),
        ], p.secret_keys))
    for c in config.channels:
        sections.append((f"channel {name(c.name, c.secret_keys)}", [
            ("type", c.type),
            ("providers", _all(c.providers)),
            ("min_impact", c.min_impact),
            ("events", ",".join(c.events)),
            ("components", _all(c.components)),
            ("mention", f"{c.mention} (from {c.mention_min_impact})" if c.mention else "-"),
            *_settings_fields(c.settings),
        ], c.secret_keys))
    return "\n".join(_line(head, fields, keys, config.secrets, searchable) for head, fields, keys in sections)


def _hidden(key: str, value: str, secret_keys: Collection[str], searchable: Sequence[str]) -> bool:
    """Whether a key's value is shown redacted: a secret key whatever its value, else any value
    holding a secret long enough to be searched for."""
    return key in secret_keys or any(secret in value for secret in searchable)


def _line(head: str, fields: _Fields, secret_keys: Collection[str], secrets: Collection[str],
          searchable: Sequence[str]) -> str:
    shown = []
    for key, value in fields:
        text = masked(value, secrets) if _hidden(key, value, secret_keys, searchable) else value
        shown.append(f"{key}={text}" if key else text)
    return f"{head}: {' '.join(shown)}"


def _settings_fields(settings: BaseModel) -> _Fields:
    fields = []
    dumped = settings.model_dump(mode="json")
    for key in type(settings).model_fields:
        value = dumped.get(key)
        if value is not None:
            fields.append((key, value if isinstance(value, str) else json.dumps(value)))
    return fields


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _all(items: Sequence[str]) -> str:
    return ",".join(items) if items else "all"
