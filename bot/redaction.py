"""Secrets in the configuration: which values are secret, and text with them taken out.

(Not `bot/secrets.py`: that name would shadow the standard library's `secrets` for a script run
from inside `bot/`.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, SecretStr

from bot.logs import SECRET_MIN_LENGTH, mask, masking_order


def strings(value: Any) -> Iterator[str]:
    """Every non-empty string inside a value (a secret may be wrapped, nested or a URL object)."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)
    elif value is not None and not isinstance(value, (bool, int, float)):
        text = str(value)
        if text:
            yield text


def secret_values(keys: Iterable[str], raw: Mapping[str, Any], settings: BaseModel) -> dict[str, frozenset[str]]:
    """Each secret key that has a value -> its value, as written and as validated (a model may
    normalise it)."""
    found = {key: frozenset([*strings(raw.get(key)), *strings(getattr(settings, key, None))]) for key in keys}
    return {key: values for key, values in found.items() if values}


def worth_hiding(values: Iterable[str]) -> list[str]:
    return [value for value in values if len(value) >= SECRET_MIN_LENGTH]


def scrub(text: str, hidden: Iterable[str]) -> str:
    """`text` with every hidden value worth hiding masked, as the log redactor does."""
    return mask(text, masking_order(hidden))
