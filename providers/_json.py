"""Decoding a JSON document whose lists may be huge, keeping only the items a parser will read.

`json.loads` builds the whole document at once: 4.3 MB of small incidents is 25 MB of Python
objects, made in one C call that holds the GIL, and so stalls the event loop, for a tenth of a
second. Here each list a parser names by its path is decoded one item at a time and handed to
that parser's `Keep`, which keeps what it wants (the newest few hundred) as the rest goes by;
every other value is decoded by `json` as usual.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Path = tuple[str, ...]  # object keys from the top: ("result", "incidents")
Keep = Callable[[Iterator[Any]], list[Any]]  # a list's items, as decoded -> those kept

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def decode(text: str, lists: Mapping[Path, Keep]) -> Any:
    """The JSON value in `text`, the lists at `lists`' paths each replaced by what their `Keep`
    returned. Raises ValueError (or RecursionError) where json.loads would."""
    try:
        value, end = _value(text, _skip(text, 0), (), lists)
    except IndexError:  # the text ended inside a value
        raise ValueError("unexpected end of JSON") from None
    if _skip(text, end) != len(text):
        raise ValueError(f"extra data after the JSON value at {end}")
    return value


def _skip(text: str, position: int) -> int:
    match = _SPACE.match(text, position)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _value(text: str, position: int, path: Path, lists: Mapping[Path, Keep]) -> tuple[Any, int]:
    first = text[position]
    if first == "[" and path in lists:
        items = _Items(text, position)
        kept = lists[path](items)
        items.drain()  # a Keep may stop early: the list's end is still to be found
        return kept, items.end
    if first == "{" and any(len(listed) > len(path) and listed[: len(path)] == path for listed in lists):
        return _object(text, position, path, lists)
    return _DECODER.raw_decode(text, position)


def _object(text: str, position: int, path: Path, lists: Mapping[Path, Keep]) -> tuple[dict[str, Any], int]:
    """An object on the way to a named list: its members decoded one by one."""
    members: dict[str, Any] = {}
    position = _skip(text, position + 1)
    if text[position] == "}":
        return members, position + 1
    while True:
        if text[position] != '"':
            raise ValueError(f"expected a member name at {position}")
        key, position = _DECODER.raw_decode(text, position)
        position = _skip(text, position)
        if text[position] != ":":
            raise ValueError(f"expected ':' at {position}")
        members[key], position = _value(text, _skip(text, position + 1), (*path, key), lists)
        position = _skip(text, position)
        if text[position] == "}":
            return members, position + 1
        if text[position] != ",":
            raise ValueError(f"expected ',' or '}}' at {position}")
        position = _skip(text, position + 1)


class _Items(Iterator[Any]):
    """The items of the list at `position`, decoded as they are asked for; `end` is where the list
    ends, once they have all been."""

    def __init__(self, text: str, position: int):
        self.text = text
        self.end = -1
        self._position = _skip(text, position + 1)
        if text[self._position] == "]":
            self.end = self._position + 1

    def __next__(self) -> Any:
        if self.end >= 0:
            raise StopIteration
        text = self.text
        item, position = _DECODER.raw_decode(text, self._position)
        position = _skip(text, position)
        if text[position] == "]":
            self.end = position + 1
        elif text[position] == ",":
            self._position = _skip(text, position + 1)
        else:
            raise ValueError(f"expected ',' or ']' at {position}")
        return item

    def drain(self) -> None:
        for _ in self:
            pass
