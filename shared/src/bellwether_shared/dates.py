"""Dates in one place: values read back from JSON (ISO strings or already parsed), and calendar arithmetic
(months and quarters, by dateutil's relativedelta)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def as_date(value: Any) -> date | None:
    """A date from an ISO string or a date (None stays None)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def as_time(value: Any) -> datetime | None:
    """A datetime from an ISO string or a datetime (None stays None)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
