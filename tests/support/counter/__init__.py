"""A tiny real consumer used by the tests of the shared consumer loop, inbox and outbox.

Counts each event it processes in ``seen`` (n > 1 would be a double count) and, for each, queues
one outgoing event through the outbox, all in the consumer loop's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from bellwether_shared import outbox
from bellwether_shared.envelope import Envelope
from bellwether_shared.records import Consumed


class Poison(ValueError):
    pass


class MissingFlag(LookupError):
    pass


def make_handler(out_topic: str | None, *, delay_s: float = 0.0):  # type: ignore[no-untyped-def]
    async def handle(conn: asyncpg.Connection, batch: Sequence[Consumed]) -> None:
        for c in batch:
            if c.payload.get("poison"):
                raise Poison(f"event {c.envelope.id} is poison")
            if (flag := c.payload.get("requires_flag")) and not await conn.fetchval(
                "SELECT true FROM flags WHERE name = $1", flag
            ):
                raise MissingFlag(f"flag {flag!r} is not set")
        await conn.executemany(
            """INSERT INTO seen (event_id, account, n) VALUES ($1, $2, 1)
               ON CONFLICT (event_id) DO UPDATE SET n = seen.n + 1""",
            [(c.envelope.id, c.envelope.subject) for c in batch],
        )
        if out_topic:
            await outbox.add(
                conn,
                [
                    Envelope(
                        id="out-" + c.envelope.id,
                        type="bellwether.test.counted.v1",
                        source="bellwether/test",
                        topic=out_topic,
                        data=c.envelope.data,
                        subject=c.envelope.subject,
                    )
                    for c in batch
                ],
            )
        if delay_s:
            await conn.execute("SELECT pg_sleep($1)", delay_s)

    return handle
