"""Raw values of each measure type from an account's facts (None: no data for it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from health.domain.model import AccountFacts, MeasureType

SEVERITY_WEIGHT = {"low": 1.0, "medium": 2.0, "high": 3.0, "urgent": 4.0}
GOAL_OUTCOME = {"exceeded": 100.0, "met": 85.0, "partially_met": 50.0, "missed": 0.0}
EXPOSURE_LEVEL = {"low": 0.0, "moderate": 1.0, "high": 2.0}


def _window(now: datetime, params: Mapping[str, Any], default: int = 30) -> tuple[date, date]:
    days = int(params.get("window_days", default))
    end = now.date()
    return end - timedelta(days=days - 1), end


def active_users(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    if not f.seats:
        return None
    start, end = _window(now, p)
    users: set[str] = set()
    for day, who in f.daily_users.items():
        if start <= day <= end:
            users |= who
    return len(users) / f.seats


def usage_trend(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    start, end = _window(now, p)
    days = (end - start).days + 1
    prev_start, prev_end = start - timedelta(days=days), start - timedelta(days=1)
    cur = sum(n for (d, _), n in f.daily_events.items() if start <= d <= end)
    prev = sum(n for (d, _), n in f.daily_events.items() if prev_start <= d <= prev_end)
    if cur == 0 and prev == 0:
        return None
    if prev == 0:
        return 100.0
    return (cur - prev) / prev * 100.0


def feature_breadth(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    features = set(p.get("features") or ())
    if not features:
        return None
    start, end = _window(now, p)
    used = {e for (d, e), n in f.daily_events.items() if start <= d <= end and n > 0 and e in features}
    return len(used) / len(features) * 100.0


def milestone_attainment(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    if not f.milestones:
        return None
    return sum(1 for s in f.milestones if s == "achieved") / len(f.milestones) * 100.0


def onboarding(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    return 50.0 * len(f.onboarding & {"technical", "process"})


def nps(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    start, _ = _window(now, p, default=180)
    scores = [s for d, s in f.nps.values() if d >= start]
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return (promoters - detractors) / len(scores) * 100.0


def support_load(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    if not f.tickets_seen:
        return None
    bug_factor = float(p.get("bug_factor", 1.5))
    return sum(SEVERITY_WEIGHT.get(sev, 1.0) * (bug_factor if bug else 1.0) for sev, bug in f.open_tickets)


def champion(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    if not f.contacts:
        return None
    if any(c.is_champion and not c.departed for c in f.contacts):
        return 100.0
    since = now - timedelta(days=int(p.get("window_days", 90)))
    if any(c.is_champion and c.departed and c.changed_at >= since for c in f.contacts):
        return 0.0
    return 50.0


def goal_attainment(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    outcomes = [GOAL_OUTCOME[s] for s in f.goals if s in GOAL_OUTCOME]
    return sum(outcomes) / len(outcomes) if outcomes else None


def exposure(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    return EXPOSURE_LEVEL.get(f.exposure or "")


def discount_depth(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    return f.discount_pct


EVALUATORS: dict[MeasureType, Callable[[AccountFacts, Mapping[str, Any], datetime], float | None]] = {
    MeasureType.ACTIVE_USERS: active_users,
    MeasureType.USAGE_TREND: usage_trend,
    MeasureType.FEATURE_BREADTH: feature_breadth,
    MeasureType.MILESTONE_ATTAINMENT: milestone_attainment,
    MeasureType.ONBOARDING: onboarding,
    MeasureType.NPS: nps,
    MeasureType.SUPPORT_LOAD: support_load,
    MeasureType.CHAMPION: champion,
    MeasureType.GOAL_ATTAINMENT: goal_attainment,
    MeasureType.EXPOSURE: exposure,
    MeasureType.DISCOUNT_DEPTH: discount_depth,
}

# which measure types an incoming event type can move (recompute only what may change)
WINDOWED = {
    MeasureType.ACTIVE_USERS,
    MeasureType.USAGE_TREND,
    MeasureType.FEATURE_BREADTH,
    MeasureType.NPS,
    MeasureType.CHAMPION,
}
