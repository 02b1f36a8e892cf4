"""The JSON decoder that reads a document's named lists one item at a time (providers._json):
it gives what json.loads gives, refuses what json.loads refuses, and holds only what a list's
Keep kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers._json import Path, decode
from tests.strategies import JSON_VALUES

# The paths the formats name, and the top level (gcp, Slack's history).
PATHS: list[Path] = [(), ("incidents",), ("result", "maintenance", "active")]


def placed(value: Any, path: Path) -> Any:
    """`value` at `path` in an otherwise empty document."""
    for key in reversed(path):
        value = {"before": 1, key: value, "after": [2]}
    return value


def same(left: Any, right: Any) -> bool:
    return json.dumps(left) == json.dumps(right)  # NaN is not equal to itself, its text is


@given(JSON_VALUES, st.sampled_from(PATHS), st.sampled_from([None, 0, 2]))
def test_decodes_what_json_decodes(value: Any, path: Path, indent: int | None) -> None:
    text = json.dumps(placed(value, path), indent=indent)
    assert same(decode(text, {path: list}), json.loads(text))


@given(st.lists(JSON_VALUES, max_size=6), st.sampled_from(PATHS))
def test_a_named_list_becomes_what_its_keep_returns(items: list[Any], path: Path) -> None:
    seen: list[Any] = []

    def keep(listed: Iterator[Any]) -> list[Any]:
        seen.extend(listed)
        return ["kept"]

    decoded = decode(json.dumps(placed(items, path)), {path: keep})
    assert same(seen, items)
    assert decoded == placed(["kept"], path)


def test_a_keep_that_stops_early_still_ends_the_list_where_it_ends() -> None:
    text = '{"incidents": [1, 2, [3, 4], {"a": [5]}], "after": "x"}'
    assert decode(text, {("incidents",): lambda items: [next(items)]}) == {"incidents": [1], "after": "x"}


def test_a_named_path_holding_no_list_is_decoded_as_it_is() -> None:
    text = '{"incidents": {"a": 1}, "result": 3}'
    assert decode(text, {("incidents",): lambda items: [], ("result", "status"): lambda items: []}) == json.loads(text)


@given(JSON_VALUES, st.sampled_from(PATHS), st.data())
def test_refuses_what_json_refuses(value: Any, path: Path, data: st.DataObject) -> None:
    text = json.dumps(placed(value, path))
    broken = text[: data.draw(st.integers(0, len(text) - 1))] + data.draw(st.sampled_from(["", "]", "}", ",", "x"]))
    try:
        expected = json.loads(broken)
    except ValueError:
        with pytest.raises(ValueError):
            decode(broken, {path: list})
    else:
        assert same(decode(broken, {path: list}), expected)


@pytest.mark.parametrize("text", ['{"incidents": [1 2]}', '{"incidents": [1,]}', '{"incidents" 1}', "{1: 2}",
                                  '{"a": 1,}', '{"incidents": [1]} []', '{"incidents": ['])
def test_malformed_documents_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        decode(text, {("incidents",): list})
