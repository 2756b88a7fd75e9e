"""Closing an opportunity: once, with its outcome and ARR change; a renewal that did not churn rolls its
contract forward (domain.lifecycle), recorded like any contract so its own renewal opens in time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import asyncpg

from bellwether_shared.events import renewals as ev
from bellwether_shared.uow import UnitOfWork
from renewals import contract_repository as contracts, opportunities, opportunity_repository as opps, repository
from renewals.domain import commands, lifecycle
from renewals.domain.errors import Conflict, NotFound
from renewals.reassess import Horizon


async def close(
    uow: UnitOfWork,
    *,
    opportunity_id: str,
    outcome: str,
    arr_change: float | None,
    actor: str,
    horizon: Horizon,
    reason: str | None = None,
    note: str | None = None,
    next_terms: NextTerms | None = None,
) -> asyncpg.Record:
    """Close once; a churn takes the whole ARR (whatever change was given). A renewal that did not churn
    rolls its contract forward (domain.lifecycle): the next term is recorded like any contract, so its
    own renewal opens in time."""
    conn = uow.conn
    row = await _closable(conn, opportunity_id)
    colour = await repository.health_colour(conn, account_id=row["account_id"])
    arr_change = -float(row["arr"]) if outcome == "churned" else (arr_change or 0.0)
    closed = await opps.close(
        conn,
        opportunity_id=opportunity_id,
        outcome=outcome,
        arr_change=arr_change,
        colour=colour,
        reason=reason,
        note=note,
    )
    nxt = await _roll_forward(uow, row, outcome, arr_change, actor, horizon, next_terms or NextTerms())
    _announce(uow, row, closed, actor=actor, colour=colour, note=note, next_contract_id=nxt)
    return closed


async def _closable(conn: asyncpg.Connection, opportunity_id: str) -> asyncpg.Record:
    """The opportunity, locked, if it is open. Lock order: the account, then its opportunities, as the
    consumer does (health → risk), or the two deadlock when the contract rolls forward."""
    await repository.lock_account_of(conn, opportunity_id=opportunity_id)
    row = await opps.get_opportunity(conn, opportunity_id=opportunity_id, lock=True)
    if row is None:
        raise NotFound(f"opportunity_id: no opportunity '{opportunity_id}'")
    if row["stage"] == "closed":
        raise Conflict(f"stage: already closed as {row['outcome']}")
    return row


def _announce(
    uow: UnitOfWork,
    row: asyncpg.Record,
    closed: asyncpg.Record,
    *,
    actor: str,
    colour: str | None,
    note: str | None,
    next_contract_id: str | None,
) -> None:
    """The close in the audit trail and as ``renewal_closed``."""
    outcome, arr_change, reason = closed["outcome"], float(closed["arr_change"]), closed["close_reason"]
    uow.audit(
        entity_type="opportunity",
        entity_id=row["opportunity_id"],
        action="closed",
        actor=actor,
        details={
            "outcome": outcome,
            "arr_change": arr_change,
            "health_colour": colour,
            "reason": reason,
            "note": note,
            "next_contract_id": next_contract_id,
        },
    )
    uow.emit(
        ev.RenewalClosed(
            account_id=row["account_id"],
            opportunity_id=row["opportunity_id"],
            outcome=cast(ev.Outcome, outcome),
            arr=float(row["arr"]),
            arr_change=arr_change,
            closed_at=closed["closed_at"],
            reason=reason,
            renewal_date=row["renewal_date"],
            next_contract_id=next_contract_id,
        )
    )


@dataclass(frozen=True, slots=True)
class NextTerms:
    """What closing a renewal may say of the next term: its list price (else the old one stands) and a
    temporary discount granted with it (a temporary discount never rolls forward by itself)."""

    list_price: float | None = None
    temporary_discount: dict[str, Any] | None = None


async def _roll_forward(
    uow: UnitOfWork,
    row: asyncpg.Record,
    outcome: str,
    arr_change: float,
    actor: str,
    horizon: Horizon,
    terms: NextTerms,
) -> str | None:
    """The contract's next term, for a renewal that did not churn (expansions have no contract)."""
    if row["kind"] != "renewal" or row["contract_id"] is None:
        return None
    old = await contracts.get_contract(uow.conn, contract_id=row["contract_id"])
    if old is None:
        return None
    old_price = float(old["list_price"]) if old["list_price"] is not None else None
    term = lifecycle.next_term(
        contract_id=old["contract_id"],
        end_date=old["end_date"],
        term_months=old["term_months"],
        arr=float(old["arr"]),
        arr_change=arr_change,
        outcome=outcome,
        list_price=old_price,
        new_list_price=terms.list_price,
    )
    if term is None:
        return None
    c = commands.ContractTerms(
        contract_id=term.contract_id,
        account_id=old["account_id"],
        deal_id=None,  # a renewal, not a sale
        origin_deal_id=old["origin_deal_id"] or old["deal_id"],  # its lineage: the deal it came from
        start_date=term.start_date,
        end_date=term.end_date,
        term_months=term.term_months,
        arr=term.arr,
        list_price=term.list_price,
        discount_pct=term.discount_pct,
        products=list(old["products"] or []),
        **commands.ContractTerms.discount_of(terms.temporary_discount),
    )
    await opportunities.record_contract(uow, c=c, actor=actor, horizon=horizon)
    return term.contract_id
