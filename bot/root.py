"""The composition root: the one place that wires the registries and the shared clients in."""

from __future__ import annotations

import httpx

from bot.config import Config, load_config
from bot.config_env import read_env
from bot.config_file import config_path
from bot.fetch import USER_AGENT
from bot.service import Service
from notifiers import DESTINATIONS
from providers import FORMATS, PRESETS

__all__ = ["DESTINATIONS", "FORMATS", "PRESETS", "delivery_client", "load", "service"]


def load(cli_path: str | None) -> Config:
    """The configuration as the command line, the environment and the files say. Raises ConfigError."""
    env = read_env()
    return load_config(config_path(cli_path, env), env, FORMATS, DESTINATIONS, PRESETS)


def delivery_client() -> httpx.AsyncClient:
    """The HTTP client notifiers share: a destination's redirect is an error, never followed."""
    return httpx.AsyncClient(timeout=30.0, follow_redirects=False, headers={"User-Agent": USER_AGENT})


def service(config: Config) -> Service:
    """The running service; it owns (and closes) the delivery client handed to it."""
    return Service(config, FORMATS, DESTINATIONS, delivery_client())
