"""Proof that nothing is in flight across the services (no sleep): every consumer group has read and
committed everything on its topics, no outbox holds an event not yet published and no re-score is
queued, and no topic grew while that was checked. Whatever the services were going to do about the
events so far, they have done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bellwether_shared import topics
from bellwether_shared.db import connect


@dataclass(frozen=True)
class Group:
    group_id: str
    service: str  # its topics: bellwether_shared.topics.CONSUMES[service]


@dataclass(frozen=True)
class Db:
    url: str
    schema: str


async def _ends(bootstrap: str, names: Sequence[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # the cluster's metadata, so every partition is known
        parts = [TopicPartition(t, p) for t in names for p in sorted(consumer.partitions_for_topic(t) or set())]
        assert parts, f"no partitions for {names}"
        ends: dict[TopicPartition, int] = await consumer.end_offsets(parts)
        return ends
    finally:
        await consumer.stop()


async def _lag(bootstrap: str, groups: Sequence[Group], ends: dict[TopicPartition, int]) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        lag = 0
        for g in groups:
            committed = await admin.list_consumer_group_offsets(g.group_id)
            wanted = set(topics.CONSUMES[g.service])
            for tp, end in ends.items():
                if tp.topic in wanted:
                    done = committed.get(tp)
                    lag += end - (done.offset if done is not None and done.offset >= 0 else 0)
        return lag
    finally:
        await admin.close()


async def _pending(dbs: Sequence[Db]) -> int:
    pending = 0
    for d in dbs:
        conn: asyncpg.Connection = await connect(d.url, schema=d.schema)
        try:
            pending += int(await conn.fetchval("SELECT count(*) FROM outbox"))
            if d.schema == "health":
                pending += int(await conn.fetchval("SELECT count(*) FROM recompute_queue"))
        finally:
            await conn.close()
    return pending


async def quiet(bootstrap: str, groups: Sequence[Group], dbs: Sequence[Db]) -> bool:
    """True when nothing is in flight (see the module's text); False: look again later."""
    names = sorted({t for g in groups for t in topics.CONSUMES[g.service]})
    before = await _ends(bootstrap, names)
    if await _lag(bootstrap, groups, before):
        return False
    if await _pending(dbs):
        return False
    return await _ends(bootstrap, names) == before
