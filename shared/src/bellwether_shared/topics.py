"""Topic registry: every topic the system uses, and an idempotent bootstrap that creates them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from bellwether_shared.kafka_conn import Kafka, client_args

USAGE = "usage.events.v1"
IDENTITY = "identity.v1"
SIGNALS = "signals.v1"
HEALTH = "health.v1"
RENEWALS = "renewals.v1"
NOTIFICATIONS = "notifications.v1"


def dlq(topic: str) -> str:
    return f"{topic}.dlq"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int = 7 * 24 * 3600 * 1000
    replication_factor: int = 1

    def configs(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": "delete"}


_DAY = 24 * 3600 * 1000
BASE_TOPICS = (
    TopicSpec(USAGE, partitions=6),
    TopicSpec(IDENTITY, partitions=3),
    TopicSpec(SIGNALS, partitions=3),
    TopicSpec(HEALTH, partitions=3),
    TopicSpec(RENEWALS, partitions=3),
    TopicSpec(NOTIFICATIONS, partitions=3),
)
# Who reads and who writes each topic: the services' consumers subscribe to CONSUMES, and the Kafka users
# of the prod overlay get exactly these rights (plus writing the dead letters of what they read).
CONSUMES: dict[str, tuple[str, ...]] = {
    "health": (USAGE, IDENTITY, SIGNALS, RENEWALS),  # renewal outcomes calibrate scorecards
    "renewals": (SIGNALS, HEALTH, IDENTITY),  # identity: a user's deletion request
    "notifications": (HEALTH, SIGNALS, RENEWALS, IDENTITY),
    "accounts": (SIGNALS, HEALTH, RENEWALS, NOTIFICATIONS, IDENTITY),
}
PRODUCES: dict[str, tuple[str, ...]] = {
    "ingest": (USAGE, IDENTITY, SIGNALS),
    "health": (HEALTH,),
    "renewals": (RENEWALS,),
    "notifications": (NOTIFICATIONS,),
    "accounts": (),
}

TOPICS: tuple[TopicSpec, ...] = BASE_TOPICS + tuple(
    TopicSpec(dlq(t.name), partitions=1, retention_ms=30 * _DAY) for t in BASE_TOPICS
)


async def ensure_topics(
    kafka: Kafka,
    specs: tuple[TopicSpec, ...] = TOPICS,
    *,
    replication_factor: int | None = None,
    timeout_s: float = 60.0,
) -> list[str]:
    """Create missing topics; existing ones are left as they are. Returns the names created."""
    admin = AIOKafkaAdminClient(**client_args(kafka), request_timeout_ms=15_000)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        todo = [s for s in specs if s.name not in existing]
        if todo:
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            s.name, s.partitions, replication_factor or s.replication_factor, topic_configs=s.configs()
                        )
                        for s in todo
                    ]
                )
            except TopicAlreadyExistsError:
                pass  # created concurrently by another bootstrap: fine
        return [s.name for s in todo]
    finally:
        await admin.close()


def main() -> None:
    """``python -m bellwether_shared.topics``: create every registered topic (idempotent one-shot step);
    Kafka from the environment (``KAFKA_BOOTSTRAP_SERVERS`` and the TLS/SASL variables)."""
    from bellwether_shared.kafka_conn import from_environment

    created = asyncio.run(ensure_topics(from_environment()))
    print(f"topics: {len(created)} created, {len(TOPICS) - len(created)} already there")


if __name__ == "__main__":
    main()
