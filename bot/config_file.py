"""The configuration file: where it is, its TOML, and `${VAR}` substituted from the environment."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config_tables import Table, Tables, Where, check_keys
from bot.model import ConfigError

DEFAULT_FILE = Path("statusbot.toml")
CONFIG_VARIABLE = "STATUSBOT_CONFIG"
SECTIONS = ("bot", "providers", "channels")

Env = Mapping[str, str]


def config_path(cli_path: str | None, env: Env) -> Path | None:
    """--config, else $STATUSBOT_CONFIG, else ./statusbot.toml if present, else None (defaults)."""
    for origin, value in (("--config", cli_path), (CONFIG_VARIABLE, env.get(CONFIG_VARIABLE))):
        if value:
            path = Path(value)
            if not path.is_file():
                problem = "not a file" if path.exists() else "file not found"
                raise ConfigError(f"{origin}: {problem}: {value}")
            return path
    return DEFAULT_FILE if DEFAULT_FILE.is_file() else None


def file_tables(path: Path, env: Env) -> Tables:
    document = _read_toml(path)
    check_keys(document, SECTIONS, Where(""))
    bot = document.get("bot", {})
    if not isinstance(bot, dict):
        raise ConfigError("bot: expected a table ([bot])")
    substitution = _Substitution(env)
    return Tables(
        source=str(path),
        bot=substitution.table(bot, Where("bot")),
        providers=_array(document, "providers", substitution),
        channels=_array(document, "channels", substitution),
        variables=frozenset(substitution.names),
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


def _array(document: Mapping[str, Any], section: str, substitution: _Substitution) -> list[Table]:
    items = document.get(section, [])
    if not isinstance(items, list):
        raise ConfigError(f"{section}: expected an array of tables ([[{section}]])")
    tables = []
    for index, item in enumerate(items):
        where = _item_where(section, index, item)
        if not isinstance(item, dict):
            raise ConfigError(f"{where.prefix}: expected a table ([[{section}]])")
        tables.append(substitution.table(item, where))
    return tables


def _item_where(section: str, index: int, item: Any) -> Where:
    name = item.get("name") if isinstance(item, dict) else None
    label = f" ({name})" if isinstance(name, str) and name else ""
    return Where(f"{section}[{index}]{label}")


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class _Substitution:
    """Replaces ${VAR} in every string of a table; remembers which variables the file names."""

    env: Env
    names: set[str] = field(default_factory=set)

    def table(self, values: dict[str, Any], where: Where) -> Table:
        substituted, from_env = {}, {}
        for key, value in values.items():
            found: set[str] = set()
            substituted[key] = self._substitute(value, where.key(key), found)
            if found:
                from_env[key] = frozenset(found)
        return Table(substituted, where, from_env)

    def _substitute(self, value: Any, path: str, found: set[str]) -> Any:
        """`value` with ${VAR} replaced in every string inside it; adds the values used to `found`."""
        if isinstance(value, str):
            return _VARIABLE.sub(lambda match: self._variable(match.group(1), path, found), value)
        if isinstance(value, list):
            return [self._substitute(item, f"{path}[{i}]", found) for i, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: self._substitute(item, f"{path}.{key}", found) for key, item in value.items()}
        return value

    def _variable(self, name: str, path: str, found: set[str]) -> str:
        if name not in self.env:
            raise ConfigError(f"{path}: environment variable {name} is not set")
        self.names.add(name)
        value = self.env[name]
        if value:
            found.add(value)
        return value
