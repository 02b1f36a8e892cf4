"""Wait for a condition that something else (a bot process, a server thread, a task) makes true.

The one polling loop of the tests: `eventually(check)` in plain code, `await eventually_async(check)`
in a coroutine (which leaves the event loop free meanwhile). Both return what `check` returned,
so a test can wait for a value and use it; on timeout they fail naming what never happened.
Waiting for a condition is the only use: a test never sleeps to prove that nothing happens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

TIMEOUT = 30.0  # generous: a loaded 2-core machine may take seconds to start a bot process
PERIOD = 0.02  # between checks: short, since every check is cheap


class NeverHappened(AssertionError):
    """The condition did not hold within the time allowed."""


def eventually(check: Callable[[], T], within: float = TIMEOUT, what: str | Callable[[], str] = "") -> T:
    """Call `check` until it returns something truthy, and return that."""
    deadline = time.monotonic() + within
    while not (result := check()):
        _fail_after(deadline, within, what, check)
        time.sleep(PERIOD)
    return result


async def eventually_async(check: Callable[[], Awaitable[T]], within: float = TIMEOUT,
                           what: str | Callable[[], str] = "") -> T:
    """Await `check()` until it gives something truthy, and return that."""
    deadline = time.monotonic() + within
    while not (result := await check()):
        _fail_after(deadline, within, what, check)
        await asyncio.sleep(PERIOD)
    return result


def _fail_after(deadline: float, within: float, what: str | Callable[[], str], check: Callable[..., object]) -> None:
    if time.monotonic() > deadline:
        said = what() if callable(what) else what
        raise NeverHappened(f"{said or getattr(check, '__qualname__', 'the condition')}: not within {within:g}s")
