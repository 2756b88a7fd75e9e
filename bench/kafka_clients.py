"""``python -m bench.kafka_clients``: the publish step alone, aiokafka (``bellwether_shared.kafka.publish``)
against librdkafka (``bellwether_shared.kafka_rd.RdPublisher``), side by side on one broker: publish()
calls of 100 envelopes of 508 bytes with the CloudEvents headers, 16 at a time, acks=all, idempotent.
Reports records/s and the CPU of the whole process (every thread) per record. The ingest suite measures
the same choice on ingest's whole hot path (``by_kafka_client`` in bench/results.json)."""

from __future__ import annotations

import asyncio
import resource
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import typer
from rich.console import Console

from bellwether_shared.envelope import Envelope
from bellwether_shared.kafka import create_producer, publish
from bellwether_shared.kafka_rd import RdPublisher
from bellwether_shared.topics import TopicSpec, ensure_topics
from devkit.infra import provide

CALLS, CONCURRENCY = 100, 16
Publish = Callable[[list[Envelope]], Awaitable[None]]


def _batches(topic: str, records: int) -> list[list[Envelope]]:
    return [
        [
            Envelope(
                id=secrets.token_hex(8),
                type="bellwether.ingest.usage_recorded.v1",
                source="bellwether/ingest/src_bench",
                topic=topic,
                data=b"x" * 508,
                subject=f"acct-{(i * CALLS + j) % 997}",
            )
            for j in range(CALLS)
        ]
        for i in range(records // CALLS)
    ]


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def _timed(send: Publish, batches: list[list[Envelope]]) -> dict[str, float]:
    await send(batches[0])  # connected and warm
    queue = batches[1:]

    async def worker() -> None:
        while queue:
            await send(queue.pop())

    cpu, start = _cpu_s(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed, cpu = time.perf_counter() - start, _cpu_s() - cpu
    n = (len(batches) - 1) * CALLS
    return {"records": n, "records_per_s": round(n / elapsed), "cpu_us_per_record": round(cpu / n * 1e6, 1)}


async def _aiokafka(bootstrap: str, topic: str, records: int) -> dict[str, float]:
    producer = create_producer(bootstrap, client_id="bench-aiokafka")
    await producer.start()
    try:
        return await _timed(lambda b: publish(producer, b, timeout_s=60), _batches(topic, records))
    finally:
        await producer.stop()


async def _librdkafka(bootstrap: str, topic: str, records: int) -> dict[str, float]:
    pub = RdPublisher(bootstrap, client_id="bench-librdkafka")
    try:
        return await _timed(lambda b: pub.publish(b, timeout_s=60), _batches(topic, records))
    finally:
        pub.close()


def main(records: int = 200_000, rounds: int = 2) -> None:
    """Alternate the two clients ``rounds`` times (the machine's noise falls on both)."""
    console = Console()
    with tempfile.TemporaryDirectory(prefix="bw-clients-") as tmp, provide(Path(tmp)) as ep:
        topic = "bench.clients." + secrets.token_hex(3)
        asyncio.run(ensure_topics(ep.kafka_bootstrap, (TopicSpec(topic, 6),)))
        for _ in range(rounds):
            for name, run in (("aiokafka", _aiokafka), ("librdkafka", _librdkafka)):
                console.print(name, asyncio.run(run(ep.kafka_bootstrap, topic, records)))


if __name__ == "__main__":
    typer.run(main)
