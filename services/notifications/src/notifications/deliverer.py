"""The delivery worker: claims due deliveries (leased, ``SKIP LOCKED``: several processes may run),
sends them, and records every attempt. Failures are retried with exponential backoff and jitter for
up to ``RETRY_FOR_S`` (3 days); an endpoint failing for ``DISABLE_AFTER_S`` is disabled and its
owner told. Deliveries survive restarts: they live in PostgreSQL.

Claims are pipelined: a round claims only as many deliveries as there are free send slots
(``DELIVERY_CONCURRENCY``), so every claimed delivery is being sent at once and finishes within
``HTTP_TIMEOUT_S``, well inside its lease (``DELIVERY_LEASE_S`` must be at least three timeouts);
outcomes are recorded as sends complete. Any error in one send is a failed attempt of that delivery
alone."""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from opentelemetry import metrics

from bellwether_shared import retention as shared_retention, tracing
from bellwether_shared.envelope import utcnow
from bellwether_shared.logging import get_logger
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.secretbox import SecretBox, Undecryptable
from notifications import (
    delivery_repository as dr,
    destination_repository as dests,
    digests,
    repository,
    retention_repository as retention,
)
from notifications.domain import noise
from notifications.sender import Result, Sender
from notifications.settings import NotificationsSettings
from notifications.system_alerts import notify_destination_disabled

log = get_logger(__name__)
_meter = metrics.get_meter(__name__)
_attempts = _meter.create_counter(
    "bellwether_notifications_delivery_attempts", description="delivery attempts, by destination kind and outcome"
)
_disabled = _meter.create_counter("bellwether_notifications_destinations_disabled", description="destinations disabled")
_state = {
    "disabled": _meter.create_gauge("bellwether_notifications_destinations_disabled_now", description="disabled now"),
    "pending": _meter.create_gauge("bellwether_notifications_deliveries_pending", description="deliveries waiting"),
    "overdue_s": _meter.create_gauge(
        "bellwether_notifications_delivery_overdue_seconds", description="longest a due delivery has waited"
    ),
}
GAUGES_EVERY_S = 15.0


async def report_state(pool: asyncpg.Pool) -> bool:
    async with pool.acquire() as conn:
        state = await dr.state(conn)
    for name, gauge in _state.items():
        gauge.set(state[name])
    return False


def active_secrets(box: SecretBox, stored: list[dict[str, Any]], now: datetime) -> list[str]:
    return [
        box.open(s["sealed"])
        for s in stored
        if s.get("expires_at") is None or datetime.fromisoformat(s["expires_at"]) > now
    ]


def target_of(box: SecretBox, row: Any) -> str:
    """Where to send: a chat URL is stored sealed (the row's target is its masked form); destinations
    created before that keep a plain target."""
    sealed = next((s["sealed_url"] for s in row["secrets"] if "sealed_url" in s), None)
    return box.open(sealed) if sealed is not None else str(row["target"])


class Deliverer:
    def __init__(self, pool: asyncpg.Pool, settings: NotificationsSettings, box: SecretBox) -> None:
        self.pool, self.settings, self.box = pool, settings, box
        self.sender = Sender(settings)
        self.sent = 0
        self.failed = 0
        self._inflight: set[asyncio.Task[None]] = set()
        self._done: list[tuple[Any, Result]] = []

    def loops(self) -> list[BackgroundLoop]:
        s = self.settings

        async def digest_step() -> bool:
            async with self.pool.acquire() as conn, conn.transaction():
                await digests.run_due(conn, settings=s, now=utcnow())
            return False

        _disabled.add(0)
        for kind in ("webhook", "chat", "email"):
            for outcome in ("delivered", "failed"):
                _attempts.add(0, {"kind": kind, "outcome": outcome})
        return [
            BackgroundLoop("deliverer", self.step, interval_s=s.delivery_poll_s, teardown=self.drain),
            BackgroundLoop("digests", digest_step, interval_s=s.digest_check_s, start_delay_s=s.digest_check_s),
            shared_retention.loop(self.pool, retention.rules(s), s),
            BackgroundLoop("delivery-gauges", lambda: report_state(self.pool), interval_s=GAUGES_EVERY_S),
        ]

    async def step(self) -> bool:
        """Fill the free send slots, wait a little for sends to finish, record what finished.
        True while every slot is busy or more deliveries are due."""
        free = self.settings.delivery_concurrency - len(self._inflight)
        claimed = 0
        if free > 0:
            async with self.pool.acquire() as conn, conn.transaction():
                rows = await dr.claim_due(conn, limit=free, lease_s=self.settings.delivery_lease_s, now=utcnow())
            for row in rows:
                task = asyncio.create_task(self._deliver(row))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            claimed = len(rows)
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=0.05, return_when=asyncio.FIRST_COMPLETED)
        await self.flush()
        return bool(self._inflight) or (free > 0 and claimed == free)

    async def drain(self) -> None:
        """Let the sends in flight finish and record them (stop, or the loop restarting)."""
        if self._inflight:
            await asyncio.wait(set(self._inflight))
        with contextlib.suppress(Exception):
            await self.flush()
        await self.sender.close()

    async def _deliver(self, row: Any) -> None:
        try:
            result = await self._send(row)
        except Undecryptable:
            result = Result(False, None, "signing secret cannot be decrypted with SECRETS_KEY", 0.0)
        except Exception as exc:  # noqa: BLE001 - one send's failure is that delivery's failed attempt
            log.warning("delivery failed unexpectedly", delivery_id=row["delivery_id"], error=repr(exc)[:300])
            result = Result(False, None, f"{type(exc).__name__}: {exc}"[:500], 0.0)
        self._done.append((row, result))

    async def _send(self, row: Any) -> Result:
        secrets = active_secrets(self.box, row["secrets"], utcnow()) if row["kind"] == "webhook" else []
        # a span continuing the trace that raised the alert; the webhook request carries it on (traceparent)
        with tracing.continued(row["trace"], f"{row['kind']} deliver", delivery_id=row["delivery_id"]) as span:
            result = await self.sender.send(
                kind=row["kind"],
                target=target_of(self.box, row),
                secrets=secrets,
                delivery_id=row["delivery_id"],
                payload=row["payload"],
            )
            if span is not None:
                span.set_attribute("http.response.status_code", result.status_code or 0)
            return result

    async def flush(self) -> None:
        if not self._done:
            return
        done, self._done = self._done, []
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                await self._record(conn, [r for r, _ in done], [res for _, res in done], utcnow())
        except BaseException:
            self._done[:0] = done  # recorded next time (the lease outlives a short outage)
            raise

    async def _record(self, conn: asyncpg.Connection, rows: list[Any], results: list[Result], now: datetime) -> None:
        s = self.settings
        outcomes: list[dr.Attempt] = []
        answered: set[str] = set()
        failed: dict[str, str | None] = {}
        for row, res in zip(rows, results, strict=True):
            attempt = row["attempts"] + 1
            nxt: datetime | None = None
            if not res.ok and now - row["created_at"] < timedelta(seconds=s.retry_for_s):
                delay = noise.backoff(attempt, base_s=s.retry_base_s, cap_s=s.retry_cap_s, jitter=random.random())
                nxt = now + timedelta(seconds=delay)
            outcomes.append(
                dr.Attempt(
                    delivery_id=row["delivery_id"],
                    attempt=attempt,
                    status_code=res.status_code,
                    error=res.error,
                    latency_ms=res.latency_ms,
                    ok=res.ok,
                    next_attempt_at=nxt,
                )
            )
            _attempts.add(1, {"kind": row["kind"], "outcome": "delivered" if res.ok else "failed"})
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
        if await dests.disable(conn, destination_id=destination_id, reason=reason):
            log.warning("destination disabled", destination_id=destination_id, reason=reason)
            _disabled.add(1)
            async with repository.unit(conn, now=now) as uow:
                await notify_destination_disabled(uow, destination_id=destination_id, reason=reason, now=now)
