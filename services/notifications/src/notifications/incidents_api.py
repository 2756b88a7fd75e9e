"""Incidents: what each person was told about each account, with every cause (one incident per account
and person within the grouping window)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import page
from notifications import incident_repository as ir
from notifications.deps import Reader

router = APIRouter(prefix="/v1", tags=["incidents"], responses={401: {"description": "missing or wrong token"}})


def _with_causes(incident: dict[str, Any], causes: list[Any]) -> dict[str, Any]:
    mine = [
        {k: c[k] for k in ("alert_id", "rule_id", "severity", "title", "text", "created_at", "outcome")}
        for c in causes
        if c["incident_id"] == incident["incident_id"]
    ]
    return {**incident, "causes": mine}


@router.get("/incidents")
async def incidents(
    acting: Reader,
    account_id: str | None = None,
    recipient: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Newest first: per account and person, the severity (the highest of its causes), whether the person
    was told at once, its revision (one more per cause) and every cause with what became of it."""
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = [
            dict(r)
            for r in await ir.list_incidents(
                conn, account_id=account_id, recipient=recipient, limit=limit, offset=offset
            )
        ]
        causes = await ir.causes(conn, incident_ids=[r["incident_id"] for r in rows])
    return page([_with_causes(r, list(causes)) for r in rows], limit=limit, offset=offset)


@router.get("/incidents/{incident_id}", responses={404: {"description": "no such incident"}})
async def incident(incident_id: str, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await ir.get_incident(conn, incident_id=incident_id)
        if row is None:
            raise ApiError(404, "not_found", f"incident_id: no incident '{incident_id}'")
        causes = await ir.causes(conn, incident_ids=[incident_id])
    return _with_causes(row, list(causes))
