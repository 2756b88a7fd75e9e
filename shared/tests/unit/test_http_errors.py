"""A database that is briefly unwell answers 503 with Retry-After (the caller retries), never a 500; a
database error that is a bug stays a 500."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from bellwether_shared.http import new_app


def _app() -> httpx.AsyncClient:
    app = new_app(title="t", description="d", lifespan=None)

    @app.get("/deadlock")
    async def deadlock() -> None:
        raise asyncpg.DeadlockDetectedError("deadlock detected")

    @app.get("/bug")
    async def bug() -> None:
        raise asyncpg.UndefinedColumnError("column x does not exist")

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t")


async def test_a_deadlock_is_a_503_to_retry_and_a_bug_is_a_500() -> None:
    async with _app() as http:
        busy = await http.get("/deadlock")
        bug = await http.get("/bug")
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert busy.json()["code"] == "unavailable" and "DeadlockDetectedError" in busy.json()["message"]
    assert bug.status_code == 500


@pytest.mark.parametrize("sqlstate", ["40P01", "40001", "57014", "25006", "08006"])
def test_the_transient_states_are_the_consumers(sqlstate: str) -> None:
    from bellwether_shared.retry import transient

    exc = asyncpg.PostgresError.new({"C": sqlstate, "M": "x"})
    assert transient(exc)
