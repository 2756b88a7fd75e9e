"""Latest-wins projections: the statement replaces, keeps or keeps the earliest as the table says, never
lets an older fact win, and takes no identifier that did not come from code."""

from __future__ import annotations

import pytest

from bellwether_shared.projection import Latest, statement

TICKETS = Latest(
    "tickets",
    key=("account_id", "ticket_id"),
    at="changed_at",
    keep=frozenset({"subject_line"}),
    earliest=frozenset({"opened_at"}),
    also=(("updated_at", "now()"),),
)


def test_each_column_is_replaced_kept_or_kept_earliest_and_an_older_fact_changes_nothing() -> None:
    sql = statement(TICKETS, ("account_id", "ticket_id", "status", "subject_line", "opened_at", "changed_at"))
    assert "VALUES ($1, $2, $3, $4, $5, $6)" in sql
    assert "ON CONFLICT (account_id, ticket_id) DO UPDATE SET status = excluded.status" in sql
    assert "subject_line = coalesce(excluded.subject_line, tickets.subject_line)" in sql
    assert "opened_at = least(tickets.opened_at, excluded.opened_at)" in sql
    assert "updated_at = now()" in sql and "account_id = excluded" not in sql
    assert sql.endswith("WHERE tickets.changed_at IS NULL OR excluded.changed_at >= tickets.changed_at")


def test_identifiers_come_from_code_and_the_row_names_its_key_and_time() -> None:
    with pytest.raises(ValueError, match="identifier"):
        Latest("tickets; DROP TABLE x", key=("id",), at="at")
    with pytest.raises(ValueError, match="must be identifiers"):
        statement(TICKETS, ("account_id", "ticket_id", "changed_at", "status = 1 --"))
    with pytest.raises(ValueError, match="must be identifiers"):
        statement(TICKETS, ("account_id", "status"))  # no ticket_id, no changed_at
