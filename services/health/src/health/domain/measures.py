"""Raw values of each measure type from an account's facts (None: no data for it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from bellwether_shared.support import silent
from health.domain import champions, goals
from health.domain.model import AccountFacts, MeasureType
from health.domain.observation import observed

SEVERITY_WEIGHT = {"low": 1.0, "medium": 2.0, "high": 3.0, "urgent": 4.0}
EXPOSURE_LEVEL = {"low": 0.0, "moderate": 1.0, "high": 2.0}


def _window(
    now: datetime, params: Mapping[str, Any], default: int = 30, as_of: date | None = None
) -> tuple[date, date]:
    days = int(params.get("window_days", default))
    end = as_of or now.date()
    return end - timedelta(days=days - 1), end


def active_users(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    start, end = _window(now, p, as_of=f.usage_as_of)
    if not f.seats or not observed(f.usage_observed_from, end):
        return None
    users: set[str] = set()
    for day, who in f.daily_users.items():
        if start <= day <= end:
            users |= who
    return len(users) / f.seats


def usage_trend(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    start, end = _window(now, p, as_of=f.usage_as_of)
    days = (end - start).days + 1
    prev_start, prev_end = start - timedelta(days=days), start - timedelta(days=1)
    if not observed(f.usage_observed_from, prev_start):
        return None  # the window before is not data yet: growth from nothing is no trend
    cur = sum(n for (d, _), n in f.daily_events.items() if start <= d <= end)
    prev = sum(n for (d, _), n in f.daily_events.items() if prev_start <= d <= prev_end)
    if cur == 0 and prev == 0:
        return None
    if prev == 0:
        return 100.0
    return (cur - prev) / prev * 100.0


def feature_breadth(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    features = set(p.get("features") or ())
    start, end = _window(now, p, as_of=f.usage_as_of)
    if not features or not observed(f.usage_observed_from, end):
        return None
    used = {e for (d, e), n in f.daily_events.items() if start <= d <= end and n > 0 and e in features}
    return len(used) / len(features) * 100.0


def milestone_attainment(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    """Achieved among the milestones decided (achieved or missed); a pending one, still inside its
    deadline, is no data yet, not a failure."""
    decided = [s for s in f.milestones if s in ("achieved", "missed")]
    if not decided:
        return None
    return sum(1 for s in decided if s == "achieved") / len(decided) * 100.0


def onboarding(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    """50 per aspect the customer confirmed. No confirmation: left out, unless onboarding started more
    than ``expected_within_days`` (60) ago, when it is late (0). An account imported mature, with no
    onboarding start, is never penalised for it."""
    confirmed = f.onboarding & {"technical", "process"}
    if confirmed:
        return 50.0 * len(confirmed)
    started = f.onboarding_started_at
    if started is not None and (now.date() - started).days > int(p.get("expected_within_days", 60)):
        return 0.0
    return None


def nps(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    start, _ = _window(now, p, default=180)
    scores = [s for d, s in f.nps.values() if d >= start]
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return (promoters - detractors) / len(scores) * 100.0


def support_load(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    """Severity-weighted open tickets (bugs weigh ``bug_factor`` more) beyond a healthy amount of contact
    (``healthy_per_active_user`` open tickets per user active in 30 days: a customer that asks is using
    it). A large account (``silent_from_seats``, 50) that has not been in touch for ``silent_days`` (90)
    is no data: its silence is not health (bellwether_shared.support)."""
    if not f.tickets_seen:
        return None
    today = now.date()
    quiet = silent(
        seats=f.seats,
        last_contact=f.last_contact,
        today=today,
        from_seats=int(p.get("silent_from_seats", 50)),
        days=int(p.get("silent_days", 90)),
    )
    if quiet:
        return None
    bug_factor = float(p.get("bug_factor", 1.5))
    load = sum(SEVERITY_WEIGHT.get(sev, 1.0) * (bug_factor if bug else 1.0) for sev, bug in f.open_tickets)
    since = today - timedelta(days=30)
    users = len(set().union(*(who for day, who in f.daily_users.items() if day > since)))
    return max(0.0, load - float(p.get("healthy_per_active_user", 0.1)) * users)


def champion(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    """Healthy influential champions against the tier's target, in % (0..100); each champion who left
    within the departure window (bellwether_shared.champions) takes ``departure_penalty`` (25) off."""
    if f.coverage is None:
        return None
    raw = 100.0 * f.coverage.ratio - float(p.get("departure_penalty", 25)) * len(f.coverage.recently_departed)
    return max(0.0, raw)


def goal_attainment(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    return goals.attainment(list(f.goals))


def problem_severity(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    """The most severe problem the customer bought for (1 not important … 5 on fire)."""
    return float(max(sev for _, sev in f.problems)) if f.problems else None


def product_completeness(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    """Open blocking feature requests and bugs ("is the product complete for them"); left out for an
    account that never asked for anything."""
    return float(len(f.blocking_open)) if f.requests_seen else None


def value_review(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> float | None:
    """The customer's own verdict on the value received, at the last value review (the goals' scale:
    exceeded 100, met 85, partially met 50, missed 0). None held, or the last one older than
    ``max_age_days`` (200: two quarterly reviews missed), is no data, not a verdict."""
    if f.value_review is None:
        return None
    held, outcome = f.value_review
    if (now.date() - held).days > int(p.get("max_age_days", 200)):
        return None
    return goals.OUTCOME_SCORE.get(outcome)


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
    MeasureType.PROBLEM_SEVERITY: problem_severity,
    MeasureType.PRODUCT_COMPLETENESS: product_completeness,
    MeasureType.VALUE_REVIEW: value_review,
}


# ----------------------------------------------------------------------------- in words


def _champion_detail(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> str | None:
    return champions.explain(f.coverage, f.champions) if f.coverage is not None else None


def _goal_detail(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> str | None:
    return "; ".join(f.goal_notes[:3]) or None


def _problem_detail(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> str | None:
    if not f.problems:
        return None
    text, sev = max(f.problems, key=lambda x: x[1])
    return f"bought to solve '{text[:80]}' (severity {sev}/5)"


def _completeness_detail(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> str | None:
    if not f.blocking_open:
        return "no blocking request open"
    return f"{len(f.blocking_open)} blocking open: " + ", ".join(f"'{t[:50]}'" for t in f.blocking_open[:3])


def _onboarding_detail(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> str | None:
    confirmed = sorted(f.onboarding & {"technical", "process"})
    if confirmed:
        missing = sorted({"technical", "process"} - set(confirmed))
        return "confirmed by the customer: " + ", ".join(confirmed) + (f"; not yet: {missing[0]}" if missing else "")
    if f.onboarding_started_at is not None:
        return f"not confirmed {(now.date() - f.onboarding_started_at).days} days after kickoff"
    return None


def _value_review_detail(f: AccountFacts, p: Mapping[str, Any], now: datetime) -> str | None:
    if f.value_review is None:
        return None
    held, outcome = f.value_review
    return f"the value review of {held.isoformat()} found the value {outcome.replace('_', ' ')}"


EXPLAIN: dict[MeasureType, Callable[[AccountFacts, Mapping[str, Any], datetime], str | None]] = {
    MeasureType.CHAMPION: _champion_detail,
    MeasureType.GOAL_ATTAINMENT: _goal_detail,
    MeasureType.PROBLEM_SEVERITY: _problem_detail,
    MeasureType.PRODUCT_COMPLETENESS: _completeness_detail,
    MeasureType.ONBOARDING: _onboarding_detail,
    MeasureType.VALUE_REVIEW: _value_review_detail,
}
