"""The account view's API shapes: the timeline's kinds and its pages (newest first, by cursor), and the
portfolio's pages (by offset)."""

from __future__ import annotations

from typing import Any

from accounts.timeline import Kind as Kind  # the timeline's kinds, defined once
from bellwether_shared.paging import CursorPage, Page


class TimelinePage(CursorPage[dict[str, Any]]):
    """Newest first; each item with its kind, title, time and payload."""

    account_id: str


PortfolioPage = Page[dict[str, Any]]
