"""Where an account stands on the value ladder (pure): each rung needs the one below it.

1. **uses it**: someone used the product in the last 30 days;
2. **problem solved**: the customer says so: a goal met or exceeded, or the last value review found
   the value met or exceeded;
3. **goals met**: every goal decided so far (met, exceeded, partially met or missed) is met or
   exceeded, and the last value review did not find the value missed or partially met;
4. **value others see**: beyond the goals, someone outside the project sees it: a promoter (NPS 9-10)
   in the last 180 days, or a value review that found the value exceeded.

Rung 0 (**not yet using**) is an account with no use in the window; with no usage data at all the
ladder is unknown (None), never "not using". The reason says what holds the account on its rung."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from health.domain.model import AccountFacts

Rung = Literal["not_using", "uses_it", "problem_solved", "goals_met", "value_others_see"]
RUNGS: tuple[Rung, ...] = ("not_using", "uses_it", "problem_solved", "goals_met", "value_others_see")
WORDS: dict[Rung, str] = {
    "not_using": "not yet using",
    "uses_it": "uses it",
    "problem_solved": "its problem is solved",
    "goals_met": "its goals are met",
    "value_others_see": "it gets value others see",
}
USE_DAYS = 30
ADVOCACY_DAYS = 180
GOOD = frozenset({"met", "exceeded"})
DECIDED = frozenset({"met", "exceeded", "partially_met", "missed"})


@dataclass(frozen=True, slots=True)
class Standing:
    rung: Rung
    step: int  # 0 (not yet using) … 4 (value others see)
    reason: str  # why it is on this rung, and what the next one needs


def _users(f: AccountFacts, now: datetime) -> int | None:
    if f.usage_observed_from is None:
        return None
    since = now.date() - timedelta(days=USE_DAYS)
    return len(set().union(*(who for day, who in f.daily_users.items() if day > since)))


def _promoters(f: AccountFacts, now: datetime) -> int:
    since = now.date() - timedelta(days=ADVOCACY_DAYS)
    return sum(1 for day, score in f.nps.values() if day > since and score >= 9)


def _review(f: AccountFacts) -> str | None:
    return f.value_review[1] if f.value_review else None


def _held(decided: list[str], short: list[str], review: str | None) -> str:
    """What keeps an account whose problem is solved below "goals met"."""
    if review in ("missed", "partially_met"):
        return f"the last value review found it {str(review).replace('_', ' ')}"
    if short:
        return f"{len(short)} of {len(decided)} goals not met"
    return "no goal decided yet"


def standing(f: AccountFacts, now: datetime) -> Standing | None:
    """The account's rung as of ``now`` (None: no usage data yet, so not even rung 1 can be told)."""
    users = _users(f, now)
    if users is None:
        return None
    if users == 0:
        return Standing("not_using", 0, f"no one used it in the last {USE_DAYS} days")
    used = f"{users} active user{'s' if users != 1 else ''} in {USE_DAYS} days"
    good = [g for g in f.goals if g in GOOD]
    review = _review(f)
    if not good and review not in GOOD:
        return Standing("uses_it", 1, f"{used}; no goal met and no value review found the value met yet")
    decided = [g for g in f.goals if g in DECIDED]
    short = [g for g in decided if g not in GOOD]
    solved = f"{len(good)} goal{'s' if len(good) != 1 else ''} met" if good else f"the value review found it {review}"
    if short or review in ("missed", "partially_met") or not decided:
        return Standing("problem_solved", 2, f"{used}; {solved}; {_held(decided, short, review)}")
    promoters = _promoters(f, now)
    if promoters or review == "exceeded":
        seen = f"{promoters} promoter{'s' if promoters != 1 else ''}" if promoters else "a review found it exceeded"
        return Standing("value_others_see", 4, f"all {len(decided)} goals met; {seen}")
    return Standing("goals_met", 3, f"all {len(decided)} goals met; no promoter nor exceeded review yet")
