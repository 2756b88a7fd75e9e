"""Deal quality at the sales-to-CS hand-off: a closed-won deal opens a review (its contract, its
renewal when close, its deal-quality score and flags); a CSM may propose rejecting it citing
failed criteria; a VP of CS — someone else — approves (the deal leaves the CSM's book metrics)
or declines. Every step is audited and announced."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import asyncpg

from bellwether_shared import outbox
from bellwether_shared.events import renewals as ev
from renewals import errors, ownership, repository, service
from renewals.domain import deal_quality as dq
from renewals.reassess import envelope

REVIEW_COLUMNS = """deal_id, account_id, contract_id, ae, lead_source, lead_score, answers, discount_pct, score, band,
    flags, status, proposed_by, proposal_note, failed_criteria, decided_by, decided_at, opened_at, updated_at"""


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    import calendar

    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


async def open_review(
    conn: asyncpg.Connection, *, deal: dict[str, Any], actor: str, now: datetime, lead_days: int, trend_days: int
) -> asyncpg.Record:
    """Idempotent per deal: a second call returns the review already open."""
    existing = await get_review(conn, deal_id=deal["deal_id"])
    if existing is not None:
        return existing
    start = deal["start_date"]
    list_price, arr = float(deal["list_price"]), float(deal["arr"])
    discount = round(max(0.0, (1 - arr / list_price) * 100), 2) if list_price > 0 else 0.0
    contract = {
        "contract_id": deal.get("contract_id") or deal["deal_id"],
        "account_id": deal["account_id"],
        "deal_id": deal["deal_id"],
        "start_date": start,
        "end_date": add_months(start, deal["term_months"]),
        "term_months": deal["term_months"],
        "arr": arr,
        "list_price": list_price,
        "discount_pct": discount,
        "products": deal.get("products") or [],
    }
    if deal.get("ae"):
        owners = await repository.owners(conn, account_id=deal["account_id"])
        if owners["ae"] is None:
            await ownership.set_owners(
                conn,
                account_id=deal["account_id"],
                owners={"ae": deal["ae"]},
                reason="the AE who closed the deal",
                actor=actor,
                now=now,
            )
    q = deal["qualification"]
    quality = dq.evaluate(
        dq.Answers(
            problem_severity=q["problem_severity"],
            expected_duration_months=q["expected_duration_months"],
            buying_department_fit=q["buying_department_fit"],
            champion_fit=q["champion_fit"],
            technology_ready=q["technology_ready"],
            services_sold_hours=q["services_sold_hours"],
            services_needed_hours=q["services_needed_hours"],
            order_form_exceptions=q.get("order_form_exceptions", False),
            order_form_exceptions_documented=q.get("order_form_exceptions_documented", True),
            discount_pct=discount,
        )
    )
    flags = [{"criterion": f.criterion.value, "reason": f.reason} for f in quality.flags]
    # the review first: the contract's renewal risk reads its flags
    row = await conn.fetchrow(
        f"""INSERT INTO handoff_reviews (deal_id, account_id, ae, lead_source, lead_score, answers, discount_pct, score,
                                         band, flags)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {REVIEW_COLUMNS}""",
        deal["deal_id"],
        deal["account_id"],
        deal.get("ae"),
        deal.get("lead_source"),
        deal.get("lead_score"),
        q,
        discount,
        quality.score,
        quality.band,
        flags,
    )
    await service.record_contract(conn, c=contract, actor=actor, now=now, lead_days=lead_days, trend_days=trend_days)
    await conn.execute(
        "UPDATE handoff_reviews SET contract_id = $2 WHERE deal_id = $1", deal["deal_id"], contract["contract_id"]
    )
    await repository.audit(
        conn,
        entity_type="review",
        entity_id=deal["deal_id"],
        action="opened",
        actor=actor,
        details={
            "score": quality.score,
            "band": quality.band,
            "flags": flags,
        },
    )
    await outbox.add(
        conn,
        [
            envelope(
                ev.HandoffReviewOpened(
                    account_id=deal["account_id"],
                    deal_id=deal["deal_id"],
                    score=quality.score,
                    band=quality.band,
                    flags=[ev.QualityFlag(**f) for f in flags],
                    ae=deal.get("ae"),
                    lead_source=deal.get("lead_source"),
                ),
                now,
            )
        ],
    )
    assert row is not None
    fresh = await get_review(conn, deal_id=deal["deal_id"])
    assert fresh is not None
    return fresh


async def get_review(conn: asyncpg.Connection, *, deal_id: str, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT {REVIEW_COLUMNS} FROM handoff_reviews WHERE deal_id = $1{suffix}", deal_id)


async def list_reviews(
    conn: asyncpg.Connection, *, status: str | None, band: str | None, limit: int, offset: int
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {REVIEW_COLUMNS} FROM handoff_reviews WHERE ($1::text IS NULL OR status = $1)
            AND ($2::text IS NULL OR band = $2) ORDER BY opened_at DESC, deal_id LIMIT $3 OFFSET $4""",
        status,
        band,
        limit,
        offset,
    )
    return rows


async def _locked(conn: asyncpg.Connection, deal_id: str) -> asyncpg.Record:
    row = await get_review(conn, deal_id=deal_id, lock=True)
    if row is None:
        raise errors.NotFound(f"deal_id: no hand-off review for deal '{deal_id}'")
    return row


async def propose_rejection(
    conn: asyncpg.Connection, *, deal_id: str, failed: list[str], note: str | None, actor: str, now: datetime
) -> asyncpg.Record:
    row = await _locked(conn, deal_id)
    if row["status"] not in ("open", "accepted"):
        raise errors.Conflict(f"status: the review is {row['status']}")
    await conn.execute(
        """UPDATE handoff_reviews SET status = 'rejection_proposed', proposed_by = $2, proposal_note = $3,
             failed_criteria = $4, updated_at = now() WHERE deal_id = $1""",
        deal_id,
        actor,
        note,
        failed,
    )
    await repository.audit(
        conn,
        entity_type="review",
        entity_id=deal_id,
        action="rejection_proposed",
        actor=actor,
        details={"failed_criteria": failed, "note": note},
    )
    await outbox.add(
        conn,
        [
            envelope(
                ev.DealRejectionProposed(
                    account_id=row["account_id"], deal_id=deal_id, proposed_by=actor, failed_criteria=failed, note=note
                ),
                now,
            )
        ],
    )
    return await _locked(conn, deal_id)


async def decide_rejection(
    conn: asyncpg.Connection, *, deal_id: str, approve: bool, note: str | None, actor: str, now: datetime
) -> asyncpg.Record:
    row = await _locked(conn, deal_id)
    if row["status"] != "rejection_proposed":
        raise errors.Conflict(f"status: no rejection is proposed (the review is {row['status']})")
    if row["proposed_by"] == actor:
        raise errors.Forbidden("actor: who proposes a rejection may not decide it")
    status = "rejected" if approve else "open"
    await conn.execute(
        """UPDATE handoff_reviews SET status = $2, decided_by = $3, decided_at = now(), updated_at = now()
           WHERE deal_id = $1""",
        deal_id,
        status,
        actor,
    )
    action = "rejection_approved" if approve else "rejection_declined"
    await repository.audit(
        conn, entity_type="review", entity_id=deal_id, action=action, actor=actor, details={"note": note}
    )
    event: ev.RenewalsEvent = (
        ev.DealRejected(
            account_id=row["account_id"],
            deal_id=deal_id,
            proposed_by=row["proposed_by"],
            approved_by=actor,
            failed_criteria=list(row["failed_criteria"]),
        )
        if approve
        else ev.DealRejectionDeclined(account_id=row["account_id"], deal_id=deal_id, declined_by=actor, note=note)
    )
    await outbox.add(conn, [envelope(event, now)])
    return await _locked(conn, deal_id)


async def accept(conn: asyncpg.Connection, *, deal_id: str, actor: str, now: datetime) -> asyncpg.Record:
    row = await _locked(conn, deal_id)
    if row["status"] != "open":
        raise errors.Conflict(f"status: the review is {row['status']}")
    await conn.execute("UPDATE handoff_reviews SET status = 'accepted', updated_at = now() WHERE deal_id = $1", deal_id)
    await repository.audit(conn, entity_type="review", entity_id=deal_id, action="accepted", actor=actor, details={})
    await outbox.add(
        conn, [envelope(ev.DealAccepted(account_id=row["account_id"], deal_id=deal_id, accepted_by=actor), now)]
    )
    return await _locked(conn, deal_id)


def quality_flags(quality: dq.Quality) -> list[dict[str, Any]]:
    return [asdict(f) for f in quality.flags]
