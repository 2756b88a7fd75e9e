"""The executive report's stories (pure): what the customers said this quarter, the wins and the
escalations, chosen by a rule a reader can check.

* **quotes**: NPS comments and value-review notes; the largest accounts first, then the strongest
  words (an NPS of 0 or 10 and a review that found the value exceeded or missed are strongest); one
  per account, so a single large customer does not speak for all;
* **wins**: goals exceeded, expansions opened or renewed larger; the largest accounts first;
* **escalations**: renewals at risk escalated to the VP of CS; the largest first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STRONG_REVIEW = {"exceeded": 5, "missed": 5, "partially_met": 3, "met": 3}


@dataclass(frozen=True, slots=True)
class Moment:
    """A timeline entry of the quarter with its account's name and ARR."""

    account_id: str
    account: str
    arr: float
    occurred_at: datetime
    kind: str  # the event's name: nps_submitted, value_review_recorded, goal_progress_changed, …
    title: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Story:
    account_id: str
    account: str
    arr: float
    day: str
    text: str


def _quote(m: Moment) -> tuple[int, str] | None:
    """(strength, words) of a quote, or None when the moment says nothing quotable."""
    if m.kind == "nps_submitted" and m.detail.get("comment"):
        score = int(m.detail.get("score", 5))
        return abs(score - 5), f'"{m.detail["comment"]}" (NPS {score})'
    if m.kind == "value_review_recorded" and m.detail.get("notes"):
        outcome = str(m.detail.get("outcome", ""))
        return STRONG_REVIEW.get(outcome, 1), f'"{m.detail["notes"]}" (value review: {outcome.replace("_", " ")})'
    return None


def _story(m: Moment, text: str) -> Story:
    return Story(m.account_id, m.account, m.arr, m.occurred_at.date().isoformat(), text)


def quotes(moments: Iterable[Moment], limit: int = 3) -> list[Story]:
    said = [(q, m) for m in moments if (q := _quote(m)) is not None]
    said.sort(key=lambda x: (-x[1].arr, -x[0][0], x[1].occurred_at))
    out: list[Story] = []
    seen: set[str] = set()
    for (_, words), m in said:
        if m.account_id not in seen and len(out) < limit:
            seen.add(m.account_id)
            out.append(_story(m, words))
    return out


def _win(m: Moment) -> bool:
    d = m.detail
    if m.kind in ("goal_progress_changed", "goal_updated"):
        return d.get("status") == "exceeded"
    if m.kind == "opportunity_created":
        return d.get("kind") == "expansion"
    return m.kind == "renewal_closed" and d.get("outcome") == "expanded"


def wins(moments: Iterable[Moment], limit: int = 5) -> list[Story]:
    found = sorted((m for m in moments if _win(m)), key=lambda m: (-m.arr, m.occurred_at))
    return [_story(m, m.title) for m in found[:limit]]


def escalations(moments: Iterable[Moment], limit: int = 5) -> list[Story]:
    found = sorted((m for m in moments if m.kind == "risk_escalated"), key=lambda m: (-m.arr, m.occurred_at))
    return [_story(m, m.title) for m in found[:limit]]
