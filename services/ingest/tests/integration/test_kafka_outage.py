"""Kafka goes down: ingest answers 503 with Retry-After, accepts nothing it cannot publish, and
recovers by itself when the broker is back; everything it acknowledged is on the topic."""

from __future__ import annotations

import asyncio
import time

import httpx
from aiokafka import AIOKafkaConsumer

from conftest import create_source, ingest_env
from devkit.services import ServiceProcess
from ingest.events import usage_event_id


def _post(url: str, key: str, ids: list[str]) -> httpx.Response:
    batch = {
        "batch": [
            {"type": "track", "userId": "u", "event": "e", "messageId": i, "context": {"groupId": "g"}} for i in ids
        ]
    }
    return httpx.post(f"{url}/v1/batch", json=batch, auth=(key, ""), timeout=30)


async def _published_ids(bootstrap: str, *, through: str, timeout_s: float = 30) -> list[str]:
    """Every event id on the topic up to the sentinel ``through`` (all records share one key, so one
    partition: what was published before the sentinel is read before it)."""
    consumer = AIOKafkaConsumer(
        "usage.events.v1",
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    ids: list[str] = []
    deadline = time.monotonic() + timeout_s
    try:
        while through not in ids:
            assert time.monotonic() < deadline, f"sentinel not read within {timeout_s}s; {len(ids)} records"
            for records in (await consumer.getmany(timeout_ms=500)).values():
                ids.extend(dict(r.headers)["ce_id"].decode() for r in records)
        return ids
    finally:
        await consumer.stop()


def test_kafka_down_gives_503_then_recovers_with_nothing_lost(own_broker, ingest_db, tmp_path, run_id) -> None:
    node = own_broker
    svc = ServiceProcess(
        "ingest",
        ingest_env(ingest_db, node.bootstrap, PUBLISH_TIMEOUT_S="2", KAFKA_REQUEST_TIMEOUT_MS="2000"),
        tmp_path / "ingest.log",
    ).start()
    try:
        src = create_source(svc.url)
        key = src.write_key
        before = [f"{run_id}-a{i}" for i in range(50)]
        during = [f"{run_id}-b{i}" for i in range(50)]
        assert _post(svc.url, key, before).status_code == 200

        node.stop()
        down = _post(svc.url, key, during)
        assert down.status_code == 503, down.text
        assert down.json()["code"] == "unavailable" and int(down.headers["Retry-After"]) >= 1

        node.start()
        deadline = time.monotonic() + 90
        while True:  # what a client library does: retry after Retry-After until accepted
            r = _post(svc.url, key, during)
            if r.status_code == 200:
                break
            assert r.status_code == 503 and time.monotonic() < deadline, r.text
            time.sleep(0.5)
        assert _post(svc.url, key, [f"{run_id}-end"]).status_code == 200
        ids = asyncio.run(_published_ids(node.bootstrap, through=usage_event_id(src.id, f"{run_id}-end")))
    finally:
        svc.stop()
    expected = {usage_event_id(src.id, m) for m in before + during}
    # at-least-once: the 503'd batch may have reached the broker too; a repeat carries the same event
    # id (consumers drop it), so the set of ids is what must match, with nothing unacknowledged
    assert set(ids) - {usage_event_id(src.id, f"{run_id}-end")} == expected, "every acknowledged event, nothing else"
