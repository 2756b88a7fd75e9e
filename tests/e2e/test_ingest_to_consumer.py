"""Across the boundary: ingest over HTTP → Kafka → a real consumer using the shared loop and inbox."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from bellwether_shared import topics
from bellwether_shared.consumer import ConsumerLoop
from bellwether_shared.kafka import create_producer
from tests.support.counter import make_handler
from tests.support.wait import eventually


@pytest.fixture
def pool(counter_pool: asyncpg.Pool) -> asyncpg.Pool:
    return counter_pool


async def test_client_retries_are_never_double_counted_downstream(
    ingest, source, pool, kafka_bootstrap, run_id
) -> None:
    """De-duplication lives in the consumers: event id = f(source, messageId), claimed in the inbox
    in the same transaction as the state change. Ingest stays stateless on the hot path."""
    producer = create_producer(kafka_bootstrap, client_id="e2e")
    await producer.start()
    loop = ConsumerLoop(
        name=f"e2e-{run_id}",
        topics=[topics.USAGE],
        bootstrap_servers=kafka_bootstrap,
        pool=pool,
        handler=make_handler(None),
        producer=producer,
        auto_offset_reset="latest",
    )
    await loop.start()
    try:
        await eventually(lambda: _assigned(loop), what="partitions assigned")
        account = f"acct-{run_id}"
        batch = {
            "batch": [
                {
                    "type": "track",
                    "userId": f"u{i}",
                    "event": "Report Exported",
                    "messageId": f"{run_id}-{i}",
                    "context": {"groupId": account},
                }
                for i in range(40)
            ]
        }
        async with httpx.AsyncClient() as http:
            for _ in range(3):  # the client retried twice (e.g. it never saw our 200)
                r = await http.post(f"{ingest.url}/v1/batch", json=batch, auth=(source.write_key, ""))
                assert r.status_code == 200
            r = await http.post(
                f"{ingest.url}/v1/track",
                auth=(source.write_key, ""),
                json={
                    "userId": "u",
                    "event": "Sentinel",
                    "messageId": f"{run_id}-sentinel",
                    "context": {"groupId": account},
                },
            )
            assert r.status_code == 200

        async def sentinel_seen() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM seen WHERE account = $1", account) >= 41)

        await eventually(sentinel_seen, what="sentinel consumed")
    finally:
        await loop.stop()
        await producer.stop()
    rows = await pool.fetch("SELECT n FROM seen WHERE account = $1", account)
    assert len(rows) == 41 and {r["n"] for r in rows} == {1}
    duplicates = await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", f"e2e-{run_id}")
    assert duplicates == 41


async def _assigned(loop: ConsumerLoop) -> bool:
    if loop.consumer is None:
        return False
    parts = loop.consumer.assignment()
    if not parts:
        return False
    for tp in parts:
        await loop.consumer.position(tp)
    return True
