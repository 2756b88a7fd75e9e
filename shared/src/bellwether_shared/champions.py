"""One rule about champions that health and renewals both apply (pure).

A champion's departure counts for ``DEPARTURE_COUNTS_DAYS`` after it happened: health scores it in
the champion measure, and renewal risk carries the factor "champion departed" while no other champion
remains. After that window the departure is history (the account's coverage of healthy, influential
champions says the rest)."""

from __future__ import annotations

from datetime import datetime, timedelta

DEPARTURE_COUNTS_DAYS = 90


def departure_counts(departed_at: datetime | None, now: datetime) -> bool:
    return departed_at is not None and departed_at >= now - timedelta(days=DEPARTURE_COUNTS_DAYS)
