"""The longest cut of a text that fits a limit, however the destination measures it (characters
after escaping for Slack, bytes of JSON for webhooks)."""

from __future__ import annotations

from collections.abc import Callable

from bot.text import truncate


def longest_cut(text: str, limit: int, size: Callable[[str], int]) -> str:
    """The longest `truncate` of `text` whose `size` is at most `limit`; '' when none is.

    A cut is measured, never the whole text: a megabyte input costs one cut of `limit`
    characters (every character measures at least 1), then a few shrinking steps."""
    budget = limit
    while budget > 0:
        cut = truncate(text, budget)
        measured = size(cut)
        if measured <= limit:
            return cut
        budget = min(budget - 1, budget * limit // measured)  # shrink by how much measuring grew it
    return ""
