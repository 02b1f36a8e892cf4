"""Raw configuration tables, where each came from, and the one-line errors that name their keys.

Every problem is a ConfigError whose message is one line, `<key path>: <problem>`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.model import ConfigError
from bot.redaction import scrub
from bot.text import one_line


@dataclass(frozen=True)
class Where:
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
class Table:
    values: dict[str, Any]
    where: Where
    # key -> the non-empty strings the environment put in its value (through ${VAR}, or whole)
    from_env: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def secrets(self) -> frozenset[str]:
        """Every string in the table that came from the environment: each is a secret."""
        return frozenset[str]().union(*self.from_env.values())


@dataclass(frozen=True)
class Tables:
    """The raw configuration, from a file or from the environment, before validation."""

    source: str
    bot: Table
    providers: list[Table]
    channels: list[Table]
    variables: frozenset[str] = frozenset()  # the environment variables a file names in ${VAR}


M = TypeVar("M", bound=BaseModel)

_PROBLEMS = {"missing": "required key is missing", "extra_forbidden": "unknown key"}


def validate(model: type[M], values: Mapping[str, Any], where: Where) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        message = _first_error(exc, where)
    # Raised outside the except block: the ValidationError quotes input values, keep it out.
    raise ConfigError(message)


def _first_error(exc: ValidationError, where: Where) -> str:
    error = exc.errors(include_url=False)[0]
    cause = error.get("ctx", {}).get("error") if error["type"] == "value_error" else None
    # A validator's own words, without pydantic's "Value error, " prefix.
    problem = str(cause) if cause else _PROBLEMS.get(error["type"], error["msg"])
    if isinstance(error.get("input"), str):
        problem = scrub(problem, [error["input"]])
    return f"{where.key(*error['loc'])}: {one_line(problem)}"


def check_keys(values: Mapping[str, Any], allowed: Iterable[str], where: Where) -> None:
    allowed = sorted(set(allowed))
    for key in values:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(allowed)}"
            raise ConfigError(f"{where.key(key)}: unknown key; {hint}")


def unknown(what: str, value: str, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown {what} {value!r}; {hint}known: {', '.join(known) or 'none'}"


def check_unique(items: Sequence[tuple[str, Where]], what: str) -> None:
    first: dict[str, str] = {}
    for name, where in items:
        if name in first:
            problem = f"duplicate {what} name {name!r} (also {first[name]})"
            raise ConfigError(f"{where.key('name')}: {problem}")
        first[name] = where.prefix
