"""The configuration: its resolved form, and `load_config`, which validates a file or the defaults.

Every problem is a ConfigError whose message is one line, `<key path>: <problem>`, that never
contains a secret or a URL from a channel table (webhook URLs carry their token). Settings that
would do nothing are not errors: they are the configuration's `warnings`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints

from bot.config_env import env_tables, idle_variables, ignored_variables
from bot.config_file import file_tables
from bot.config_tables import Table, Tables, Where, check_keys, check_unique, unknown, validate
from bot.database import INSTALL_HINT, is_postgres, password, postgres_missing
from bot.model import AUTO_KIND, ConfigError, Destination, Format, Frozen, Preset
from bot.noise.calendar import DAY
from bot.noise.config_keys import Duration, Period, parse_clock, parse_window, time_zone
from bot.noise.settings import NoiseSettings
from bot.page_url import document_paths, page_url
from bot.redaction import SECRET_MIN_LENGTH, scrub, secret_values, strings
from bot.state import BUSY_TIMEOUT

Impact = Literal["none", "minor", "major", "critical"]  # the order of bot.model.IMPACTS
FirstRun = Literal["active", "all", "none"]
EventFamily = Literal["incident", "component", "maintenance"]
EVENT_FAMILIES: tuple[EventFamily, ...] = get_args(EventFamily)


def _not_bool(value: Any) -> Any:
    # pydantic's lax mode reads true as 1, which hides a mistake like `interval = true`.
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


def _only_bool(value: Any) -> Any:
    # pydantic's lax mode reads "yes", "off" and 1 as booleans; a setting that switches
    # something on or off is written true or false.
    if isinstance(value, str) and value.lower() in ("true", "false"):
        # Not "must be true or false": validate() masks the value where the problem repeats it.
        raise ValueError("must be a boolean, written without quotes")
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


Seconds = Annotated[float, BeforeValidator(_not_bool), Field(gt=0, allow_inf_nan=False)]
Switch = Annotated[bool, BeforeValidator(_only_bool)]
Count = Annotated[int, BeforeValidator(_not_bool), Field(gt=0)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# A bearer token (RFC 6750's b64token, which also goes into a ?token= link unescaped), long
# enough that guessing it is hopeless.
HTTP_TOKEN_MIN_LENGTH = 16
_B64TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")


def _http_token(value: str) -> str:
    if len(value) < HTTP_TOKEN_MIN_LENGTH or not _B64TOKEN.fullmatch(value):
        raise ValueError(f"must be at least {HTTP_TOKEN_MIN_LENGTH} characters of letters, digits and -._~+/ "
                         "(e.g. the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
    return value


HttpToken = Annotated[str, AfterValidator(_http_token)]


def _host_port(value: str) -> str:
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError('must be "host:port", e.g. "127.0.0.1:9108"')
    return value


HostPort = Annotated[str, AfterValidator(_host_port)]

T = TypeVar("T")
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
    lock_timeout: Seconds = BUSY_TIMEOUT  # seconds a database write waits for another process's lock
    # This bot's name among replicas sharing a PostgreSQL database (logs, `status`, /metrics);
    # unset: its host and process id.
    replica: Name | None = None
    http: HostPort | None = None  # where to serve the board, its feeds, /healthz and /metrics; off when unset
    http_token: HttpToken | None = None  # when set, every path but /healthz asks for it (a secret)
    # What one page may cost: events announced per poll (the rest become one summary event), and
    # items read per document (beyond these a page is cut, and the cut logged).
    max_events_per_poll: Count = 25
    max_incidents: Count = 500  # incidents and maintenances per document, newest kept
    max_components: Count = 1000  # per document
    max_updates: Count = 100  # per incident, newest kept


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    title: str  # display name
    kind: str
    url: str  # a page's base URL (a pasted document path taken off), or a feed's own URL
    interval: float
    components: tuple[str, ...] = ()  # empty: all
    secret_keys: frozenset[str] = frozenset()  # keys whose values came from ${VAR}: `check` hides them


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
    noise: NoiseSettings  # flap hold, grouping, quiet hours, digests, reminders (bot.noise)
    groups_by_default: bool  # the destination's default of noise.group (`check` shows a change of it)
    secret_keys: frozenset[str] = frozenset()  # the destination's secret keys set, and keys from ${VAR}


@dataclass(frozen=True)
class Config:
    bot: BotSettings
    providers: tuple[ProviderConfig, ...]
    channels: tuple[ChannelConfig, ...]
    source: str  # the file path, or the built-in defaults
    # Every value of a secret key and every value from the environment: no log, error, message or
    # `check` shows one (the log masker leaves those under SECRET_MIN_LENGTH characters alone).
    secrets: frozenset[str] = frozenset()
    warnings: tuple[str, ...] = ()  # settings that do nothing or hide nothing, one line each, naming the key
    bot_secret_keys: frozenset[str] = frozenset()  # [bot] keys whose values came from ${VAR}
    literal_secrets: tuple[str, ...] = ()  # secret keys the file gives a value itself (not ${VAR}), as key paths


def load_config(
    path: Path | None,
    env: Env,
    formats: Formats,
    destinations: Destinations,
    presets: Presets,
) -> Config:
    """The validated configuration from `path`, or the built-in defaults when `path` is None."""
    if path is None:
        tables = env_tables(env, destinations, presets)
        warnings = idle_variables(env, destinations)
    else:
        tables = file_tables(path, env)
        warnings = ignored_variables(env, destinations, tables.variables)
    hidden = tables.bot.secrets.union(*(t.secrets for t in tables.providers),
                                      *(_sensitive(t, destinations) for t in tables.channels))
    try:
        return _resolve(tables, formats, destinations, presets, warnings)
    except ConfigError as exc:
        message = scrub(str(exc), hidden)
    # Raised outside the except block, so the unscrubbed error is not kept as its context.
    raise ConfigError(message)


def _resolve(
    tables: Tables, formats: Formats, destinations: Destinations, presets: Presets, warnings: list[str]
) -> Config:
    check_keys(tables.bot.values, BotSettings.model_fields, tables.bot.where)
    bot = validate(BotSettings, tables.bot.values, tables.bot.where)
    if is_postgres(bot.database) and postgres_missing():
        raise ConfigError(f"{tables.bot.where.key('database')}: {INSTALL_HINT}")
    bot_secret_keys = frozenset(tables.bot.from_env)
    if bot.http_token and not bot.http:
        warnings.append(f"{tables.bot.where.key('http_token')}: ignored: [bot] http is not set, so nothing is served")
    providers = _providers(tables.providers, bot, bot_secret_keys, formats, presets, warnings)
    built = _channels(tables.channels, [p.name for p in providers], destinations, warnings)
    # Where each table is, and its secrets by key.
    secrets = [(tables.bot.where, tables.bot.from_env), *((t.where, t.from_env) for t in tables.providers),
               *((t.where, found) for t, (_, found) in zip(tables.channels, built))]
    warnings += [warning for where, found in secrets for warning in _short_secrets(where, found)]
    return Config(
        bot=bot,
        providers=providers,
        channels=tuple(channel for channel, _ in built),
        source=tables.source,
        secrets=frozenset[str]().union(*(values for _, found in secrets for values in found.values()),
                                       filter(None, [password(bot.database), bot.http_token])),
        warnings=tuple(warnings),
        bot_secret_keys=bot_secret_keys,
        literal_secrets=tuple(
            table.where.key(key)
            for table, (channel, _) in zip(tables.channels, built)
            for key in sorted(channel.secret_keys - table.from_env.keys())
        ),
    )


def _short_secrets(where: Where, secrets: Mapping[str, frozenset[str]]) -> list[str]:
    """A warning for each key holding a secret too short to be one; it never shows the value."""
    return [
        f"{where.key(key)}: the value is under {SECRET_MIN_LENGTH} characters, too short to be a secret; "
        "logs do not mask it"
        for key, values in secrets.items()
        if any(len(value) < SECRET_MIN_LENGTH for value in values)
    ]


# ---------------------------------------------------------------- providers


class ProviderTable(Frozen):
    """The keys of a `[[providers]]` table."""

    name: Name
    title: Name | None = None
    kind: Name | None = None
    url: Name | None = None
    interval: Seconds | None = None
    components: tuple[str, ...] = ()


def _providers(
    tables: Sequence[Table],
    bot: BotSettings,
    bot_secret_keys: frozenset[str],
    formats: Formats,
    presets: Presets,
    warnings: list[str],
) -> tuple[ProviderConfig, ...]:
    if not tables:
        raise ConfigError("providers: none configured; add a [[providers]] table")
    paths = document_paths(formats)
    providers = tuple(_provider(table, bot, bot_secret_keys, formats, presets, paths, warnings) for table in tables)
    check_unique([(p.name, t.where) for p, t in zip(providers, tables)], "provider")
    return providers


def _provider(
    table: Table,
    bot: BotSettings,
    bot_secret_keys: frozenset[str],
    formats: Formats,
    presets: Presets,
    paths: Mapping[str, frozenset[str]],
    warnings: list[str],
) -> ProviderConfig:
    """A preset (kind and url from the catalog, url overridable), or a page of one's own: its url,
    and its kind or "auto" (the default), detected at the first poll."""
    where = table.where
    check_keys(table.values, ProviderTable.model_fields, where)
    raw = validate(ProviderTable, table.values, where)
    preset = None if raw.kind else presets.get(raw.name)
    url: str | None
    if preset is not None:
        kind, url = preset.kind, raw.url or preset.url
    elif raw.url is not None:
        kind, url = raw.kind or AUTO_KIND, raw.url
    elif raw.kind is not None:
        raise ConfigError(f"{where.key('url')}: missing; a page of your own needs its url")
    else:
        known = unknown("preset", raw.name, presets)
        raise ConfigError(f"{where.key('name')}: {known} (or set url for a page of your own)")
    if kind not in formats and kind != AUTO_KIND:
        raise ConfigError(f"{where.key('kind')}: {unknown('kind', str(kind), [*formats, AUTO_KIND])}")
    page = page_url(url, kind, paths, where.key("url"), table.from_env.get("url"))
    if page.warning:
        warnings.append(page.warning)
    # A value taken from a key set through ${VAR} is as secret as that key.
    inherited = {
        "interval": raw.interval is None and "interval" in bot_secret_keys,
        "title": raw.title is None and preset is None and "name" in table.from_env,
    }
    return ProviderConfig(
        name=raw.name,
        title=raw.title or (preset.title if preset else raw.name),
        kind=kind,
        url=page.url,
        interval=raw.interval or bot.interval,
        components=raw.components,
        secret_keys=frozenset(table.from_env).union(key for key, inherits in inherited.items() if inherits),
    )


# ---------------------------------------------------------------- channels


class ChannelTable(Frozen):
    """The keys every channel has; the rest of a `[[channels]]` table is the destination's."""

    name: Name
    type: Name
    providers: tuple[str, ...] = ()
    min_impact: Impact = "none"
    events: Annotated[tuple[EventFamily, ...], Field(min_length=1)] = EVENT_FAMILIES
    components: tuple[str, ...] = ()
    mention: str | None = None  # the channel's own ping, e.g. "<!here>"; never taken from page text
    mention_min_impact: Impact = "major"
    # Noise control, as written; `_noise` resolves them into the channel's NoiseSettings. The times
    # and the zone are read there, not here: the problems name examples ("22:00-07:00") that a typo
    # may be part of, which validate() would mask as a possible echo of the value.
    hold: Duration | None = None
    hold_incidents_below: Impact = "none"
    group: Switch | None = None  # unset: the destination's default
    quiet_hours: str | None = None
    timezone: Name = "UTC"
    quiet_min_impact: Impact = "major"
    quiet_drop_resolved: Switch = False
    mode: Literal["each", "digest"] = "each"
    digest_every: Period | None = None  # unset: a day
    digest_at: str | None = None
    remind_every: Duration | None = None


_NOISE_KEYS = frozenset(field.name for field in fields(NoiseSettings))  # the same names in ChannelTable


_Secrets = dict[str, frozenset[str]]  # a table's secrets by key


def _channels(
    tables: Sequence[Table], providers: Sequence[str], destinations: Destinations, warnings: list[str]
) -> list[tuple[ChannelConfig, _Secrets]]:
    """Each channel, with its secrets."""
    if not tables:
        raise ConfigError('channels: none configured; add a [[channels]] table (type = "console" logs)')
    built = [_channel(table, providers, destinations, warnings) for table in tables]
    check_unique([(c.name, t.where) for (c, _), t in zip(built, tables)], "channel")
    return built


def _channel(
    table: Table, providers: Sequence[str], destinations: Destinations, warnings: list[str]
) -> tuple[ChannelConfig, _Secrets]:
    where, values = table.where, table.values
    destination = _destination(values, where, destinations)
    common_keys = ChannelTable.model_fields
    check_keys(values, [*common_keys, *_field_names(destination.settings)], where)
    common = validate(ChannelTable, {k: v for k, v in values.items() if k in common_keys}, where)
    for index, name in enumerate(common.providers):
        if name not in providers:
            raise ConfigError(f"{where.key('providers', index)}: {unknown('provider', name, providers)}")
    if "mention_min_impact" in values and not common.mention:
        warnings.append(f"{where.key('mention_min_impact')}: ignored: the channel sets no mention")
    if common.mention and not destination.mentions:
        warnings.append(f"{where.key('mention')}: ignored: a {destination.type} channel cannot ping anyone")
    noise = _noise(common, destination, where)
    warnings += _idle_noise_keys(common, where)
    rest = {k: v for k, v in values.items() if k not in common_keys}
    settings = validate(destination.settings, rest, where)
    secrets = dict(table.from_env)
    for key, found in secret_values(destination.secret_keys, rest, settings).items():
        secrets[key] = secrets.get(key, frozenset()) | found
    channel = ChannelConfig(**_filters(common), settings=settings, noise=noise, groups_by_default=destination.groups,
                            secret_keys=frozenset(secrets))
    return channel, secrets


def channel_with_defaults(name: str, destination: Destination, settings: BaseModel | None = None) -> ChannelConfig:
    """A channel whose common keys are all at their defaults, as in a table that sets none; its
    settings are the destination's defaults unless given."""
    table = ChannelTable(name=name, type=destination.type)
    return ChannelConfig(**_filters(table), settings=settings or destination.settings(),
                         noise=NoiseSettings(group=destination.groups), groups_by_default=destination.groups)


def _filters(table: ChannelTable) -> dict[str, Any]:
    """The common keys but the noise keys: ChannelConfig's fields of the same names."""
    return {key: value for key, value in table if key not in _NOISE_KEYS}


def _noise(table: ChannelTable, destination: Destination, where: Where) -> NoiseSettings:
    def read(key: str, parse: Callable[[str], T]) -> T:
        try:
            return parse(getattr(table, key))
        except ValueError as exc:
            raise ConfigError(f"{where.key(key)}: {exc}") from None

    return NoiseSettings(
        hold=table.hold,
        hold_incidents_below=table.hold_incidents_below,
        group=destination.groups if table.group is None else table.group,
        quiet_hours=None if table.quiet_hours is None else read("quiet_hours", parse_window),
        timezone=read("timezone", time_zone),
        quiet_min_impact=table.quiet_min_impact,
        quiet_drop_resolved=table.quiet_drop_resolved,
        mode=table.mode,
        digest_every=DAY if table.digest_every is None else table.digest_every,
        digest_at=None if table.digest_at is None else read("digest_at", parse_clock),
        remind_every=table.remind_every,
    )


def _idle_noise_keys(table: ChannelTable, where: Where) -> list[str]:
    """A warning for each noise key set where it does nothing."""
    digest = table.mode == "digest"
    idle = {
        "hold_incidents_below": (table.hold is None, "the channel sets no hold"),
        "quiet_min_impact": (table.quiet_hours is None, "the channel sets no quiet_hours"),
        "quiet_drop_resolved": (table.quiet_hours is None, "the channel sets no quiet_hours"),
        "digest_every": (not digest, 'the channel\'s mode is not "digest"'),
        "digest_at": (not digest, 'the channel\'s mode is not "digest"'),
        "remind_every": (digest, "a digest channel gets nothing between digests"),
        # Periods of a digest start at digest_at, or midnight, in the zone.
        "timezone": (table.quiet_hours is None and not digest, "the channel sets neither quiet_hours nor a digest"),
    }
    return [f"{where.key(key)}: ignored: {why}" for key, (unused, why) in idle.items()
            if unused and key in table.model_fields_set]


def _destination(values: Mapping[str, Any], where: Where, destinations: Destinations) -> Destination:
    kind = values.get("type")
    if kind is None:
        known = ", ".join(sorted(destinations))
        raise ConfigError(f"{where.key('type')}: missing; known types: {known}")
    if not isinstance(kind, str):
        raise ConfigError(f"{where.key('type')}: must be a string")
    if kind not in destinations:
        raise ConfigError(f"{where.key('type')}: {unknown('channel type', kind, destinations)}")
    return destinations[kind]


def _field_names(model: type[BaseModel]) -> list[str]:
    return [name for key, info in model.model_fields.items() for name in (key, info.alias) if name]


def _sensitive(table: Table, destinations: Destinations) -> set[str]:
    """What an error about `table` must not show: its secrets and every URL in it."""
    kind = table.values.get("type")
    destination = destinations.get(kind) if isinstance(kind, str) else None
    secret_keys = destination.secret_keys if destination else ()
    hidden = set(table.secrets)
    for key, value in table.values.items():
        hidden.update(s for s in strings(value) if key in secret_keys or "://" in s)
    return hidden
