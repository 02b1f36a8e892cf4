"""The budget of changed pages parsed at once (bot.budget): a few pages, a bounded sum of body
bytes, a page larger than the budget alone, first come first served, and cancellation that
neither leaks room nor blocks those behind."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from bot.budget import ChangeBudget


class Holder:
    """A task that holds `size` bytes of the budget until told to let go."""

    def __init__(self, budget: ChangeBudget, size: int):
        self.holding = asyncio.Event()
        self.release = asyncio.Event()
        self.task = asyncio.create_task(self._hold(budget, size))

    async def _hold(self, budget: ChangeBudget, size: int) -> None:
        async with budget.hold(size):
            self.holding.set()
            await self.release.wait()

    async def done(self) -> None:
        self.release.set()
        await self.task


async def run_ready() -> None:
    """Let every task that can run, run: no I/O or timer is involved, so a few turns of the loop
    are all it takes (no wall-clock waiting)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def line_up(budget: ChangeBudget, *sizes: int) -> list[Holder]:
    """Holders asking for these sizes, in this order, each given its chance before the next asks."""
    holders = []
    for size in sizes:
        holders.append(Holder(budget, size))
        await run_ready()
    return holders


def holding(*holders: Holder) -> list[bool]:
    return [holder.holding.is_set() for holder in holders]


async def test_small_pages_share_the_budget_until_their_bytes_fill_it() -> None:
    budget = ChangeBudget(pages=4, body_bytes=100)
    first, second, third, fourth = await line_up(budget, 30, 30, 30, 30)
    assert holding(first, second, third, fourth) == [True, True, True, False]
    await first.done()
    await asyncio.wait_for(fourth.holding.wait(), 5)
    for holder in (second, third, fourth):
        await holder.done()


async def test_a_page_larger_than_the_budget_runs_alone() -> None:
    budget = ChangeBudget(pages=4, body_bytes=100)
    small, large, after = await line_up(budget, 10, 5_000, 1)
    assert holding(small, large, after) == [True, False, False], "the large page waits for the room to empty"
    await small.done()
    await asyncio.wait_for(large.holding.wait(), 5)
    await run_ready()
    assert not after.holding.is_set(), "nothing runs beside it"
    await large.done()
    await asyncio.wait_for(after.holding.wait(), 5)
    await after.done()


async def test_first_come_first_served_a_small_page_does_not_overtake_a_waiting_large_one() -> None:
    budget = ChangeBudget(pages=4, body_bytes=100)
    first, waiting, small = await line_up(budget, 60, 60, 10)
    assert holding(first, waiting, small) == [True, False, False]
    await first.done()
    await asyncio.wait_for(small.holding.wait(), 5)
    assert waiting.holding.is_set(), "the one that came first went first"
    await waiting.done()
    await small.done()


async def test_the_number_of_pages_is_bounded_whatever_their_size() -> None:
    budget = ChangeBudget(pages=2, body_bytes=100)
    holders = await line_up(budget, 1, 1, 1)
    assert holding(*holders) == [True, True, False]
    await holders[0].done()
    await asyncio.wait_for(holders[2].holding.wait(), 5)
    for holder in holders[1:]:
        await holder.done()


async def test_a_cancelled_waiter_lets_those_behind_it_go_and_a_cancelled_holder_gives_its_room_back() -> None:
    budget = ChangeBudget(pages=4, body_bytes=100)
    first, cancelled, behind = await line_up(budget, 60, 60, 30)
    cancelled.task.cancel()
    await asyncio.wait_for(behind.holding.wait(), 5)  # 60 + 30 fit once the 60 in line is gone
    first.task.cancel()
    async with AsyncExitStack() as stack:
        await asyncio.wait_for(stack.enter_async_context(budget.hold(70)), 5)  # 30 held: 70 more fit
    await behind.done()
    await asyncio.gather(first.task, cancelled.task, return_exceptions=True)


async def test_room_given_to_a_waiter_cancelled_before_it_ran_is_given_back() -> None:
    budget = ChangeBudget(pages=1, body_bytes=100)
    async with budget.hold(10):
        [waiter] = await line_up(budget, 10)
    waiter.task.cancel()  # in the same turn as the room was given to it: it never held it
    await asyncio.gather(waiter.task, return_exceptions=True)
    assert not waiter.holding.is_set()
    after = Holder(budget, 10)
    await asyncio.wait_for(after.holding.wait(), 5)
    await after.done()
