"""The consumer's rebalance listener: a revoke waits for the batch in flight (its offsets are committed
before the partitions move), and forgets the lag of what left."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiokafka import ConsumerRebalanceListener, TopicPartition

from bellwether_shared.logging import get_logger

if TYPE_CHECKING:
    from bellwether_shared.consumer import ConsumerLoop

log = get_logger("bellwether_shared.consumer")


class WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions leave only once the batch in flight committed its offsets."""

    def __init__(self, loop: ConsumerLoop) -> None:
        self.loop = loop

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # wait for the batch in flight: its offsets get committed before the partitions move
        async with self.loop.batch_lock:
            pass
        self.loop.lag.forget(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info(
            "partitions assigned", consumer=self.loop.name, partitions=[f"{tp.topic}:{tp.partition}" for tp in assigned]
        )
