"""The resolved configuration as `statusbot check` prints it, with every secret redacted.

A key that holds a secret (a secret key of a channel's destination, or any key set through
${VAR}) is shown redacted whatever the length of its value. Beyond those, any text holding a
secret long enough to be searched for (SECRET_MIN_LENGTH) is redacted wherever it shows.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import time

from pydantic import BaseModel

from bot.config import ChannelConfig, Config
from bot.database import default_replica, is_postgres, shown
from bot.logs import MASK
from bot.noise.calendar import DAY
from bot.noise.config_keys import show_clock, show_duration, show_window
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
        ("database", [("", shown(bot.database))], {""} if "database" in config.bot_secret_keys else ()),
        ("bot", [
            ("interval", _seconds(bot.interval)),
            ("first_run", bot.first_run),
            ("timeout", _seconds(bot.timeout)),
            ("max_body_bytes", str(bot.max_body_bytes)),
            ("lock_timeout", _seconds(bot.lock_timeout)),
            ("http", bot.http or "off"),
            ("http_token", MASK if bot.http_token else "unset"),
            ("max_events_per_poll", str(bot.max_events_per_poll)),
            ("max_incidents", str(bot.max_incidents)),
            ("max_components", str(bot.max_components)),
            ("max_updates", str(bot.max_updates)),
            # Only replicas sharing a PostgreSQL database have a name.
            *([("replica", bot.replica or default_replica())] if is_postgres(bot.database) else []),
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
            *_noise_fields(c),
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


def _noise_fields(channel: ChannelConfig) -> _Fields:
    """The channel's noise control where it differs from a table that sets no noise key, in words.
    A value resting on a secret key is masked whole: its fields do not bear the keys' names."""
    noise, zone = channel.noise, channel.noise.timezone.key
    shown: list[tuple[str, str, set[str]]] = []  # (field, value, the keys it shows)
    if noise.hold is not None:
        incidents = "" if noise.hold_incidents_below == "none" else f" (and incidents below {noise.hold_incidents_below})"
        shown.append(("hold", show_duration(noise.hold) + incidents, {"hold", "hold_incidents_below"}))
    if noise.group != channel.groups_by_default:
        shown.append(("messages", "grouped" if noise.group else "one per event", {"group"}))
    if noise.quiet_hours is not None:
        dropped = "; what resolves meanwhile is left out" if noise.quiet_drop_resolved else ""
        shown.append(("quiet", f"{show_window(noise.quiet_hours)} {zone} "
                               f"({noise.quiet_min_impact} and above go through{dropped})",
                      {"quiet_hours", "timezone", "quiet_min_impact", "quiet_drop_resolved"}))
    if noise.mode == "digest":
        start = "at" if noise.digest_every >= DAY else "from"  # under a day: the day's first period starts
        shown.append(("digest", f"every {show_duration(noise.digest_every)} {start} "
                                f"{show_clock(noise.digest_at or time(0, 0))} {zone}",
                      {"mode", "digest_every", "digest_at", "timezone"}))
    if noise.remind_every is not None:
        shown.append(("remind", f"every {show_duration(noise.remind_every)}", {"remind_every"}))
    return [(key, MASK if keys & channel.secret_keys else value) for key, value, keys in shown]


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
