"""Hand-off reviews: deal quality of closed-won deals, and the reject → approve flow."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import page
from renewals import deal_schemas, handoff, handoff_repository as reviews
from renewals.deps import Caller, Decider, Proposer, Reader, Writer, plain, transaction

router = APIRouter(
    prefix="/v1/reviews", tags=["hand-off"], responses={401: {"description": "missing or unknown API key"}}
)


@router.post("", status_code=201)
async def open_review(body: deal_schemas.DealIn, caller: Writer) -> dict[str, Any]:
    """A closed-won deal entered by hand (deals sent as signals to ingest open theirs automatically):
    its contract, its deal-quality score and flags. Idempotent per `deal_id`."""
    s = caller.rt.settings
    async with transaction(caller) as uow:
        row = await handoff.open_review(
            uow,
            deal=body.model_dump(mode="python"),
            actor=caller.actor,
            horizon=s.horizon(),
        )
    return plain(row)


@router.get("")
async def list_reviews(
    caller: Reader,
    status: Literal["open", "accepted", "rejection_proposed", "rejected"] | None = None,
    band: Literal["good", "fair", "poor", "answers_missing"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    async with caller.rt.pool.acquire() as conn:
        rows = await reviews.list_reviews(conn, status=status, band=band, limit=limit, offset=offset)
    return page([plain(r) for r in rows], limit=limit, offset=offset, legacy="reviews")


@router.get("/{deal_id}")
async def get_review(deal_id: str, caller: Reader) -> dict[str, Any]:
    async with caller.rt.pool.acquire() as conn:
        row = await reviews.get_review(conn, deal_id=deal_id)
    if row is None:
        raise ApiError(404, "not_found", f"deal_id: no hand-off review for deal '{deal_id}'")
    return plain(row)


@router.put("/{deal_id}/answers", responses={404: {"description": "no review for the deal"}})
async def record_answers(deal_id: str, body: deal_schemas.AnswersIn, caller: Proposer) -> dict[str, Any]:
    """CS records or amends the hand-off answers at kickoff, the checkpoint: the review is re-scored
    (any failed criterion flags the deal), the change audited with before and after, and announced."""
    async with transaction(caller) as uow:
        row = await handoff.record_answers(
            uow, deal_id=deal_id, answers=body.answers, note=body.note, actor=caller.actor
        )
    return plain(row)


@router.post("/{deal_id}/accept")
async def accept(deal_id: str, caller: Writer) -> dict[str, Any]:
    async with transaction(caller) as uow:
        return plain(await handoff.accept(uow, deal_id=deal_id, actor=caller.actor))


@router.post("/{deal_id}/propose-rejection")
async def propose_rejection(deal_id: str, body: deal_schemas.RejectionIn, caller: Proposer) -> dict[str, Any]:
    """A CSM proposes rejecting the deal, citing the criteria it fails; a VP of CS decides."""
    async with transaction(caller) as uow:
        row = await handoff.propose_rejection(
            uow, deal_id=deal_id, failed=[c.value for c in body.failed_criteria], note=body.note, actor=caller.actor
        )
    return plain(row)


async def _decide(deal_id: str, approve: bool, body: deal_schemas.DecisionIn, caller: Caller) -> dict[str, Any]:
    async with transaction(caller) as uow:
        row = await handoff.decide_rejection(uow, deal_id=deal_id, approve=approve, note=body.note, actor=caller.actor)
    return plain(row)


@router.post("/{deal_id}/approve-rejection", responses={403: {"description": "not a VP of CS, or the proposer"}})
async def approve_rejection(deal_id: str, body: deal_schemas.DecisionIn, caller: Decider) -> dict[str, Any]:
    """VP of CS only, and not the proposer: the deal becomes rejected and leaves the CSM's book metrics."""
    return await _decide(deal_id, True, body, caller)


@router.post("/{deal_id}/decline-rejection", responses={403: {"description": "not a VP of CS, or the proposer"}})
async def decline_rejection(deal_id: str, body: deal_schemas.DecisionIn, caller: Decider) -> dict[str, Any]:
    return await _decide(deal_id, False, body, caller)
