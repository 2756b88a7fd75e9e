"""Waiting on a condition with a deadline (never a fixed sleep)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 30.0, what: str = "condition", interval: float = 0.1
) -> T:
    """Call ``probe`` until it returns something other than None/False; fail at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: object = None
    while True:
        last = await probe()
        if last is not None and last is not False:
            return last  # type: ignore[return-value]
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not met within {timeout}s (last: {last!r})")
        await asyncio.sleep(interval)
