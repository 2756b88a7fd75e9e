"""Which database errors are transient, and the BackgroundLoop's restart, liveness and stop."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.retry import transient

TRANSIENT = [
    asyncpg.exceptions.DiskFullError,  # 53100
    asyncpg.exceptions.OutOfMemoryError,  # 53200
    asyncpg.exceptions.TooManyConnectionsError,  # 53300
    asyncpg.exceptions.InsufficientResourcesError,  # 53000
    asyncpg.exceptions.AdminShutdownError,  # 57P01
    asyncpg.exceptions.QueryCanceledError,  # 57014: statement_timeout, pg_cancel_backend
    asyncpg.exceptions.CannotConnectNowError,  # 57P03
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # 25006: a failover's old primary
    asyncpg.exceptions.LockNotAvailableError,  # 55P03: lock_timeout
    asyncpg.exceptions.SerializationError,  # 40001
    asyncpg.exceptions.DeadlockDetectedError,  # 40P01
    asyncpg.exceptions.ConnectionDoesNotExistError,  # 08003
]
POISON = [
    asyncpg.exceptions.UniqueViolationError,  # 23505
    asyncpg.exceptions.InvalidTextRepresentationError,  # 22P02
    asyncpg.exceptions.NotNullViolationError,  # 23502
    asyncpg.exceptions.UndefinedColumnError,  # 42703
]


@pytest.mark.parametrize("cls", TRANSIENT, ids=lambda c: c.sqlstate)
def test_infrastructure_failures_are_transient(cls: type[Exception]) -> None:
    assert transient(cls("x"))


@pytest.mark.parametrize("cls", POISON, ids=lambda c: c.sqlstate)
def test_a_records_own_failures_are_not(cls: type[Exception]) -> None:
    assert not transient(cls("x"))


def test_no_answer_from_the_server_is_transient() -> None:
    assert transient(ConnectionRefusedError()) and transient(TimeoutError()) and not transient(ValueError())


async def test_a_failing_step_is_retried_with_setup_again_and_liveness_follows() -> None:
    calls: list[str] = []
    fail_until = time.monotonic() + 0.6

    async def setup() -> None:
        calls.append("setup")

    async def step() -> bool:
        if time.monotonic() < fail_until:
            raise RuntimeError("broken")
        calls.append("ok")
        return False

    loop = BackgroundLoop("t", step, interval_s=0.01, setup=setup, initial_backoff_s=0.02, max_down_s=0.3)
    loop.start()
    try:
        deadline = time.monotonic() + 5
        saw_dead = False
        while "ok" not in calls and time.monotonic() < deadline:
            saw_dead = saw_dead or not loop.alive
            await asyncio.sleep(0.01)
        assert "ok" in calls, "never recovered"
        assert saw_dead, "liveness never reported the loop failing past its bound"
        assert loop.alive and loop.healthy and loop.failures >= 2
        assert calls.count("setup") >= 2, "setup did not run again after a failure"
    finally:
        await loop.stop()


async def test_stop_ends_a_long_wait_at_once() -> None:
    async def step() -> bool:
        return False

    loop = BackgroundLoop("t", step, interval_s=3600)
    loop.start()
    deadline = time.monotonic() + 5
    while loop.steps < 1 and time.monotonic() < deadline:  # the first step ran: now in the long wait
        await asyncio.sleep(0.01)
    t0 = time.monotonic()
    await loop.stop()
    assert time.monotonic() - t0 < 1.0
    assert loop.steps == 1
