"""Tolerant readers for untrusted JSON documents, shared by the JSON-based formats.

A status page may answer anything: an HTML error page, a truncated body, a field of the wrong
type. These helpers turn the document into plain values with safe defaults, and raise
`ParseError` (never anything else) when the document as a whole is unreadable.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.model import JSON, CutItems, Limits, ParseError, Reading, Snapshot, as_utc
from providers._json import Keep, Path, decode

# Control characters other than tab, newline and carriage return: never useful in page text,
# and a NUL would corrupt keys and log lines downstream.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# JSON may escape lone surrogates ("\ud800"), which no UTF-8 encoder (SQLite, httpx) accepts;
# json.loads has already joined the valid pairs, so any left are lone.
_SURROGATE = re.compile("[\ud800-\udfff]")

_UNDATED = datetime.min.replace(tzinfo=UTC)


def load_object(body: bytes, lists: Mapping[Path, Keep] | None = None) -> JSON:
    """The JSON object in `body`, or a ParseError that says what the body looks like instead.
    The lists at `lists`' paths are what their `Keep` kept of them (see `providers._json`)."""
    document = _load(body, lists or {})
    if not isinstance(document, dict):
        raise ParseError(f"not a JSON object: top level is {_json_type(document)}")
    return document


def load_array(body: bytes, keep: Keep | None = None) -> list[Any]:
    """The JSON array in `body` (what `keep` kept of it), or a ParseError that says what the body
    looks like instead."""
    document = _load(body, {(): keep} if keep else {})
    if not isinstance(document, list):
        raise ParseError(f"not a JSON array: top level is {_json_type(document)}")
    return document


def _load(body: bytes, lists: Mapping[Path, Keep]) -> Any:
    if not body.strip():
        raise ParseError("empty body")
    try:
        text = body.decode("utf-8-sig")
        return decode(text, lists) if lists else json.loads(text)
    # ValueError covers bad UTF-8, bad JSON and oversized integers; RecursionError deep nesting.
    except (ValueError, RecursionError):
        raise ParseError(f"not JSON: {describe(body)}") from None


def describe(body: bytes) -> str:
    """A short guess at what a non-JSON body is, naming its kind and never quoting it."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "looks like UTF-16 text"
    try:
        text = body.decode("utf-8-sig").lstrip()
    except UnicodeDecodeError:
        return "not UTF-8 text (binary data or another encoding)"
    head = text[:512].lower()
    if head.startswith("<!doctype html") or "<html" in head:
        return "looks like an HTML page"
    if head.startswith(("<?xml", "<rss", "<feed")):
        return "looks like an XML document or feed"
    if head.startswith(("{", "[")):
        return "looks like truncated or malformed JSON"
    # Named, not quoted: what a page answered is never repeated in an error (a log line, `status`).
    return f"plain text of {len(body):,} bytes"


def clean(value: str) -> str:
    """Page text made safe to store and send: no control characters, no lone surrogates."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", value))


def text(item: JSON, key: str, default: str = "") -> str:
    """A string field, cleaned; anything else (missing, null, a number) gives `default`."""
    value = item.get(key)
    return clean(value) if isinstance(value, str) else default


def ident(item: JSON, key: str = "id") -> str | None:
    """A usable identifier: a non-blank string or an integer (some formats use numbers)."""
    value = item.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return clean(value).strip() or None
    return None


def objects(item: JSON, key: str) -> list[JSON]:
    """The objects of an array field; a missing, null or mistyped array is empty."""
    value = item.get(key)
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, dict)]


def mapping(item: JSON, key: str) -> JSON:
    """An object field, or an empty one."""
    value = item.get(key)
    return value if isinstance(value, dict) else {}


def timestamp(item: JSON, key: str) -> datetime | None:
    """An ISO 8601 field as an aware UTC datetime; a missing or unreadable one is None."""
    value = item.get(key)
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value.strip()))
    # OverflowError: an offset that pushes year 1 or 9999 out of range.
    except (ValueError, OverflowError):
        return None


def chronological(items: list[JSON], key: str) -> list[JSON]:
    """Items oldest first by their timestamp field `key`; undated ones first; ties keep list order.

    Pass a newest-first list reversed, so that items of one instant keep their posting order.
    """
    return sorted(items, key=lambda item: undated_first(timestamp(item, key)))


def undated_first(moment: datetime | None) -> tuple[bool, datetime]:
    """A sort key putting unknown times before every known one."""
    return (moment is not None, moment or _UNDATED)


def numbered(keys: list[str]) -> list[str]:
    """Keys made distinct in list order: a second `k` becomes `k#2`, a third `k#3`.

    For formats whose updates have no ids and are keyed by their time, which may repeat.
    """
    counts: dict[str, int] = {}
    distinct = []
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
        distinct.append(key if counts[key] == 1 else f"{key}#{counts[key]}")
    return distinct


T = TypeVar("T")


class Caps:
    """One document's limits, as its parser applies them to each list (as it is decoded, before
    anything is built of it), and what they cut. A parser makes one for each document it reads."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._cut: dict[CutItems, int] = {}
        self._listed = 0  # incidents (or entries) the document's lists held so far
        self._kept = 0

    def incidents(self, items: Iterable[object], when: Callable[[JSON], datetime | None]) -> list[JSON]:
        """The newest objects of one list of incidents (or maintenances), in their listed order. A
        document's lists share one limit, in the order they are read."""
        kept, listed = newest(_objects(items), self.limits.incidents - self._kept, when)
        self._listed += listed
        self._kept += len(kept)
        if self._listed > self._kept:
            self._cut["incidents"] = self._listed
        return kept

    def entries(self, listed: int) -> None:
        """Account for a feed's entries, cut to the incidents' limit in its markup before parsing."""
        if listed > self.limits.incidents:
            self._cut["entries"] = listed

    def components(self, items: Iterable[object]) -> list[JSON]:
        """The first objects of a list of components."""
        kept: list[JSON] = []
        listed = 0
        for item in _objects(items):
            listed += 1
            if listed <= self.limits.components:
                kept.append(item)
        if listed > len(kept):
            self._cut["components"] = listed
        return kept

    def updates(self, oldest_first: list[T]) -> list[T]:
        """The newest updates of one incident, given and kept oldest first."""
        if len(oldest_first) <= self.limits.updates:
            return oldest_first
        self._cut["updates"] = max(self._cut.get("updates", 0), len(oldest_first))
        return oldest_first[len(oldest_first) - self.limits.updates :]

    def reading(self, snapshot: Snapshot) -> Reading:
        return Reading(snapshot, dict(self._cut))


def _objects(items: Iterable[object]) -> Iterator[JSON]:
    return (item for item in items if isinstance(item, dict))


def newest(items: Iterable[T], limit: int, when: Callable[[T], datetime | None]) -> tuple[list[T], int]:
    """At most `limit` of `items`, the newest by `when`, in their listed order, and how many were
    listed. An undated item is older than every dated one; between equals, the one listed first
    is newer (pages list the newest first). Only the kept ones are held while the rest go by."""
    kept: list[tuple[tuple[tuple[bool, datetime], int], int, T]] = []  # a heap: the oldest kept on top
    listed = 0
    for position, item in enumerate(items):
        listed += 1
        # Ranks differ (each holds its position), so items are never compared.
        rank = (undated_first(when(item)), -position)
        if len(kept) < limit:
            heapq.heappush(kept, (rank, position, item))
        elif kept and rank > kept[0][0]:
            heapq.heapreplace(kept, (rank, position, item))
    return [item for _, _, item in sorted(kept, key=lambda entry: entry[1])], listed


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a boolean" if isinstance(value, bool) else "a number"
