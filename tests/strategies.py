"""Hypothesis strategies shared by the parser property tests: JSON-like values, and
documents that are mostly well shaped with anything at all mixed in."""

from __future__ import annotations

from collections.abc import Callable

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


def field(*plausible: object) -> st.SearchStrategy:
    """Mostly a plausible value for a field, sometimes anything at all."""
    return st.one_of(st.sampled_from(plausible), st.sampled_from(plausible), JSON_VALUES)


def items(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly an array of well-shaped items, sometimes mixed with or replaced by anything."""
    return st.one_of(
        st.lists(strategy, min_size=1, max_size=3),
        st.lists(st.one_of(strategy, JSON_VALUES), max_size=3),
        JSON_VALUES,
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
