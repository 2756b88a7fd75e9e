"""Hand-off reviews: one row per closed-won deal with its answers, score, flags and the rejection
workflow's state. Keyword-only, parameterised."""

from __future__ import annotations

import asyncpg

from bellwether_shared.documents import Document
from bellwether_shared.events import ingest as iev
from renewals.domain.commands import NewReview

REVIEW_COLUMNS = """deal_id, account_id, contract_id, ae, lead_source, lead_score, answers, discount_pct, score, band,
    flags, status, proposed_by, proposal_note, failed_criteria, decided_by, decided_at, opened_at, updated_at,
    answers_by, answers_at"""


async def insert_review(
    conn: asyncpg.Connection,
    *,
    review: NewReview,
) -> None:
    await conn.execute(
        """INSERT INTO handoff_reviews (deal_id, account_id, ae, lead_source, lead_score, answers, discount_pct, score,
                                        band, flags)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        review.deal_id,
        review.account_id,
        review.ae,
        review.lead_source,
        review.lead_score,
        review.answers,
        review.discount_pct,
        review.score,
        review.band,
        review.flags,
    )


async def rescore(
    conn: asyncpg.Connection,
    *,
    deal_id: str,
    answers: iev.Qualification,
    score: float | None,
    band: str,
    flags: list[Document],
    actor: str,
) -> None:
    """CS's answers at kickoff replace the CRM's (or fill them in)."""
    await conn.execute(
        """UPDATE handoff_reviews SET answers = $2, score = $3, band = $4, flags = $5, answers_by = $6,
             answers_at = now(), updated_at = now() WHERE deal_id = $1""",
        deal_id,
        answers.model_dump(),
        score,
        band,
        flags,
        actor,
    )


async def link_contract(conn: asyncpg.Connection, *, deal_id: str, contract_id: str) -> None:
    await conn.execute("UPDATE handoff_reviews SET contract_id = $2 WHERE deal_id = $1", deal_id, contract_id)


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


async def propose_rejection(
    conn: asyncpg.Connection, *, deal_id: str, actor: str, note: str | None, failed: list[str]
) -> None:
    await conn.execute(
        """UPDATE handoff_reviews SET status = 'rejection_proposed', proposed_by = $2, proposal_note = $3,
             failed_criteria = $4, updated_at = now() WHERE deal_id = $1""",
        deal_id,
        actor,
        note,
        failed,
    )


async def decide(conn: asyncpg.Connection, *, deal_id: str, status: str, actor: str) -> None:
    await conn.execute(
        """UPDATE handoff_reviews SET status = $2, decided_by = $3, decided_at = now(), updated_at = now()
           WHERE deal_id = $1""",
        deal_id,
        status,
        actor,
    )


async def accept(conn: asyncpg.Connection, *, deal_id: str) -> None:
    await conn.execute("UPDATE handoff_reviews SET status = 'accepted', updated_at = now() WHERE deal_id = $1", deal_id)
