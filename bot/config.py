"""Configuration: find the file, read it (or build the built-in defaults), validate, describe.

Every problem is a ConfigError whose message is one line, `<key path>: <problem>`, that never
contains a secret or a URL from a channel table (webhook URLs carry their token).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args
from urllib.parse import SplitResult, urlsplit

from dotenv import dotenv_values
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
)
from pydantic_core import to_jsonable_python

from bot.model import ConfigError, Destination, Format, Frozen, Preset
from bot.text import one_line

DEFAULT_FILE = Path("statusbot.toml")
DEFAULTS_SOURCE = "built-in defaults"
DEFAULT_PRESET = "openai"

Impact = Literal["none", "minor", "major", "critical"]  # the order of bot.model.IMPACTS
FirstRun = Literal["active", "all", "none"]
EventFamily = Literal["incident", "component", "maintenance"]
EVENT_FAMILIES: tuple[EventFamily, ...] = get_args(EventFamily)


def _not_bool(value: Any) -> Any:
    # pydantic's lax mode reads true as 1, which hides a mistake like `interval = true`.
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


Seconds = Annotated[float, BeforeValidator(_not_bool), Field(gt=0, allow_inf_nan=False)]
Count = Annotated[int, BeforeValidator(_not_bool), Field(gt=0)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _host_port(value: str) -> str:
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError('must be "host:port", e.g. "127.0.0.1:9108"')
    return value


HostPort = Annotated[str, AfterValidator(_host_port)]

Env = Mapping[str, str]
Formats = Mapping[str, Format]
Destinations = Mapping[str, Destination]
Presets = Mapping[str, Preset]


# ---------------------------------------------------------------- the resolved configuration


class BotSettings(Frozen):
    """The `[bot]` table."""

    database: Name = "statusbot.db"
    interval: Seconds = 60.0
    first_run: FirstRun = "active"
    timeout: Seconds = 20.0  # seconds per fetch
    max_body_bytes: Count = 5_000_000
    http: HostPort | None = None  # where to serve /healthz and /metrics; off when unset


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    title: str  # display name
    kind: str
    url: str  # as configured: a page's base URL, or a feed's own URL
    interval: float
    components: tuple[str, ...] = ()  # empty: all


@dataclass(frozen=True)
class ChannelConfig:
    name: str
    type: str
    providers: tuple[str, ...]  # empty: all
    min_impact: Impact
    events: tuple[EventFamily, ...]
    components: tuple[str, ...]  # empty: all
    mention: str | None
    mention_min_impact: Impact
    settings: BaseModel  # the destination's own settings model, built from the table's other keys


@dataclass(frozen=True)
class Config:
    bot: BotSettings
    providers: tuple[ProviderConfig, ...]
    channels: tuple[ChannelConfig, ...]
    source: str  # the file path, or DEFAULTS_SOURCE
    secrets: frozenset[str] = frozenset()  # values the logs must redact


# ---------------------------------------------------------------- public API


def config_path(cli_path: str | None, env: Env) -> Path | None:
    """--config, else $STATUSBOT_CONFIG, else ./statusbot.toml if present, else None (defaults)."""
    for origin, value in (("--config", cli_path), ("STATUSBOT_CONFIG", env.get("STATUSBOT_CONFIG"))):
        if value:
            path = Path(value)
            if not path.is_file():
                problem = "not a file" if path.exists() else "file not found"
                raise ConfigError(f"{origin}: {problem}: {value}")
            return path
    return DEFAULT_FILE if DEFAULT_FILE.is_file() else None


def read_env(dotenv_path: Path = Path(".env")) -> dict[str, str]:
    """The .env file's values (absent file: none) overlaid by the process environment."""
    values = {key: value for key, value in dotenv_values(dotenv_path).items() if value is not None}
    return {**values, **os.environ}


def load_config(
    path: Path | None,
    env: Env,
    formats: Formats,
    destinations: Destinations,
    presets: Presets,
) -> Config:
    """The validated configuration from `path`, or the built-in defaults when `path` is None."""
    if path is None:
        tables = _default_tables(env, destinations, presets)
    else:
        tables = _file_tables(path, env)
    _check_keys(tables.bot.values, BotSettings.model_fields, tables.bot.where)
    bot = _validate(BotSettings, tables.bot.values, tables.bot.where)
    providers = _providers(tables.providers, bot, formats, presets)
    channels, secrets = _channels(tables.channels, [p.name for p in providers], destinations)
    return Config(bot, providers, channels, tables.source, secrets)


def describe(config: Config) -> str:
    """The resolved configuration for `statusbot check`; anything holding a secret is redacted."""
    bot = config.bot
    lines = [
        ("source", [("", config.source)]),
        ("database", [("", bot.database)]),
        ("bot", [
            ("interval", _seconds(bot.interval)),
            ("first_run", bot.first_run),
            ("timeout", _seconds(bot.timeout)),
            ("max_body_bytes", str(bot.max_body_bytes)),
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
    secrets = _worth_hiding(config.secrets)
    return "\n".join(_line(head, fields, secrets) for head, fields in lines)


# ---------------------------------------------------------------- raw tables and where they came from


@dataclass(frozen=True)
class _Where:
    """Names keys in errors. `origins` maps keys filled from environment variables to those."""

    prefix: str
    origins: Mapping[str, str] = field(default_factory=dict)

    def key(self, *loc: str | int) -> str:
        path, rest = self.prefix, loc
        if loc and isinstance(loc[0], str) and loc[0] in self.origins:
            path, rest = self.origins[loc[0]], loc[1:]
        for part in rest:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        return path


@dataclass(frozen=True)
class _Table:
    values: dict[str, Any]
    where: _Where
    secrets: frozenset[str] = frozenset()  # strings in it that came from the environment


@dataclass(frozen=True)
class _Tables:
    source: str
    bot: _Table
    providers: list[_Table]
    channels: list[_Table]


_SECTIONS = ("bot", "providers", "channels")


def _file_tables(path: Path, env: Env) -> _Tables:
    document = _read_toml(path)
    _check_keys(document, _SECTIONS, _Where(""))
    bot = document.get("bot", {})
    if not isinstance(bot, dict):
        raise ConfigError("bot: expected a table ([bot])")
    return _Tables(
        source=str(path),
        bot=_substituted(bot, _Where("bot"), env),
        providers=_array(document, "providers", env),
        channels=_array(document, "channels", env),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        problem = f"cannot read: {exc.strerror}"
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte {exc.start})"
    except tomllib.TOMLDecodeError as exc:
        # The message says where, "(at line 3, column 11)", and quotes no values.
        problem = f"invalid TOML: {exc}"
    # Raised outside the except block: a decode error holds the file's bytes, keep it out.
    raise ConfigError(f"{path}: {problem}")


def _array(document: Mapping[str, Any], section: str, env: Env) -> list[_Table]:
    items = document.get(section, [])
    if not isinstance(items, list):
        raise ConfigError(f"{section}: expected an array of tables ([[{section}]])")
    tables = []
    for index, item in enumerate(items):
        where = _item_where(section, index, item)
        if not isinstance(item, dict):
            raise ConfigError(f"{where.prefix}: expected a table ([[{section}]])")
        tables.append(_substituted(item, where, env))
    return tables


def _item_where(section: str, index: int, item: Any) -> _Where:
    name = item.get("name") if isinstance(item, dict) else None
    label = f" ({name})" if isinstance(name, str) and name else ""
    return _Where(f"{section}[{index}]{label}")


# ---------------------------------------------------------------- ${VAR} substitution

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _substituted(values: dict[str, Any], where: _Where, env: Env) -> _Table:
    found: set[str] = set()
    values = {key: _substitute(value, where.key(key), env, found) for key, value in values.items()}
    return _Table(values, where, frozenset(found))


def _substitute(value: Any, path: str, env: Env, found: set[str]) -> Any:
    """`value` with ${VAR} replaced in every string inside it; adds the values used to `found`."""
    if isinstance(value, str):
        return _VARIABLE.sub(lambda match: _variable(match.group(1), path, env, found), value)
    if isinstance(value, list):
        return [_substitute(item, f"{path}[{i}]", env, found) for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {key: _substitute(item, f"{path}.{key}", env, found) for key, item in value.items()}
    return value


def _variable(name: str, path: str, env: Env, found: set[str]) -> str:
    if name not in env:
        raise ConfigError(f"{path}: environment variable {name} is not set")
    value = env[name]
    if value:
        found.add(value)
    return value


# ---------------------------------------------------------------- built-in defaults

_ENV_BOT = {
    "database": "STATUSBOT_DATABASE",
    "interval": "STATUSBOT_INTERVAL",
    "first_run": "STATUSBOT_FIRST_RUN",
    "http": "STATUSBOT_HTTP",
}


@dataclass(frozen=True)
class _EnvChannel:
    """A channel the defaults add when `keys`' first variable is set; the others except
    `optional` are then required."""

    name: str
    type: str
    keys: Mapping[str, str]  # settings key -> environment variable
    optional: frozenset[str] = frozenset()


_ENV_CHANNELS = (
    _EnvChannel("slack", "slack", {"token": "SLACK_BOT_TOKEN", "channel": "SLACK_CHANNEL"}),
    _EnvChannel("slack-webhook", "slack", {"webhook_url": "SLACK_WEBHOOK_URL"}),
    _EnvChannel("discord", "discord", {"webhook_url": "DISCORD_WEBHOOK_URL"}),
    _EnvChannel(
        "webhook", "webhook", {"url": "WEBHOOK_URL", "secret": "WEBHOOK_SECRET"}, frozenset({"WEBHOOK_SECRET"})
    ),
)


def _default_tables(env: Env, destinations: Destinations, presets: Presets) -> _Tables:
    # An empty variable counts as unset: a copied .env.example leaves them empty.
    bot = {key: env[var] for key, var in _ENV_BOT.items() if env.get(var)}
    names = _default_presets(env, presets)
    channels = [_Table({"name": "console", "type": "console"}, _Where("channels[0] (console)"))]
    for spec in _ENV_CHANNELS:
        if spec.type in destinations and env.get(next(iter(spec.keys.values()))):
            channels.append(_env_channel(spec, len(channels), env))
    return _Tables(
        source=DEFAULTS_SOURCE,
        bot=_Table(bot, _Where("bot", _ENV_BOT)),
        providers=[_Table({"name": n}, _Where(f"providers[{i}] ({n})")) for i, n in enumerate(names)],
        channels=channels,
    )


def _default_presets(env: Env, presets: Presets) -> list[str]:
    listed = [name.strip() for name in env.get("STATUSBOT_PROVIDERS", "").split(",") if name.strip()]
    for name in listed:
        if name not in presets:
            raise ConfigError(f"STATUSBOT_PROVIDERS: {_unknown('preset', name, presets)}")
    return list(dict.fromkeys(listed)) or [DEFAULT_PRESET]


def _env_channel(spec: _EnvChannel, index: int, env: Env) -> _Table:
    trigger = next(iter(spec.keys.values()))
    for var in spec.keys.values():
        if not env.get(var) and var not in spec.optional:
            raise ConfigError(f"{var}: not set (needed with {trigger})")
    settings = {key: env[var] for key, var in spec.keys.items() if env.get(var)}
    return _Table(
        {"name": spec.name, "type": spec.type, **settings},
        _Where(f"channels[{index}] ({spec.name})", spec.keys),
        frozenset(settings.values()),  # every value from the environment is a secret here
    )


# ---------------------------------------------------------------- providers


class _ProviderTable(Frozen):
    name: Name
    title: Name | None = None
    kind: Name | None = None
    url: Name | None = None
    interval: Seconds | None = None
    components: tuple[str, ...] = ()


def _providers(
    tables: Sequence[_Table], bot: BotSettings, formats: Formats, presets: Presets
) -> tuple[ProviderConfig, ...]:
    if not tables:
        raise ConfigError("providers: none configured; add a [[providers]] table")
    providers = tuple(_provider(table, bot, formats, presets) for table in tables)
    _check_unique([(p.name, t.where) for p, t in zip(providers, tables)], "provider")
    return providers


def _provider(table: _Table, bot: BotSettings, formats: Formats, presets: Presets) -> ProviderConfig:
    """A preset (kind and url from the catalog, url overridable), or with `kind` a page of one's own."""
    where = table.where
    _check_keys(table.values, _ProviderTable.model_fields, where)
    raw = _validate(_ProviderTable, table.values, where)
    preset = None if raw.kind else presets.get(raw.name)
    if raw.kind is None and preset is None:
        if raw.url is not None:
            problem = f"{raw.name!r} is not a preset, so a page of your own needs kind and url"
            raise ConfigError(f"{where.key('kind')}: missing; {problem}")
        known = _unknown("preset", raw.name, presets)
        raise ConfigError(f"{where.key('name')}: {known} (or set kind and url for a page of your own)")
    kind = preset.kind if preset else raw.kind
    url = raw.url or (preset.url if preset else None)
    if kind not in formats:
        raise ConfigError(f"{where.key('kind')}: {_unknown('kind', str(kind), formats)}")
    if url is None:
        raise ConfigError(f"{where.key('url')}: missing; a page of your own needs kind and url")
    return ProviderConfig(
        name=raw.name,
        title=raw.title or (preset.title if preset else raw.name),
        kind=kind,
        url=_checked_url(url, where.key("url")),
        interval=raw.interval or bot.interval,
        components=raw.components,
    )


def _checked_url(url: str, key: str) -> str:
    """`url` as written (a format appends its paths; a feed's URL is used as is); the value is
    never echoed, since a URL may carry a token."""
    if _web_url(url) is None:
        raise ConfigError(f"{key}: not a valid http(s) URL with a host")
    return url


def _web_url(url: str) -> SplitResult | None:
    if any(char.isspace() for char in url):
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    return parts if parts.scheme in ("http", "https") and parts.hostname else None


# ---------------------------------------------------------------- channels


class _ChannelTable(Frozen):
    """The keys every channel has; the rest of a `[[channels]]` table is the destination's."""

    name: Name
    type: Name
    providers: tuple[str, ...] = ()
    min_impact: Impact = "none"
    events: Annotated[tuple[EventFamily, ...], Field(min_length=1)] = EVENT_FAMILIES
    components: tuple[str, ...] = ()
    mention: str | None = None  # the channel's own ping, e.g. "<!here>"; never taken from page text
    mention_min_impact: Impact = "major"


_Channels = tuple[tuple[ChannelConfig, ...], frozenset[str]]  # the channels and their secrets


def _channels(tables: Sequence[_Table], providers: Sequence[str], destinations: Destinations) -> _Channels:
    """The channels and their secrets. Errors are scrubbed of every sensitive value first."""
    hidden = set().union(*(_sensitive(table, destinations) for table in tables))
    try:
        return _build_channels(tables, providers, destinations)
    except ConfigError as exc:
        message = _scrub(str(exc), hidden)
    # Raised outside the except block, so the unscrubbed error is not kept as its context.
    raise ConfigError(message)


def _build_channels(tables: Sequence[_Table], providers: Sequence[str], destinations: Destinations) -> _Channels:
    if not tables:
        raise ConfigError('channels: none configured; add a [[channels]] table (type = "console" logs)')
    built = [_channel(table, providers, destinations) for table in tables]
    _check_unique([(c.name, t.where) for (c, _), t in zip(built, tables)], "channel")
    secrets = frozenset().union(*(found for _, found in built))
    return tuple(channel for channel, _ in built), secrets


def _channel(
    table: _Table, providers: Sequence[str], destinations: Destinations
) -> tuple[ChannelConfig, frozenset[str]]:
    where, values = table.where, table.values
    destination = _destination(values, where, destinations)
    _check_keys(values, [*_ChannelTable.model_fields, *_field_names(destination.settings)], where)
    common_keys = _ChannelTable.model_fields
    common = _validate(_ChannelTable, {k: v for k, v in values.items() if k in common_keys}, where)
    for index, name in enumerate(common.providers):
        if name not in providers:
            raise ConfigError(f"{where.key('providers', index)}: {_unknown('provider', name, providers)}")
    rest = {k: v for k, v in values.items() if k not in common_keys}
    settings = _validate(destination.settings, rest, where)
    channel = ChannelConfig(**dict(common), settings=settings)
    return channel, table.secrets | _secret_values(destination, rest, settings)


def channel_with_defaults(name: str, kind: str, settings: BaseModel) -> ChannelConfig:
    """A channel whose common keys are all at their defaults, as in a table that sets none."""
    return ChannelConfig(**dict(_ChannelTable(name=name, type=kind)), settings=settings)


def _destination(values: Mapping[str, Any], where: _Where, destinations: Destinations) -> Destination:
    kind = values.get("type")
    if kind is None:
        known = ", ".join(sorted(destinations))
        raise ConfigError(f"{where.key('type')}: missing; known types: {known}")
    if not isinstance(kind, str):
        raise ConfigError(f"{where.key('type')}: must be a string")
    if kind not in destinations:
        raise ConfigError(f"{where.key('type')}: {_unknown('channel type', kind, destinations)}")
    return destinations[kind]


def _field_names(model: type[BaseModel]) -> list[str]:
    return [name for key, info in model.model_fields.items() for name in (key, info.alias) if name]


def _secret_values(
    destination: Destination, raw: Mapping[str, Any], settings: BaseModel
) -> frozenset[str]:
    """The secret keys' values, as written and as validated (a model may normalise them)."""
    found = set()
    for key in destination.secret_keys:
        found.update(_strings(raw.get(key)))
        found.update(_strings(getattr(settings, key, None)))
    return frozenset(found)


def _sensitive(table: _Table, destinations: Destinations) -> set[str]:
    """What an error about `table` must not show: its secrets and every URL in it."""
    kind = table.values.get("type")
    destination = destinations.get(kind) if isinstance(kind, str) else None
    secret_keys = destination.secret_keys if destination else ()
    hidden = set(table.secrets)
    for key, value in table.values.items():
        hidden.update(s for s in _strings(value) if key in secret_keys or "://" in s)
    return hidden


# ---------------------------------------------------------------- validation helpers

M = TypeVar("M", bound=BaseModel)

# Shorter values are no secret and would mangle ordinary words; the log redactor agrees.
_SECRET_MIN_LENGTH = 4
_PROBLEMS = {"missing": "required key is missing", "extra_forbidden": "unknown key"}


def _validate(model: type[M], values: Mapping[str, Any], where: _Where) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        message = _first_error(exc, where)
    # Raised outside the except block: the ValidationError quotes input values, keep it out.
    raise ConfigError(message)


def _first_error(exc: ValidationError, where: _Where) -> str:
    error = exc.errors(include_url=False)[0]
    cause = error.get("ctx", {}).get("error") if error["type"] == "value_error" else None
    # A validator's own words, without pydantic's "Value error, " prefix.
    problem = str(cause) if cause else _PROBLEMS.get(error["type"], error["msg"])
    if isinstance(error.get("input"), str):
        problem = _scrub(problem, [error["input"]])
    return f"{where.key(*error['loc'])}: {one_line(problem)}"


def _check_keys(values: Mapping[str, Any], allowed: Iterable[str], where: _Where) -> None:
    allowed = sorted(set(allowed))
    for key in values:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(allowed)}"
            raise ConfigError(f"{where.key(key)}: unknown key; {hint}")


def _unknown(what: str, value: str, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown {what} {value!r}; {hint}known: {', '.join(known) or 'none'}"


def _check_unique(items: Sequence[tuple[str, _Where]], what: str) -> None:
    first: dict[str, str] = {}
    for name, where in items:
        if name in first:
            problem = f"duplicate {what} name {name!r} (also {first[name]})"
            raise ConfigError(f"{where.key('name')}: {problem}")
        first[name] = where.prefix


def _strings(value: Any) -> Iterator[str]:
    """Every non-empty string inside a value (a secret may be wrapped, nested or a URL object)."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif value is not None and not isinstance(value, (bool, int, float)):
        text = str(value)
        if text:
            yield text


def _scrub(text: str, hidden: Iterable[str]) -> str:
    for value in sorted(_worth_hiding(hidden), key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def _worth_hiding(values: Iterable[str]) -> list[str]:
    return [value for value in values if len(value) >= _SECRET_MIN_LENGTH]


# ---------------------------------------------------------------- describe helpers


def _line(head: str, fields: Sequence[tuple[str, str]], secrets: Sequence[str]) -> str:
    shown = (f"{key}={_shown(value, secrets)}" if key else _shown(value, secrets) for key, value in fields)
    return f"{_shown(head, secrets)}: {' '.join(shown)}"


def _settings_fields(settings: BaseModel) -> list[tuple[str, str]]:
    fields = []
    for key in type(settings).model_fields:
        value = to_jsonable_python(getattr(settings, key))
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
        return f"{origin}/***"
    return "***"


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _all(items: Sequence[str]) -> str:
    return ",".join(items) if items else "all"
