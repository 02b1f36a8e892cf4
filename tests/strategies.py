"""Hypothesis strategies shared by the parser property tests: JSON-like values, and sample
documents with a few nodes spoiled or a few spans of bytes spliced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from bot.model import ParseError, Snapshot

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(),
    # Strings that parse half-way: empty, JSON-looking, dates with offsets and at the edge of time.
    st.sampled_from(["", "[]", "2026-03-01T10:00:00-07:00", "0001-01-01T00:00:00+01:00"]),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def parsed_or_refused(parse: Callable[[str, bytes, str], Snapshot], role: str, body: bytes,
                      base_url: str) -> Snapshot | None:
    """The property every parser keeps: any body gives a storable Snapshot or our ParseError,
    never another exception. None when the body was refused."""
    try:
        snapshot = parse(role, body, base_url)
    except ParseError:
        return None
    assert isinstance(snapshot, Snapshot)
    snapshot.model_dump_json()  # storable: every string encodes as UTF-8
    return snapshot


def _nodes(value: object, path: tuple[object, ...] = ()) -> list[tuple[tuple[object, ...], object]]:
    """Every node of a JSON value with its path (keys and indices), the value itself first."""
    found = [(path, value)]
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found.extend(_nodes(child, (*path, key)))
    return found


def _replaced(value: Any, path: tuple[object, ...], new: object, drop: bool) -> Any:
    """A copy of `value` with the node at `path` replaced by `new`, or dropped from its parent."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if drop and not rest:
        del copy[head]
    else:
        copy[head] = _replaced(copy[head], rest, new, drop)
    return copy


@st.composite
def mutated(draw: st.DrawFn, document: object) -> object:
    """A real document with a few of its nodes replaced by anything (a mistyped field, an edge
    date), by what the same key holds elsewhere (a duplicate id, another item's time), by any
    other of its nodes, or dropped."""
    nodes = _nodes(document)[1:]
    if not nodes:
        return document
    for _ in range(draw(st.integers(1, 4))):
        paths = [path for path, _ in _nodes(document)[1:]]
        if not paths:
            break
        # Items are drawn by index: sampled_from over a whole document's nodes hashes every one of
        # them for the strategy's label, on every draw.
        path = paths[draw(st.integers(0, len(paths) - 1))]
        drop = draw(st.booleans()) and draw(st.booleans())
        values = [value for _, value in nodes]
        same_key = [value for other, value in nodes if other[-1:] == path[-1:]] or values
        source = draw(st.integers(0, 2))  # anything, what the same key holds elsewhere, any other node
        if source == 0:
            new = draw(JSON_VALUES)
        else:
            pool = same_key if source == 1 else values
            new = pool[draw(st.integers(0, len(pool) - 1))]
        document = _replaced(document, path, new, drop)
    return document


# What breaks readers of JSON and XML alike when it lands in the middle of a document.
_SPLINTERS = st.sampled_from(
    [b"", b"<", b">", b"&", b"&nbsp;", b"]]>", b"<small>", b"\x00", b"\xff", b'"', b"\\", b"\\ud800",
     b"{", b"}", b"[", b"]", b",", b"\xe2\x80\x9c", b"\r\n"]
)


@st.composite
def spliced(draw: st.DrawFn, body: bytes) -> bytes:
    """A real body with a few spans cut out or replaced by splinters of markup: truncated,
    unbalanced, mis-encoded."""
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(body)))
        end = draw(st.integers(start, min(len(body), start + 64)))
        body = body[:start] + draw(st.one_of(_SPLINTERS, st.binary(max_size=8))) + body[end:]
    return body
