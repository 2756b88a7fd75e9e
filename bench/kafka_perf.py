"""The broker's own speed, to compare ingest with: Kafka's producer performance tool on the same broker, end
offsets, and the broker's process and CPU."""

from __future__ import annotations

import asyncio
import re
import subprocess
from typing import Any

import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition

from bellwether_shared.topics import TopicSpec, ensure_topics
from devkit.infra import localinfra


async def end_offsets(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not parts:
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        offsets = await consumer.end_offsets(parts)
        return sum(offsets.values())
    finally:
        await consumer.stop()


def kafka_perf_test(bootstrap: str, records: int, record_size: int) -> dict[str, Any]:
    libs = localinfra.fetch_kafka()
    asyncio.run(ensure_topics(bootstrap, (TopicSpec("bench.producer-perf", 6),)))
    cmd = [
        localinfra.java_bin(),
        "-Xmx512m",
        f"-Dlog4j2.configurationFile={localinfra.LOG4J2}",
        "-cp",
        f"{libs}/*",
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        "bench.producer-perf",
        "--num-records",
        str(records),
        "--record-size",
        str(record_size),
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={bootstrap}",
        "acks=all",
        "enable.idempotence=true",
        "linger.ms=5",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout
    last = [line for line in out.splitlines() if "records sent" in line][-1]
    m = re.search(
        r"records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency.*?"
        r"([\d.]+) ms 50th, ([\d.]+) ms 95th, ([\d.]+) ms 99th",
        last,
    )
    assert m, last
    return {
        "command": " ".join(
            [*cmd[:1], "-cp", "<kafka libs>", *cmd[cmd.index("org.apache.kafka.tools.ProducerPerformance") :]]
        ),
        "records": records,
        "record_size_bytes": record_size,
        "records_per_s": float(m.group(1)),
        "mb_per_s": float(m.group(2)),
        "avg_latency_ms": float(m.group(3)),
        "p50_ms": float(m.group(4)),
        "p99_ms": float(m.group(6)),
        "summary": last.strip(),
    }


def _kafka_pid(ep: Any) -> int | None:
    port = int(ep.kafka_bootstrap.rsplit(":", 1)[1])
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            return conn.pid
    return None


def _cpu(pid: int | None) -> float:
    if not pid:
        return 0.0
    t = psutil.Process(pid).cpu_times()
    return float(t.user + t.system)
