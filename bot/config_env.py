"""The environment: `.env`, the built-in defaults it configures, and variables that do nothing.

Without a configuration file the environment is the configuration: `STATUSBOT_*` variables set
`[bot]` keys and the presets, and each destination declares the channels its variables add
(`Destination.from_env`). An empty variable counts as unset: a copied .env.example leaves them empty.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path

from dotenv import dotenv_values

from bot.config_tables import Table, Tables, Where, unknown
from bot.model import ConfigError, Destination, EnvChannel, Preset

DEFAULTS_SOURCE = "built-in defaults"
DOTENV = Path(".env")  # in the working directory
DEFAULT_PRESET = "openai"
PROVIDERS_VARIABLE = "STATUSBOT_PROVIDERS"
BOT_VARIABLES = {  # [bot] key -> variable
    "database": "STATUSBOT_DATABASE",
    "interval": "STATUSBOT_INTERVAL",
    "first_run": "STATUSBOT_FIRST_RUN",
    "http": "STATUSBOT_HTTP",
    "http_token": "STATUSBOT_HTTP_TOKEN",
    "replica": "STATUSBOT_REPLICA",
}

Env = Mapping[str, str]
Destinations = Mapping[str, Destination]


def read_env(dotenv_path: Path = DOTENV) -> dict[str, str]:
    """The .env file's values (absent file: none) overlaid by the process environment."""
    values = {key: value for key, value in dotenv_values(dotenv_path).items() if value is not None}
    return {**values, **os.environ}


def env_channels(destinations: Destinations) -> Iterator[tuple[str, EnvChannel]]:
    """(type, channel) for every channel the environment can add, in registry order."""
    for destination in destinations.values():
        for channel in destination.from_env:
            yield destination.type, channel


def env_tables(env: Env, destinations: Destinations, presets: Mapping[str, Preset]) -> Tables:
    """The built-in defaults: the presets of STATUSBOT_PROVIDERS (else openai), and the channels
    of the destinations whose variables are set."""
    bot = {key: env[var] for key, var in BOT_VARIABLES.items() if env.get(var)}
    names = _presets(env, presets)
    channels: list[Table] = []
    for kind, spec in env_channels(destinations):
        if spec.trigger is None or env.get(spec.trigger):
            channels.append(_channel_table(kind, spec, len(channels), env))
    return Tables(
        source=DEFAULTS_SOURCE,
        bot=Table(bot, Where("bot", BOT_VARIABLES)),
        providers=[Table({"name": n}, Where(f"providers[{i}] ({n})")) for i, n in enumerate(names)],
        channels=channels,
    )


def _presets(env: Env, presets: Mapping[str, Preset]) -> list[str]:
    listed = [name.strip() for name in env.get(PROVIDERS_VARIABLE, "").split(",") if name.strip()]
    for name in listed:
        if name not in presets:
            raise ConfigError(f"{PROVIDERS_VARIABLE}: {unknown('preset', name, presets)}")
    return list(dict.fromkeys(listed)) or [DEFAULT_PRESET]


def _channel_table(kind: str, spec: EnvChannel, index: int, env: Env) -> Table:
    for var in spec.variables.values():
        if not env.get(var) and var not in spec.optional:
            raise ConfigError(f"{var}: not set (needed with {spec.trigger})")
    settings = {key: env[var] for key, var in spec.variables.items() if env.get(var)}
    return Table(
        {"name": spec.name, "type": kind, **settings},
        Where(f"channels[{index}] ({spec.name})", spec.variables),
        {key: frozenset({value}) for key, value in settings.items()},  # every one a secret here
    )


def idle_variables(env: Env, destinations: Destinations) -> list[str]:
    """Warnings for the built-in defaults: a channel's variables set while the one that adds the
    channel is not (SLACK_CHANNEL without SLACK_BOT_TOKEN), which therefore do nothing."""
    warnings = []
    for _, spec in env_channels(destinations):
        if spec.trigger is None or env.get(spec.trigger):
            continue
        for var in spec.variables.values():
            if env.get(var) and var != spec.trigger:
                warnings.append(f"{var}: ignored: the channel {spec.name} is added only when {spec.trigger} is set")
    return warnings


def ignored_variables(env: Env, destinations: Destinations, named: frozenset[str]) -> list[str]:
    """Warnings for a configuration file: STATUSBOT_PROVIDERS and the destinations' variables,
    set but not named in the file as ${VAR}, which therefore do nothing. The [bot] variables are
    left out: the Docker image sets two of them for its defaults, whatever the operator does."""
    channel_variables = [var for _, spec in env_channels(destinations) for var in spec.variables.values()]
    return [
        f"{var}: ignored: a configuration file is used, and it does not name ${{{var}}}"
        for var in [PROVIDERS_VARIABLE, *channel_variables]
        if env.get(var) and var not in named
    ]


def open_secret_files(
    config_file: Path | None, literal_secrets: Sequence[str], secrets: Collection[str], dotenv_path: Path = DOTENV
) -> list[str]:
    """Warnings for files that hold a secret and that group or others may open: the configuration
    file when it gives a secret key its value itself, and .env when one of its values is a secret."""
    held: list[tuple[Path, str]] = []
    if config_file is not None and literal_secrets:
        held.append((config_file, f"a secret ({', '.join(literal_secrets)})"))
    supplied = [name for name, value in dotenv_values(dotenv_path).items() if value and value in secrets]
    if supplied:
        held.append((dotenv_path, f"secrets ({', '.join(supplied)})"))
    return [warning for path, what in held if (warning := _open_to_others(path, what))]


def _open_to_others(path: Path, what: str) -> str | None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return f"{path}: holds {what} and is open to group or others (mode {mode:04o}): chmod 600 {path}"
