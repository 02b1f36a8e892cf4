"""Hypothesis strategies shared by the parser property tests: JSON-like values, and
documents that are mostly well shaped with anything at all mixed in."""

from __future__ import annotations

from hypothesis import strategies as st

JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
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
