"""The one-shot migration step waits for a database that is not up yet (compose and Kubernetes start it
beside PostgreSQL), and never waits out a fault that is not the server's being away."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from bellwether_shared.migrate import migrate


class Doorway:
    """A TCP relay to the real PostgreSQL that hangs up on its first ``refuse`` connections, as a
    server that is not listening yet looks to a client, then relays every later one."""

    def __init__(self, host: str, port: int, refuse: int) -> None:
        self.host, self.port, self.refuse = host, port, refuse
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.connections <= self.refuse:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def url(self, database_url: str) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        parts = urlsplit(database_url)
        return parts._replace(netloc=f"{parts.netloc.rsplit('@', 1)[0]}@127.0.0.1:{port}").geturl()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()


@pytest.fixture
async def doorway(counter_db: str) -> AsyncIterator[Doorway]:
    real = urlsplit(counter_db)
    door = Doorway(real.hostname or "127.0.0.1", real.port or 5432, refuse=3)
    yield door
    door.close()


async def test_migrate_waits_for_the_server_then_applies(doorway: Doorway, counter_db: str) -> None:
    url = await doorway.url(counter_db)
    assert await migrate(url, service="tests.support.counter", schema="counter", wait_s=60) == []
    assert doorway.connections > doorway.refuse  # hung up on three times, then through


async def test_migrate_without_a_wait_fails_at_once(doorway: Doorway, counter_db: str) -> None:
    url = await doorway.url(counter_db)
    with pytest.raises((OSError, asyncpg.InterfaceError)):
        await migrate(url, service="tests.support.counter", schema="counter")
    assert doorway.connections == 1


async def test_a_wrong_password_is_not_waited_out(doorway: Doorway, counter_db: str) -> None:
    doorway.refuse = 0
    parts = urlsplit(await doorway.url(counter_db))
    wrong = parts._replace(netloc=f"{parts.username}:not-the-password@{parts.hostname}:{parts.port}").geturl()
    with pytest.raises(asyncpg.InvalidPasswordError):
        await migrate(wrong, service="tests.support.counter", schema="counter", wait_s=60)
    assert doorway.connections == 1
