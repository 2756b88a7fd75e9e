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
            await self._record(conn, rows, results, now)
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

    async def _record(self, conn: asyncpg.Connection, rows: list[Any], results: list[Result], now: datetime) -> None:
        s = self.settings
        outcomes: list[dict[str, Any]] = []
        answered: set[str] = set()
        failed: dict[str, str | None] = {}
        for row, res in zip(rows, results, strict=True):
            attempt = row["attempts"] + 1
            nxt: datetime | None = None
            if not res.ok and now - row["created_at"] < timedelta(seconds=s.retry_for_s):
                delay = noise.backoff(attempt, base_s=s.retry_base_s, cap_s=s.retry_cap_s, jitter=random.random())
                nxt = now + timedelta(seconds=delay)
            outcomes.append(
                {
                    "delivery_id": row["delivery_id"],
                    "attempt": attempt,
                    "status_code": res.status_code,
                    "error": res.error,
                    "latency_ms": res.latency_ms,
                    "ok": res.ok,
                    "next_attempt_at": nxt,
                }
            )
            if res.ok:
                answered.add(row["destination_id"])
            else:
                failed[row["destination_id"]] = res.error
        await dr.record_attempts(conn, rows=outcomes, now=now)
        self.sent += sum(1 for r in results if r.ok)
        self.failed += sum(1 for r in results if not r.ok)
        for dest in await dr.recovered(conn, destination_ids=sorted(answered)):
            # back from an outage: catch up now rather than at each delivery's next backoff
            moved = await dr.pull_forward(conn, destination_id=dest, now=now)
            log.info("destination recovered", destination_id=dest, pulled_forward=moved)
        only_failing = sorted(set(failed) - answered)
        for d in await dr.mark_failing(conn, destination_ids=only_failing, now=now):
            if d["enabled"] and now - d["failing_since"] >= timedelta(seconds=s.disable_after_s):
                await self._disable(conn, d["destination_id"], d["failing_since"], failed[d["destination_id"]], now)

    async def _disable(
        self, conn: asyncpg.Connection, destination_id: str, since: datetime, last_error: str | None, now: datetime
    ) -> None:
        reason = f"every delivery failed since {since.isoformat()} (last: {last_error})"
        changed = await conn.execute(
            "UPDATE destinations SET enabled = false, disabled_reason = $2 WHERE destination_id = $1 AND enabled",
            destination_id,
            reason,
        )
        if changed.endswith(" 1"):
            log.warning("destination disabled", destination_id=destination_id, reason=reason)
            await notify_destination_disabled(conn, destination_id=destination_id, reason=reason, now=now)

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
