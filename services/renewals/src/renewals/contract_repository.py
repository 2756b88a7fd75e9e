"""Contracts: keyword-only async functions taking a connection (each contract's latest terms, and those
ending without a renewal opportunity yet)."""

from __future__ import annotations

from datetime import date

import asyncpg

from renewals.domain.commands import ContractTerms

CONTRACT_COLUMNS = (
    "contract_id, account_id, deal_id, start_date, end_date, term_months, arr, list_price, discount_pct, products, "
    "origin_deal_id, temporary_discount_label, temporary_discount_expires_on"
)


async def upsert_contract(conn: asyncpg.Connection, *, c: ContractTerms) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"""INSERT INTO contracts ({CONTRACT_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, $3), $12, $13)
            ON CONFLICT (contract_id) DO UPDATE SET start_date = excluded.start_date, end_date = excluded.end_date,
              term_months = excluded.term_months, arr = excluded.arr, list_price = excluded.list_price,
              discount_pct = excluded.discount_pct, products = excluded.products,
              origin_deal_id = coalesce(excluded.origin_deal_id, contracts.origin_deal_id),
              temporary_discount_label = excluded.temporary_discount_label,
              temporary_discount_expires_on = excluded.temporary_discount_expires_on, updated_at = now()
            WHERE contracts.account_id = excluded.account_id
            RETURNING {CONTRACT_COLUMNS}, (xmax = 0) AS inserted""",
        c.contract_id,
        c.account_id,
        c.deal_id,
        c.start_date,
        c.end_date,
        c.term_months,
        c.arr,
        c.list_price,
        c.discount_pct,
        list(c.products),
        c.origin_deal_id,
        c.temporary_discount_label,
        c.temporary_discount_expires_on,
    )
    return row


async def get_contract(conn: asyncpg.Connection, *, contract_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {CONTRACT_COLUMNS} FROM contracts WHERE contract_id = $1", contract_id)


async def list_contracts(
    conn: asyncpg.Connection, *, account_id: str | None, limit: int, offset: int
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {CONTRACT_COLUMNS} FROM contracts WHERE ($1::text IS NULL OR account_id = $1)
            ORDER BY end_date, contract_id LIMIT $2 OFFSET $3""",
        account_id,
        limit,
        offset,
    )
    return rows


async def contracts_without_renewal(conn: asyncpg.Connection, *, ends_by: date, limit: int) -> list[asyncpg.Record]:
    """Contracts ending by ``ends_by`` with no renewal opportunity yet (oldest end first)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT {CONTRACT_COLUMNS} FROM contracts c
            WHERE c.end_date <= $1
              AND NOT EXISTS (SELECT 1 FROM opportunities o WHERE o.contract_id = c.contract_id AND o.kind = 'renewal')
            ORDER BY c.end_date LIMIT $2""",
        ends_by,
        limit,
    )
    return rows
