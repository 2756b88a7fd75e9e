"""Which failures are the infrastructure's, not a record's, and how to wait them out.

A transient failure is retried with backoff for as long as it lasts and never dead-lettered: with
a full disk or a read-only replica after a failover, every record would otherwise land in the DLQ
with its offset committed. What is transient is decided by SQLSTATE, the server's own words:

* class 08 connection exceptions, class 53 insufficient resources (disk full, out of memory, too
  many connections), class 57 operator intervention (admin shutdown, query cancel and statement
  timeout, cannot connect now);
* 40001 serialization failure, 40P01 deadlock, 25006 read-only transaction (a failover's old
  primary), 55P03 lock not available (``lock_timeout``);
* no server answer at all: the socket failed, the connection was lost or timed out.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential_jitter

TRANSIENT_CLASSES = frozenset({"08", "53", "57"})
TRANSIENT_STATES = frozenset({"40001", "40P01", "25006", "55P03"})


def transient(exc: BaseException) -> bool:
    """True when ``exc`` says the database (or the network to it) is unwell, not the data."""
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        return state[:2] in TRANSIENT_CLASSES or state in TRANSIENT_STATES
    return isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError)


async def interruptible_sleep(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep, but return at once when ``stopping`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)


def until_recovered(
    stopping: asyncio.Event, *, initial_s: float, max_s: float = 10.0, on_retry: object = None
) -> AsyncRetrying:
    """Retry transient failures with exponential backoff and jitter until they pass or a stop is
    requested (the wait ends at once then, and the last error is raised: ``RetryError``)."""

    def stop_requested(_: RetryCallState) -> bool:
        return stopping.is_set()

    async def sleep(seconds: float) -> None:
        await interruptible_sleep(stopping, seconds)

    return AsyncRetrying(
        retry=retry_if_exception(transient),
        wait=wait_exponential_jitter(multiplier=initial_s, max=max_s, jitter=initial_s),
        stop=stop_requested,
        sleep=sleep,
        before_sleep=on_retry,  # type: ignore[arg-type]
        reraise=False,
    )
