"""Support's API shapes: an account's or the whole base's support over a window."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Reason(BaseModel):
    reason: str = Field(description="a CONTACT_REASONS key, or 'unclassified' for a ticket sent without one")
    tickets: int


class Waiting(BaseModel):
    title: str
    status: str
    age_days: int
    accounts: int = Field(description="accounts waiting for it")


class SupportOut(BaseModel):
    account_id: str | None = Field(description="None: the whole base")
    window_days: int
    tickets: int = Field(description="tickets opened in the window")
    active_users: int
    contact_rate: float | None = Field(description="tickets per active user (null: no active user)")
    contact_rate_before: float | None = Field(description="the same, the window before")
    trend_pct: float | None
    bug_share: float | None = Field(description="share of the window's tickets linked to a bug (null: none)")
    top_reasons: list[Reason]
    unfulfilled_requests: list[Waiting] = Field(description="requests still open, oldest first")
