"""Dates in one place: values read back from JSON (ISO strings or already parsed), and calendar arithmetic
(months and quarters, by dateutil's relativedelta)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta


def as_date(value: Any) -> date | None:
    """A date from an ISO string or a date (None stays None)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def as_time(value: Any) -> datetime | None:
    """A datetime from an ISO string or a datetime (None stays None)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


FIRST_YEAR, LAST_YEAR = 1901, 9998  # the periods a caller may name: a year's room on both sides stays dates


def add_months(d: date, months: int) -> date:
    """Same day ``months`` later (or earlier), clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    moved: date = d + relativedelta(months=months)
    return moved


def quarter_of(d: date) -> str:
    """``2026-11-20`` → ``2026-Q4``."""
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def quarter_bounds(period: str) -> tuple[date, date]:
    """``2026-Q4`` → (2026-10-01, 2027-01-01): start inclusive, end exclusive. A malformed period is a
    ValueError naming the field."""
    year, _, q = period.partition("-Q")
    if not year.isdigit() or q not in ("1", "2", "3", "4") or not 1 <= int(year) <= 9999:
        raise ValueError(f"period: '{period}' is not a quarter like 2026-Q4")
    first = date(int(year), 3 * (int(q) - 1) + 1, 1)
    try:
        return first, add_months(first, 3)
    except (ValueError, OverflowError):
        raise ValueError(f"period: '{period}' ends after the last date there is") from None


def check_period(period: str) -> str:
    """A quarter a caller may ask about: well formed, in FIRST_YEAR..LAST_YEAR (so the quarters around it
    are dates too); else a ValueError naming the field."""
    first, _ = quarter_bounds(period)
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        raise ValueError(f"period: the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return period


def quarters(period: str, *, back: int = 0, ahead: int = 0) -> list[str]:
    """The quarters from ``back`` before ``period`` to ``ahead`` after it."""
    start, _ = quarter_bounds(period)
    return [quarter_of(add_months(start, 3 * i)) for i in range(-back, ahead + 1)]


def month_ends(end: date, months: int = 12) -> list[date]:
    """The last day of each of the ``months`` months up to ``end`` (its month included; ``end`` itself
    for its own month), oldest first."""
    first = end.replace(day=1)
    return sorted(min(add_months(first, 1 - back) - timedelta(days=1), end) for back in range(months))
