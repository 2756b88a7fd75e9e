"""Telling every requester when a request ships: each account that asked (renewals keeps the links) is
announced once (``request_shipped``), urgent or for the digest as ``domain.requests`` decides, never a
churned one. Called in the consumer's unit of work, so the announcement commits with the status."""

from __future__ import annotations

from bellwether_shared.events import renewals as ev
from bellwether_shared.uow import UnitOfWork
from renewals import request_repository as requests
from renewals.domain.requests import urgency


async def tell_requesters(uow: UnitOfWork, *, request_id: str) -> int:
    """Announce the shipped request to each asking account not told yet; returns how many were told."""
    today = uow.now.date()
    rows = await requests.untold_requesters(uow.conn, request_id=request_id)
    for r in rows:
        days = (r["renewal_date"] - today).days if r["renewal_date"] is not None else None
        how = urgency(days_to_renewal=days, churned=bool(r["churned"]))
        if how is None:
            continue
        uow.emit(
            ev.RequestShipped(
                account_id=r["account_id"],
                request_id=request_id,
                title=r["title"],
                kind=r["kind"],
                urgency=how,
                renewal_date=r["renewal_date"],
                days_to_renewal=days,
                arr=r["arr"],
            )
        )
    await requests.mark_told(uow.conn, request_id=request_id, account_ids=[r["account_id"] for r in rows])
    return len(rows)
