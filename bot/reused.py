"""A result reused for a while, with callers meanwhile sharing one computation of it.

The endpoint's health check and its board are each asked for by any number of clients: a flood of
requests must cost one database check or one board every few seconds, not one each.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from bot.clock import Clock

T = TypeVar("T")


class Reused(Generic[T]):
    """`compute()`'s last result, reused for `keep(result)` seconds of `clock`. A computation that
    raises is not kept: the next caller computes again."""

    def __init__(self, compute: Callable[[], Awaitable[T]], clock: Clock, keep: Callable[[T], float]):
        self.compute = compute
        self.clock = clock
        self.keep = keep
        self._kept: tuple[T] | None = None  # a tuple: None is a result like any other
        self._until = -math.inf
        self._running: asyncio.Future[T] | None = None

    async def __call__(self) -> T:
        if self._kept is not None and self.clock.now() < self._until:
            return self._kept[0]
        if self._running is None:
            self._running = asyncio.ensure_future(self._refresh())
        # Shielded: a client that goes away must not cancel the computation the others wait for.
        return await asyncio.shield(self._running)

    async def _refresh(self) -> T:
        try:
            result = await self.compute()
        finally:
            self._running = None
        self._kept = (result,)
        self._until = self.clock.now() + self.keep(result)
        return result
