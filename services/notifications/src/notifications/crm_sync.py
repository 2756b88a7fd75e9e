"""The CRM writer: for each destination with writes due, claims a batch (leased, ``SKIP LOCKED``),
sends only what changed in one vendor-shaped request, and settles every account of it: acknowledged
values are kept (so a repeat sends nothing), a transient failure backs off (exponential, jittered, from
``CRM_RETRY_BASE_S`` up to ``RETRY_CAP_S``), a rate limit pauses the destination for as long as the
vendor says, a permanent failure waits for the account's next change. Nothing is lost meanwhile: the
pending row holds the account until it is written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
from opentelemetry import metrics

from bellwether_shared.envelope import utcnow
from bellwether_shared.logging import get_logger
from bellwether_shared.loops import BackgroundLoop
from bellwether_shared.secretbox import SecretBox
from notifications import crm_repository as repo
from notifications.crm_client import CrmClient
from notifications.domain import crm, crm_vendors as vendors
from notifications.settings import NotificationsSettings

log = get_logger(__name__)
_writes = metrics.get_meter(__name__).create_counter(
    "bellwether_notifications_crm_writes", description="accounts written to a CRM, by kind and outcome"
)


class CrmWriter:
    def __init__(self, pool: asyncpg.Pool, settings: NotificationsSettings, box: SecretBox) -> None:
        self.pool, self.settings, self.box = pool, settings, box
        self.client = CrmClient(settings)

    def loops(self) -> list[BackgroundLoop]:
        return [
            BackgroundLoop("crm-writer", self.step, interval_s=self.settings.crm_poll_s, teardown=self.client.close)
        ]

    async def step(self) -> bool:
        async with self.pool.acquire() as conn:
            due = await repo.due_destinations(conn, now=utcnow())
        more = False
        for d in due:
            more = await self.write_batch(d) or more
        return more

    async def write_batch(self, d: Any) -> bool:
        """One batch of one destination; true when it was full (more may be due)."""
        kind: crm.Kind = d["kind"]
        limit = min(crm.MAX_BATCH[kind], self.settings.crm_batch)
        now = utcnow()
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await repo.claim(
                conn, destination_id=d["destination_id"], now=now, limit=limit, lease_s=self.settings.delivery_lease_s
            )
            pending = [crm.Pending(r["account_id"], r["version"], r["sent"], r["attempts"]) for r in rows]
            known = await repo.standings(conn, account_ids=[p.account_id for p in pending], system=kind)
        if not pending:
            return False
        p = crm.plan(pending, known)
        outcome = await self._send(d, p) if p.writes else vendors.Outcome()
        await self._settle(d, p, outcome)
        return len(pending) == limit

    async def _send(self, d: Any, p: crm.Plan) -> vendors.Outcome:
        fields = d["fields"]
        writes = [vendors.Write(w.record_id, crm.named(w.changes, fields)) for w in p.writes]
        req = vendors.request(d["kind"], writes, api_version=d["api_version"])
        ids = [w.record_id for w in writes]
        answer = await self.client.call(
            base_url=d["base_url"],
            method=req.method,
            path=req.path,
            token=self.box.open(d["token_sealed"]),
            body=req.body,
        )
        if answer.status is None:
            return vendors.transport_failure(ids, answer.error or "no answer")
        return vendors.outcome(d["kind"], answer.status, answer.body, answer.headers, ids)

    async def _settle(self, d: Any, p: crm.Plan, o: vendors.Outcome) -> None:
        now, dest = utcnow(), d["destination_id"]
        unmapped = f"no {d['kind']} record id for this account (account.upserted crm_ids, or PUT /v1/crm/records)"
        outcomes = [
            *(repo.Settled(q.account_id, q.version, "synced") for q in p.unchanged),
            *(repo.Settled(q.account_id, q.version, "unmapped", error=unmapped) for q in p.unmapped),
            *(repo.Settled(q.account_id, q.version, "failed", error=why) for q, why in p.clashing),
            *(self._written(w, o, now) for w in p.writes),
        ]
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.settle(conn, destination_id=dest, now=now, coalesce_s=d["coalesce_s"], outcomes=outcomes)
            if o.wait_s is not None:
                until = now + timedelta(seconds=o.wait_s)
                await repo.pause(conn, destination_id=dest, until=until, reason=o.error or "rate limited")
        log.info(
            "crm_batch",
            destination_id=dest,
            kind=d["kind"],
            written=len(o.ok),
            failed=len(o.failed),
            retry=len(o.retry),
        )

    def _written(self, w: crm.Planned, o: vendors.Outcome, now: datetime) -> repo.Settled:
        """What the CRM's answer means for one written account: synced, failed for good, or retried later."""
        q, rid = w.pending, w.record_id
        if rid in o.ok:
            _writes.add(1, {"outcome": "written"})
            return repo.Settled(q.account_id, q.version, "synced", sent=w.changes, status=o.status)
        if rid in o.failed:
            _writes.add(1, {"outcome": "failed"})
            return repo.Settled(q.account_id, q.version, "failed", status=o.status, error=o.failed[rid])
        _writes.add(1, {"outcome": "retry"})
        delay = crm.retry_in(q.attempts + 1, base_s=self.settings.crm_retry_base_s, cap_s=self.settings.retry_cap_s)
        retry_at = now + timedelta(seconds=max(delay, o.wait_s or 0.0))
        error = o.retry.get(rid) or o.error or "not written"
        return repo.Settled(q.account_id, q.version, "retrying", retry_at=retry_at, status=o.status, error=error)
