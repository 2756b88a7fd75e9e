"""``python -m tests.support.counter``: run the counting consumer until SIGTERM (or SIGKILL)."""

from __future__ import annotations

import asyncio
import os
import signal

from bellwether_shared.consumer import ConsumerLoop
from bellwether_shared.db import create_pool
from bellwether_shared.kafka import create_producer
from tests.support.counter import make_handler


async def main() -> None:
    pool = await create_pool(os.environ["DATABASE_URL"], schema="counter")
    producer = create_producer(os.environ["KAFKA_BOOTSTRAP_SERVERS"], client_id="counter")
    await producer.start()
    loop = ConsumerLoop(
        name=os.environ["CONSUMER_NAME"],
        topics=[os.environ["TOPIC"]],
        bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        pool=pool,
        handler=make_handler(None, delay_s=float(os.environ.get("DELAY_S", "0"))),
        producer=producer,
        max_records=int(os.environ.get("MAX_RECORDS", "50")),
    )
    await loop.start()
    print("consumer started", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await loop.stop()
    print(f"consumer stopped after {loop.processed} records", flush=True)
    await producer.stop()
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
