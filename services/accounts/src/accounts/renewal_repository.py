"""The account view's renewals: contracts, renewal opportunities and rejected deals, latest-wins by the
time the event carries. Each renewals event says part of what an opportunity is; ``RenewalFacts`` holds
what one event says (None: it says nothing about that field), built from the typed event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from bellwether_shared.events import renewals as rev


@dataclass(frozen=True, slots=True, kw_only=True)
class RenewalFacts:
    account_id: str
    opportunity_id: str
    kind: str | None = None
    renewal_date: date | None = None
    arr: float | None = None
    owner_id: str | None = None
    at_risk: bool | None = None
    level: str | None = None
    points: float | None = None
    reasons: list[dict[str, Any]] | None = None  # None: this event says nothing about the risk's reasons
    outcome: str | None = None
    contract_id: str | None = None
    arr_change: float | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None


RiskEvent = rev.RenewalRiskChanged | rev.RenewalRiskAssessed


def facts_of(e: rev.RenewalsEvent) -> RenewalFacts | None:
    """What a renewals event says about an opportunity (None: it is not about one)."""
    match e:
        case rev.OpportunityCreated():
            return RenewalFacts(
                account_id=e.account_id,
                opportunity_id=e.opportunity_id,
                kind=e.kind,
                renewal_date=e.renewal_date,
                arr=e.arr,
                owner_id=e.owner_id,
                contract_id=e.contract_id,
            )
        case rev.RenewalUpcoming():
            return RenewalFacts(
                account_id=e.account_id,
                opportunity_id=e.opportunity_id,
                renewal_date=e.renewal_date,
                arr=e.arr,
                owner_id=e.owner_id,
                at_risk=e.at_risk,
            )
        case rev.RenewalRiskChanged() | rev.RenewalRiskAssessed():
            return _risk(e)
        case rev.RenewalClosed():
            return RenewalFacts(
                account_id=e.account_id,
                opportunity_id=e.opportunity_id,
                renewal_date=e.renewal_date,
                arr=e.arr,
                outcome=e.outcome,
                arr_change=e.arr_change,
                closed_at=e.closed_at,
                close_reason=e.reason,
            )
        case rev.OwnershipChanged() if e.opportunity_id is not None:
            return RenewalFacts(account_id=e.account_id, opportunity_id=e.opportunity_id, owner_id=e.new_owner_id)
    return None


def _risk(e: RiskEvent) -> RenewalFacts:
    return RenewalFacts(
        account_id=e.account_id,
        opportunity_id=e.opportunity_id,
        renewal_date=e.renewal_date,
        arr=e.arr,
        owner_id=e.owner_id,
        at_risk=e.at_risk,
        level=e.level,
        points=e.points,
        reasons=[r.model_dump(mode="json") for r in e.reasons],
    )


async def upsert_contract(conn: asyncpg.Connection, *, e: rev.ContractChanged, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO contracts VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, contract_id) DO UPDATE
           SET start_date = excluded.start_date, end_date = excluded.end_date, arr = excluded.arr,
               products = excluded.products, changed_at = excluded.changed_at
           WHERE excluded.changed_at >= contracts.changed_at""",
        e.account_id,
        e.contract_id,
        e.start_date,
        e.end_date,
        e.arr,
        list(e.products),
        at,
    )


async def upsert_renewal(conn: asyncpg.Connection, *, f: RenewalFacts, at: datetime) -> None:
    """An opportunity, its risk and outcome: each event fills what it knows (latest wins per field set)."""
    await conn.execute(
        """INSERT INTO renewals (account_id, opportunity_id, kind, renewal_date, arr, owner_id, at_risk, risk_level,
                                 risk_points, risk_reasons, outcome, changed_at, contract_id, arr_change, closed_at,
                                 close_reason)
           VALUES ($1, $2, coalesce($3::text, 'renewal'), $4, $5, $6, coalesce($7::bool, false), $8, $9,
                   coalesce($10::jsonb, '[]'), $11, $12, $13, $14, $15, $16)
           ON CONFLICT (account_id, opportunity_id) DO UPDATE SET
             kind = coalesce($3::text, renewals.kind),
             renewal_date = coalesce(excluded.renewal_date, renewals.renewal_date),
             arr = coalesce(excluded.arr, renewals.arr), owner_id = coalesce(excluded.owner_id, renewals.owner_id),
             at_risk = CASE WHEN $7::bool IS NULL THEN renewals.at_risk ELSE excluded.at_risk END,
             risk_level = coalesce(excluded.risk_level, renewals.risk_level),
             risk_points = coalesce(excluded.risk_points, renewals.risk_points),
             risk_reasons = CASE WHEN $10::jsonb IS NULL THEN renewals.risk_reasons ELSE excluded.risk_reasons END,
             outcome = coalesce(excluded.outcome, renewals.outcome), changed_at = greatest(renewals.changed_at, $12),
             contract_id = coalesce(excluded.contract_id, renewals.contract_id),
             arr_change = coalesce(excluded.arr_change, renewals.arr_change),
             closed_at = coalesce(excluded.closed_at, renewals.closed_at),
             close_reason = coalesce(excluded.close_reason, renewals.close_reason)
           WHERE $12 >= renewals.changed_at OR $11::text IS NOT NULL""",
        f.account_id,
        f.opportunity_id,
        f.kind,
        f.renewal_date,
        f.arr,
        f.owner_id,
        f.at_risk,
        f.level,
        f.points,
        f.reasons,
        f.outcome,
        at,
        f.contract_id,
        f.arr_change,
        f.closed_at,
        f.close_reason,
    )


async def deal_rejected(conn: asyncpg.Connection, *, e: rev.DealRejected, at: datetime) -> None:
    await conn.execute("UPDATE accounts SET deal_rejected = true WHERE account_id = $1", e.account_id)
