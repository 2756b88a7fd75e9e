"""Notifications API: alert rules, people, and the alerts with why they fired or were suppressed."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter

from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import page
from notifications import alert_repository as ar, directory, repository, schemas, task_repository
from notifications.deps import Configurer, Reader

router = APIRouter(prefix="/v1", tags=["rules and people"], responses={401: {"description": "missing or wrong token"}})
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


def _id(field: str, value: str) -> str:
    if not _ID.match(value):
        raise ApiError(
            422,
            "validation_error",
            f"{field}: lower-case letters, digits, '_', '.', '-' (at most 100)",
            errors=[{"field": field, "reason": "invalid identifier"}],
        )
    return value


@router.get("/rules")
async def list_rules(acting: Reader, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await repository.list_rules(conn, limit=limit, offset=offset)
    return page([dict(r) for r in rows], limit=limit, offset=offset, legacy="rules")


@router.get("/rules/{rule_id}")
async def get_rule(rule_id: str, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await repository.get_rule(conn, rule_id=rule_id)
    if row is None:
        raise ApiError(404, "not_found", f"rule_id: no rule '{rule_id}'")
    return dict(row)


@router.put("/rules/{rule_id}")
async def put_rule(rule_id: str, body: schemas.RuleIn, acting: Configurer) -> dict[str, Any]:
    """Create or replace a rule: event type, conditions on `event.*` and `account.*` (tier, arr, colour,
    score, days_to_renewal, renewal_date), severity, recipients by role (csm, ae, renewal_owner, vp) or by
    person id (`$event.<field>`: a person the event names), de-duplication window and key fields."""
    rt = acting.rt
    rule_id = _id("rule_id", rule_id)
    async with rt.pool.acquire() as conn:
        if body.playbook_id and await task_repository.current_playbook(conn, playbook_id=body.playbook_id) is None:
            reason = f"no active playbook '{body.playbook_id}' (GET /v1/playbooks)"
            raise ApiError(
                422, "validation_error", f"playbook_id: {reason}", errors=[{"field": "playbook_id", "reason": reason}]
            )
        return dict(await directory.put_rule(conn, rule_id=rule_id, rule=body))


@router.delete("/rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: str, acting: Configurer) -> None:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        if not await directory.delete_rule(conn, rule_id=rule_id):
            raise ApiError(404, "not_found", f"rule_id: no rule '{rule_id}'")


@router.get("/people")
async def list_people(acting: Reader, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await repository.list_people(conn, limit=limit, offset=offset)
    return page([dict(r) for r in rows], limit=limit, offset=offset, legacy="people")


@router.put("/people/{person_id}")
async def put_person(person_id: str, body: schemas.PersonIn, acting: Configurer) -> dict[str, Any]:
    """A recipient (ids are the owner ids other services use: CSM, AE, renewal owner; role `vp` receives
    what rules address to the VP of CS). With an e-mail address, an e-mail destination and a
    subscription are created for them once."""
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        row = await directory.put_person(conn, person_id=person_id, person=body)
    return dict(row)


@router.get("/alerts")
async def alerts(
    acting: Reader, account_id: str | None = None, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    """Recent alerts: why each fired, and for each recipient what became of it (sent, duplicate, digest,
    throttled into the digest, or no destination) and why."""
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await ar.alerts(conn, account_id=account_id, limit=limit, offset=offset)
    return page([dict(r) for r in rows], limit=limit, offset=offset, legacy="alerts")
