"""Forecast (domain.md, Renewals): ARR up for renewal by period × exposure × health colour, and
the expected churned ARR from churn rates per colour — configured, or learned from this
company's closed outcomes once each colour has enough of them — or per exposure level (the seeds:
"re-forecast the expected churn rate assuming losses in high exposure customers"). A what-if
scenario overrides the rate of some exposure levels and shows the ARR at risk per period."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

COLOURS = ("red", "yellow", "green", "unknown")
DEFAULT_RATES: dict[str, float] = {"red": 0.35, "yellow": 0.15, "green": 0.04, "unknown": 0.12}
EXPOSURES = ("high", "moderate", "low", "unknown")
DEFAULT_EXPOSURE_RATES: dict[str, float] = {"high": 0.25, "moderate": 0.12, "low": 0.05, "unknown": 0.12}


@dataclass(frozen=True, slots=True)
class Up:
    """ARR up for renewal: one contract, or an aggregate of ``contracts`` of them."""

    period: str
    exposure: str
    colour: str
    arr: float
    contracts: int = 1


@dataclass(frozen=True, slots=True)
class Outcomes:
    """Closed renewals of one health colour (the colour when the renewal closed)."""

    closed: int
    churned: int


@dataclass(frozen=True, slots=True)
class Rate:
    rate: float
    source: str  # configured / learned
    samples: int


@dataclass(slots=True)
class Cell:
    period: str
    exposure: str
    colour: str
    contracts: int = 0
    arr: float = 0.0
    expected_churn_arr: float = 0.0


@dataclass(slots=True)
class Forecast:
    rates: dict[str, Rate]
    cells: list[Cell] = field(default_factory=list)
    total_arr: float = 0.0
    expected_churn_arr: float = 0.0


def rates(configured: Mapping[str, float], closed: Mapping[str, Outcomes], min_samples: int) -> dict[str, Rate]:
    """Per colour: the learned churn rate when that colour has ``min_samples`` closed outcomes."""
    out: dict[str, Rate] = {}
    for colour in COLOURS:
        seen = closed.get(colour, Outcomes(0, 0))
        if seen.closed >= min_samples:
            out[colour] = Rate(round(seen.churned / seen.closed, 4), "learned", seen.closed)
        else:
            out[colour] = Rate(configured.get(colour, DEFAULT_RATES[colour]), "configured", seen.closed)
    return out


def exposure_rates(configured: Mapping[str, float]) -> dict[str, Rate]:
    return {e: Rate(configured.get(e, DEFAULT_EXPOSURE_RATES[e]), "configured", 0) for e in EXPOSURES}


def forecast(up: Iterable[Up], churn: Mapping[str, Rate], *, basis: str = "colour") -> Forecast:
    """``basis``: which churn rates apply to a cell, its health colour's (default) or its exposure's."""
    cells: dict[tuple[str, str, str], Cell] = {}
    for u in up:
        cell = cells.get((u.period, u.exposure, u.colour))
        if cell is None:
            cell = cells[(u.period, u.exposure, u.colour)] = Cell(u.period, u.exposure, u.colour)
        cell.contracts += u.contracts
        cell.arr += u.arr
    result = Forecast(rates=dict(churn))
    for key in sorted(cells):
        cell = cells[key]
        key_of = cell.exposure if basis == "exposure" else cell.colour
        cell.expected_churn_arr = round(cell.arr * churn[key_of if key_of in churn else "unknown"].rate, 2)
        cell.arr = round(cell.arr, 2)
        result.cells.append(cell)
        result.total_arr += cell.arr
        result.expected_churn_arr += cell.expected_churn_arr
    result.total_arr = round(result.total_arr, 2)
    result.expected_churn_arr = round(result.expected_churn_arr, 2)
    return result


@dataclass(frozen=True, slots=True)
class PeriodRisk:
    period: str
    arr: float
    expected_churn_arr: float  # with the exposure rates as they are
    scenario_churn_arr: float  # with the what-if rates
    arr_at_risk_delta: float  # how much more (or less) the scenario puts at risk


def what_if(up: Iterable[Up], base: Mapping[str, Rate], overrides: Mapping[str, float]) -> list[PeriodRisk]:
    """ARR at risk per period if some exposure levels churn at other rates, e.g. {"high": 0.30}."""
    periods: dict[str, list[float]] = {}
    for u in up:
        exposure = u.exposure if u.exposure in base else "unknown"
        now_rate = base[exposure].rate
        then = overrides.get(exposure, now_rate)
        p = periods.setdefault(u.period, [0.0, 0.0, 0.0])
        p[0] += u.arr
        p[1] += u.arr * now_rate
        p[2] += u.arr * then
    return [
        PeriodRisk(k, round(a, 2), round(b, 2), round(c, 2), round(c - b, 2))
        for k, (a, b, c) in sorted(periods.items())
    ]
