"""The executive report's headline figures (pure): no more than four, chosen by the company from a
catalogue, each with its trend against the quarter before (None where no earlier figure exists: never a
made-up zero). Default: net and gross retention, ARR at risk in the next two quarters, time to value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Unit = Literal["share", "money", "days"]


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    unit: Unit
    better: Literal["up", "down"]


CATALOGUE: dict[str, Figure] = {
    "nrr": Figure("Net revenue retention", "share", "up"),
    "grr": Figure("Gross revenue retention", "share", "up"),
    "arr_at_risk": Figure("ARR at risk, next two quarters", "money", "down"),
    "time_to_value": Figure("Median time to value", "days", "down"),
    "onboarding_completion": Figure("Onboarding confirmed by the customer", "share", "up"),
    "champion_coverage": Figure("Accounts with a healthy influential champion", "share", "up"),
    "goals_met_or_above": Figure("Accounts at goals met or above", "share", "up"),
}
DEFAULT: tuple[str, ...] = ("nrr", "grr", "arr_at_risk", "time_to_value")
MAX = 4


@dataclass(frozen=True, slots=True)
class Headline:
    key: str
    label: str
    unit: Unit
    value: float | None
    previous: float | None
    change: float | None  # value - previous (None: either is unknown)
    improved: bool | None  # moved the way that is better (None: no change to judge)


def check(keys: Sequence[str]) -> list[str]:
    """The company's choice, or ValueError naming what is wrong with it."""
    if not 1 <= len(keys) <= MAX:
        raise ValueError(f"between 1 and {MAX} headline figures, not {len(keys)}")
    unknown = [k for k in keys if k not in CATALOGUE]
    if unknown:
        raise ValueError(f"unknown headline figure '{unknown[0]}'; known: {', '.join(CATALOGUE)}")
    if len(set(keys)) != len(keys):
        raise ValueError("a headline figure is chosen twice")
    return list(keys)


def headlines(
    keys: Sequence[str], current: Mapping[str, float | None], previous: Mapping[str, float | None]
) -> list[Headline]:
    out: list[Headline] = []
    for key in check(keys):
        f = CATALOGUE[key]
        now, before = current.get(key), previous.get(key)
        change = round(now - before, 4) if now is not None and before is not None else None
        improved = None if not change else (change > 0) == (f.better == "up")
        out.append(Headline(key, f.label, f.unit, now, before, change, improved))
    return out
