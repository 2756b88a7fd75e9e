"""When an account's usage becomes data (domain.md, "Missing data is not bad data").

An account connected today, or signed today, has produced no usage yet: that is no data, not zero
active users. Its usage counts from the day it was first seen using the product, or, for an account
that never was, once it has had a fair chance to: ``grace_days`` after it was first seen or its
onboarding (the contract's kickoff) started, whichever is later."""

from __future__ import annotations

from datetime import date, timedelta


def usage_observed_from(
    *, first_usage: date | None, first_seen: date | None, started: date | None, grace_days: int
) -> date | None:
    """The first day whose usage (or lack of it) is data; None: not known at all yet."""
    known = [d for d in (first_seen, started) if d is not None]
    grace_ends = max(known) + timedelta(days=grace_days) if known else None
    candidates = [d for d in (first_usage, grace_ends) if d is not None]
    return min(candidates) if candidates else None


def observed(observed_from: date | None, day: date) -> bool:
    """Is the usage of ``day`` (and every day after it) data?"""
    return observed_from is not None and observed_from <= day


def usage_as_of(*, newest_usage: date | None, first_seen: date | None, today: date, grace_days: int) -> date | None:
    """The day usage windows end on. Normally today (None). While an account connected within its grace
    period is still catching up on its history (its newest usage day is older than yesterday), the
    newest day it has: the days after it have not arrived yet, which is no data, not silence; a score
    of half the history is the score of the days it covers. Past the grace period silence is silence."""
    if newest_usage is None or first_seen is None or newest_usage >= today - timedelta(days=1):
        return None
    if today >= first_seen + timedelta(days=grace_days):
        return None
    return newest_usage
