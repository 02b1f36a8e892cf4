"""The composition root: the one place that wires the provider and notifier registries in."""

from __future__ import annotations

from bot.config import Config, config_path, load_config, read_env
from bot.service import Service
from notifiers import DESTINATIONS
from providers import FORMATS, PRESETS

__all__ = ["DESTINATIONS", "FORMATS", "PRESETS", "load", "service"]


def load(cli_path: str | None) -> Config:
    """The configuration as the command line, the environment and the files say. Raises ConfigError."""
    env = read_env()
    return load_config(config_path(cli_path, env), env, FORMATS, DESTINATIONS, PRESETS)


def service(config: Config) -> Service:
    return Service(config, FORMATS, DESTINATIONS)
