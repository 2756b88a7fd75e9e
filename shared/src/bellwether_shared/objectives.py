"""Objective templates: the three or four high-level objectives a kind of customer usually buys the
product for, each with the metric that shows it and the playbook that drives it. A new account's goals
start from one (ingest turns a template into ``goal.updated`` signals); the CSM then adjusts targets
with the customer. Pure: no framework, no I/O.

A metric with a ``linked_event`` is counted by health from product use over ``window_days`` (the goal's
progress is then computed, not typed); ``target_change_pct`` says how far from the baseline the customer
aims (negative: bring it down)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class Objective:
    key: str
    name: str
    metric: str
    playbook: str  # the playbook (notifications) that drives it
    problem_severity: int = 3  # 1 not an important problem … 5 on fire
    linked_event: str | None = None
    window_days: int | None = None
    target_change_pct: float | None = None


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    name: str
    customer_kind: str  # who usually buys for these objectives
    objectives: tuple[Objective, ...]


DEFAULT_TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template(
            "reporting-automation",
            "Reporting automation",
            "operations and finance teams replacing manual reports",
            (
                Objective(
                    "reports-automated",
                    "Automate the recurring reports",
                    "reports run per month",
                    "objective-adoption",
                    4,
                    "Report Run",
                    30,
                    100.0,
                ),
                Objective(
                    "time-saved",
                    "Cut the hours spent on manual reporting",
                    "hours of manual reporting a week",
                    "objective-value-proof",
                    4,
                    None,
                    None,
                    -50.0,
                ),
                Objective(
                    "shared-insight",
                    "Share figures with leadership",
                    "exports shared per month",
                    "objective-executive-alignment",
                    3,
                    "Report Exported",
                    30,
                    50.0,
                ),
            ),
        ),
        Template(
            "sales-productivity",
            "Sales productivity",
            "sales teams wanting more pipeline from the same headcount",
            (
                Objective(
                    "pipeline",
                    "Grow qualified pipeline",
                    "qualified opportunities per month",
                    "objective-adoption",
                    5,
                    "Opportunity Qualified",
                    30,
                    25.0,
                ),
                Objective(
                    "cycle-time",
                    "Shorten the sales cycle",
                    "median days to close",
                    "objective-value-proof",
                    4,
                    None,
                    None,
                    -20.0,
                ),
                Objective("forecast", "Forecast accurately", "forecast error %", "objective-executive-alignment", 3),
                Objective(
                    "rep-adoption",
                    "Every rep works in the product",
                    "weekly active reps / seats",
                    "objective-adoption",
                    3,
                    "Dashboard Viewed",
                    7,
                    80.0,
                ),
            ),
        ),
        Template(
            "support-efficiency",
            "Support efficiency",
            "support teams cutting cost per ticket",
            (
                Objective(
                    "resolution-time",
                    "Resolve tickets faster",
                    "median hours to resolution",
                    "objective-value-proof",
                    4,
                    None,
                    None,
                    -30.0,
                ),
                Objective(
                    "deflection",
                    "Deflect repetitive questions",
                    "self-served answers per month",
                    "objective-adoption",
                    3,
                    "Article Viewed",
                    30,
                    40.0,
                ),
                Objective("csat", "Raise customer satisfaction", "CSAT %", "objective-executive-alignment", 3),
            ),
        ),
    )
}


def goals_from(template: Template, *, today: date, due_days: int = 180) -> list[dict[str, Any]]:
    """The ``goal.updated`` fields of each objective, in progress, due ``due_days`` from today; the goal
    id is the template's and the objective's key, so starting again from the same template is no
    duplicate (latest wins)."""
    due = today + timedelta(days=due_days)
    return [
        {
            "goal_id": f"{template.key}:{o.key}",
            "name": o.name,
            "status": "in_progress",
            "metric": o.metric,
            "problem_severity": o.problem_severity,
            "target": _target(o),
            "due_date": due.isoformat(),
            **({"linked_event": o.linked_event, "linked_window_days": o.window_days} if o.linked_event else {}),
        }
        for o in template.objectives
    ]


def _target(o: Objective) -> str:
    if o.target_change_pct is None:
        return f"{o.metric}: a target agreed with the customer (playbook {o.playbook})"
    way = "up" if o.target_change_pct > 0 else "down"
    return f"{o.metric} {way} {abs(o.target_change_pct):.0f} % from the baseline (playbook {o.playbook})"


def merged(own: Mapping[str, Template]) -> dict[str, Template]:
    """The company's templates over the defaults (same key: the company's)."""
    return DEFAULT_TEMPLATES | dict(own)
