"""The delivery worker: claims due deliveries (leased, ``SKIP LOCKED``: several processes may run),
sends them concurrently, and records every attempt. Failures are retried with exponential backoff
and jitter for up to ``RETRY_FOR_S`` (3 days); an endpoint failing for ``DISABLE_AFTER_S`` is
disabled and its owner told. Deliveries survive restarts: they live in PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bellwether_shared.envelope import utcnow
from bellwether_shared.logging import get_logger
from notifications import delivery_repository as dr
from notifications import digests
from notifications.alerting import notify_destination_disabled
from notifications.domain import noise
from notifications.secretbox import SecretBox
from notifications.sender import Result, Sender
from notifications.settings import NotificationsSettings

log = get_logger(__name__)


def active_secrets(box: SecretBox, stored: list[dict[str, Any]], now: datetime) -> list[str]:
    return [
        box.open(s["sealed"])
        for s in stored
        if s.get("expires_at") is None or datetime.fromisoformat(s["expires_at"]) > now
    ]


class Deliverer:
    def __init__(self, pool: asyncpg.Pool, settings: NotificationsSettings, box: SecretBox) -> None:
        self.pool, self.settings, self.box = pool, settings, box
        self.sender = Sender(settings)
        self.sent = 0
        self.failed = 0
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._gate = asyncio.Semaphore(settings.delivery_concurrency)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._loop(), name="deliverer"),
            asyncio.create_task(self._digests(), name="digests"),
        ]

    async def stop(self) -> None:
        self._stopping.set()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        await self.sender.close()

    async def run_once(self) -> int:
        now = utcnow()
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await dr.claim_due(
                conn, limit=self.settings.delivery_batch, lease_s=self.settings.delivery_lease_s, now=now
            )
        if not rows:
            return 0
        results = await asyncio.gather(*(self._send(r) for r in rows))
        now = utcnow()
        async with self.pool.acquire() as conn, conn.transaction():
            for row, res in zip(rows, results, strict=True):
                await self._record(conn, row, res, now)
        return len(rows)

    async def _send(self, row: Any) -> Result:
        async with self._gate:
            secrets = active_secrets(self.box, row["secrets"], utcnow()) if row["kind"] == "webhook" else []
            return await self.sender.send(
                kind=row["kind"],
                target=row["target"],
                secrets=secrets,
                delivery_id=row["delivery_id"],
                payload=row["payload"],
            )

    async def _record(self, conn: asyncpg.Connection, row: Any, res: Result, now: datetime) -> None:
        attempt = row["attempts"] + 1
        nxt: datetime | None = None
        if not res.ok and now - row["created_at"] < timedelta(seconds=self.settings.retry_for_s):
            s = self.settings
            nxt = now + timedelta(
                seconds=noise.backoff(attempt, base_s=s.retry_base_s, cap_s=s.retry_cap_s, jitter=random.random())
            )
        await dr.record_attempt(
            conn,
            delivery_id=row["delivery_id"],
            attempt=attempt,
            status_code=res.status_code,
            error=res.error,
            latency_ms=res.latency_ms,
            ok=res.ok,
            next_attempt_at=nxt,
            now=now,
        )
        if res.ok:
            self.sent += 1
            recovered = await conn.fetchval(
                """UPDATE destinations SET failing_since = NULL WHERE destination_id = $1 AND failing_since IS NOT NULL
                   RETURNING true""",
                row["destination_id"],
            )
            if recovered:  # back from an outage: catch up now rather than at each delivery's next backoff
                moved = await dr.pull_forward(conn, destination_id=row["destination_id"], now=now)
                log.info("destination recovered", destination_id=row["destination_id"], pulled_forward=moved)
            return
        self.failed += 1
        since = await conn.fetchval(
            """UPDATE destinations SET failing_since = coalesce(failing_since, $2) WHERE destination_id = $1
               RETURNING failing_since""",
            row["destination_id"],
            now,
        )
        if since is not None and now - since >= timedelta(seconds=self.settings.disable_after_s):
            reason = f"every delivery failed since {since.isoformat()} (last: {res.error})"
            changed = await conn.execute(
                "UPDATE destinations SET enabled = false, disabled_reason = $2 WHERE destination_id = $1 AND enabled",
                row["destination_id"],
                reason,
            )
            if changed.endswith(" 1"):
                log.warning("destination disabled", destination_id=row["destination_id"], reason=reason)
                await notify_destination_disabled(conn, destination_id=row["destination_id"], reason=reason, now=now)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                n = await self.run_once()
                if n >= self.settings.delivery_batch:
                    continue
            except Exception as exc:  # noqa: BLE001 - leased rows come due again
                log.error("delivery round failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.settings.delivery_poll_s)

    async def _digests(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.settings.digest_check_s)
            if self._stopping.is_set():
                return
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await digests.run_due(conn, settings=self.settings, now=utcnow())
            except Exception as exc:  # noqa: BLE001
                log.error("digest round failed", error=repr(exc))
