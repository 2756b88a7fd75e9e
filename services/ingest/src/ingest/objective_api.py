"""Objective templates: list them, and start an account's goals from one. The goals are ``goal.updated``
signals like any other (the same scopes, account restrictions, validation and outbox), sent for the
caller's write key; health computes their progress, the account view shows them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from bellwether_shared.envelope import utcnow
from bellwether_shared.http import ApiError, JSONResponse
from bellwether_shared.objectives import goals_from
from ingest import objective_schemas as schemas, schemas as common, signals
from ingest.api import ERRORS, answer, rate_limit
from ingest.auth import write_key_from
from ingest.deps import Public

router = APIRouter(prefix="/v1", tags=["signals"])


@router.get("/objective-templates", response_model=list[schemas.TemplateOut], responses=ERRORS)
async def list_templates(request: Request, rt: Public) -> list[schemas.TemplateOut]:
    """The objectives each kind of customer usually buys for, each with its metric and playbook."""
    await rt.auth.authenticate(write_key_from(request.headers.get("authorization"), {}))
    return [schemas.TemplateOut.model_validate(t, from_attributes=True) for t in rt.settings.templates().values()]


@router.post(
    "/accounts/{account_id}/goals/from-template",
    response_model=common.Accepted,
    responses=ERRORS,
    summary="Start an account's goals from an objective template (one goal.updated per objective)",
)
async def goals_from_template(
    account_id: str, req: schemas.GoalsFromTemplate, request: Request, rt: Public
) -> JSONResponse:
    source = await rt.auth.authenticate(write_key_from(request.headers.get("authorization"), {}))
    rt.intake.ready()
    templates = rt.settings.templates()
    template = templates.get(req.template)
    if template is None:
        known = ", ".join(sorted(templates))
        raise ApiError(422, "validation_error", f"template: unknown '{req.template}'; known: {known}", field="template")
    message = req.message_id or str(uuid.uuid4())
    now = utcnow()
    items = [
        {"type": "goal.updated", "account_id": account_id, "message_id": f"{message}:{goal['goal_id']}"[:100]}
        | goal
        | {"occurred_at": now.isoformat()}
        for goal in goals_from(template, today=now.date(), due_days=req.due_days)
    ]
    rate_limit(rt, source, len(items))
    outcome = await signals.accept_signals(
        rt.intake, source_id=source.id, grant=source.grant, request_id=str(uuid.uuid4()), items=items
    )
    return answer(outcome)
