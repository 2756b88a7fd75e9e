"""Goals with a measurable target (pure): progress is computed from baseline, target and the current
value, not typed; value is not binary (domain.md): a goal is exceeded, met, partially met or missed.

* Progress = the share of the way from baseline to target (either direction: a goal may be to bring
  something down), negative when it moved the wrong way.
* Status: ``exceeded`` past 110 % of the way; ``met`` at 100 %; before the due date anything less is
  ``in_progress``; at or after it, ``partially_met`` from 50 % and ``missed`` below.
* A goal without numbers keeps the status the CRM sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

Status = str  # in_progress / met / exceeded / partially_met / missed
OUTCOME_SCORE = {"exceeded": 100.0, "met": 85.0, "partially_met": 50.0, "missed": 0.0}
EXCEEDED_FROM = 110.0
PARTIAL_FROM = 50.0


@dataclass(frozen=True, slots=True)
class Goal:
    goal_id: str
    name: str
    stated_status: Status
    baseline: float | None = None
    target_value: float | None = None
    current_value: float | None = None  # typed, or computed from the linked usage event
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    goal_id: str
    status: Status
    progress_pct: float | None
    current_value: float | None
    computed: bool  # from numbers (True) or as stated (False)


def progress_pct(baseline: float, target: float, current: float) -> float | None:
    if target == baseline:
        return None
    return round((current - baseline) / (target - baseline) * 100, 1)


def evaluate(g: Goal, *, today: date) -> Progress:
    if g.baseline is None or g.target_value is None or g.current_value is None:
        return Progress(g.goal_id, g.stated_status, None, g.current_value, computed=False)
    pct = progress_pct(g.baseline, g.target_value, g.current_value)
    if pct is None:
        return Progress(g.goal_id, g.stated_status, None, g.current_value, computed=False)
    due = g.due_date is not None and today >= g.due_date
    if pct >= EXCEEDED_FROM:
        status = "exceeded"
    elif pct >= 100:
        status = "met"
    elif not due:
        status = "in_progress"
    elif pct >= PARTIAL_FROM:
        status = "partially_met"
    else:
        status = "missed"
    return Progress(g.goal_id, status, pct, g.current_value, computed=True)


def attainment(statuses: list[Status]) -> float | None:
    """The goal measure: mean outcome of the goals that have one (in-progress goals are left out)."""
    scored = [OUTCOME_SCORE[s] for s in statuses if s in OUTCOME_SCORE]
    return sum(scored) / len(scored) if scored else None
