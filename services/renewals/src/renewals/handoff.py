"""Deal quality at the sales-to-CS hand-off: a closed-won deal opens a review (its contract, its
renewal when close, its deal-quality score and flags); a CSM may propose rejecting it citing
failed criteria; a VP of CS — someone else — approves (the deal leaves the CSM's book metrics)
or declines. Every step is audited and announced through the caller's unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import asyncpg

from bellwether_shared.events import ingest as iev, renewals as ev
from bellwether_shared.pricing import discount_pct
from bellwether_shared.uow import UnitOfWork
from renewals import (
    handoff_repository as reviews,
    opportunities,
    ownership,
    repository,
)
from renewals.domain import commands, deal_quality as dq, errors
from renewals.domain.lifecycle import add_months
from renewals.reassess import Horizon


async def open_review(uow: UnitOfWork, *, deal: dict[str, Any], actor: str, horizon: Horizon) -> asyncpg.Record:
    """Idempotent per deal: a second call returns the review already open."""
    conn = uow.conn
    existing = await reviews.get_review(conn, deal_id=deal["deal_id"])
    if existing is not None:
        return existing
    discount = discount_pct(arr=float(deal["arr"]), list_price=float(deal["list_price"])) or 0.0
    contract = _contract_of(deal, discount)
    if deal.get("ae"):
        owners = await repository.owners(conn, account_id=deal["account_id"])
        if owners["ae"] is None:
            await ownership.set_owners(
                uow,
                account_id=deal["account_id"],
                owners={"ae": deal["ae"]},
                reason="the AE who closed the deal",
                actor=actor,
            )
    answers = deal.get("qualification")
    quality = _quality(answers, discount)
    flags = quality_flags(quality)
    # the review first: the contract's renewal risk reads its flags
    await reviews.insert_review(
        conn,
        review=commands.NewReview(
            deal_id=deal["deal_id"],
            account_id=deal["account_id"],
            ae=deal.get("ae"),
            lead_source=deal.get("lead_source"),
            lead_score=deal.get("lead_score"),
            answers=deal.get("qualification"),
            discount_pct=discount,
            score=quality.score,
            band=quality.band,
            flags=flags,
        ),
    )
    await opportunities.record_contract(uow, c=contract, actor=actor, horizon=horizon)
    await reviews.link_contract(conn, deal_id=deal["deal_id"], contract_id=contract.contract_id)
    uow.audit(
        entity_type="review",
        entity_id=deal["deal_id"],
        action="opened",
        actor=actor,
        details={"score": quality.score, "band": quality.band, "flags": flags},
    )
    _announce(uow, review=deal, quality=quality, previous=None, actor=actor)
    fresh = await reviews.get_review(conn, deal_id=deal["deal_id"])
    assert fresh is not None
    return fresh


def _contract_of(deal: Mapping[str, Any], discount: float) -> commands.ContractTerms:
    """The contract a closed-won deal starts: its terms from the deal's start, for the deal's term."""
    start = deal["start_date"]
    return commands.ContractTerms(
        contract_id=deal.get("contract_id") or deal["deal_id"],
        account_id=deal["account_id"],
        deal_id=deal["deal_id"],
        start_date=start,
        end_date=add_months(start, deal["term_months"]),
        term_months=deal["term_months"],
        arr=float(deal["arr"]),
        list_price=float(deal["list_price"]),
        discount_pct=discount,
        products=deal.get("products") or [],
        **commands.ContractTerms.discount_of(deal.get("temporary_discount")),
    )


def _quality(answers: Any, discount: float) -> dq.Quality:
    if answers is None:
        return dq.evaluate(None)
    return dq.evaluate(dq.Answers.of(iev.Qualification.model_validate(answers), discount_pct=discount))


def _announce(
    uow: UnitOfWork, *, review: Mapping[str, Any], quality: dq.Quality, previous: dq.Band | None, actor: str
) -> None:
    uow.emit(
        ev.HandoffReviewScored(
            account_id=review["account_id"],
            deal_id=review["deal_id"],
            score=quality.score,
            band=quality.band,
            flagged=quality.flagged,
            flags=[ev.QualityFlag(**f) for f in quality_flags(quality)],
            previous_band=previous,
            scored_by=actor,
            ae=review.get("ae"),
            lead_source=review.get("lead_source"),
        )
    )


async def record_answers(
    uow: UnitOfWork, *, deal_id: str, answers: iev.Qualification, note: str | None, actor: str
) -> asyncpg.Record:
    """CS records (or amends) the hand-off answers at kickoff: the review is re-scored with them, the
    change audited (before and after) and announced."""
    conn = uow.conn
    row = await _locked(conn, deal_id)
    if row["status"] == "rejected":
        raise errors.Conflict("status: the deal was rejected at hand-off; its answers are final")
    quality = _quality(answers.model_dump(), float(row["discount_pct"]))
    flags = quality_flags(quality)
    await reviews.rescore(
        conn,
        deal_id=deal_id,
        answers=answers,
        score=quality.score,
        band=quality.band,
        flags=flags,
        actor=actor,
    )
    uow.audit(
        entity_type="review",
        entity_id=deal_id,
        action="answers_recorded",
        actor=actor,
        details={
            "before": {"answers": row["answers"], "band": row["band"], "score": row["score"]},
            "after": {"answers": answers.model_dump(), "band": quality.band, "score": quality.score},
            "note": note,
        },
    )
    _announce(uow, review=dict(row), quality=quality, previous=row["band"], actor=actor)
    return await _locked(conn, deal_id)


async def _locked(conn: asyncpg.Connection, deal_id: str) -> asyncpg.Record:
    row = await reviews.get_review(conn, deal_id=deal_id, lock=True)
    if row is None:
        raise errors.NotFound(f"deal_id: no hand-off review for deal '{deal_id}'")
    return row


async def propose_rejection(
    uow: UnitOfWork, *, deal_id: str, failed: list[str], note: str | None, actor: str
) -> asyncpg.Record:
    conn = uow.conn
    row = await _locked(conn, deal_id)
    if row["status"] not in ("open", "accepted"):
        raise errors.Conflict(f"status: the review is {row['status']}")
    await reviews.propose_rejection(conn, deal_id=deal_id, actor=actor, note=note, failed=failed)
    uow.audit(
        entity_type="review",
        entity_id=deal_id,
        action="rejection_proposed",
        actor=actor,
        details={"failed_criteria": failed, "note": note},
    )
    uow.emit(
        ev.DealRejectionProposed(
            account_id=row["account_id"], deal_id=deal_id, proposed_by=actor, failed_criteria=failed, note=note
        )
    )
    return await _locked(conn, deal_id)


async def decide_rejection(
    uow: UnitOfWork, *, deal_id: str, approve: bool, note: str | None, actor: str
) -> asyncpg.Record:
    conn = uow.conn
    row = await _locked(conn, deal_id)
    if row["status"] != "rejection_proposed":
        raise errors.Conflict(f"status: no rejection is proposed (the review is {row['status']})")
    if row["proposed_by"] == actor:
        raise errors.Forbidden("actor: who proposes a rejection may not decide it")
    status = "rejected" if approve else "open"
    await reviews.decide(conn, deal_id=deal_id, status=status, actor=actor)
    action = "rejection_approved" if approve else "rejection_declined"
    uow.audit(entity_type="review", entity_id=deal_id, action=action, actor=actor, details={"note": note})
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
    uow.emit(event)
    return await _locked(conn, deal_id)


async def accept(uow: UnitOfWork, *, deal_id: str, actor: str) -> asyncpg.Record:
    conn = uow.conn
    row = await _locked(conn, deal_id)
    if row["status"] != "open":
        raise errors.Conflict(f"status: the review is {row['status']}")
    await reviews.accept(conn, deal_id=deal_id)
    uow.audit(entity_type="review", entity_id=deal_id, action="accepted", actor=actor, details={})
    uow.emit(ev.DealAccepted(account_id=row["account_id"], deal_id=deal_id, accepted_by=actor))
    return await _locked(conn, deal_id)


def quality_flags(quality: dq.Quality) -> list[dict[str, Any]]:
    return [asdict(f) for f in quality.flags]
