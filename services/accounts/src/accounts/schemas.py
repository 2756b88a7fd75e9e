"""The account view's API shapes: the timeline's kinds and its pages (newest first, by cursor), and the
portfolio's pages (by offset)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from accounts.timeline import Kind as Kind  # the timeline's kinds, defined once


class TimelinePage(BaseModel):
    account_id: str
    items: list[dict[str, Any]] = Field(description="newest first; each with its kind, title, time and payload")
    next_before_id: int | None = Field(description="the next page: pass it as before_id (None: no more)")


class PortfolioPage(BaseModel):
    items: list[dict[str, Any]]
    limit: int
    offset: int
