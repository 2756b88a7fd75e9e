"""Weighted scorecards: scale raw values to 0-100, re-weight over the measures with data,
colour, and explain what moved the score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from health.domain.measures import EVALUATORS, EXPLAIN
from health.domain.model import (
    AccountFacts,
    Colour,
    MeasureResult,
    Reason,
    ScalePoint,
    Score,
    Scorecard,
)


class ScaleError(ValueError):
    pass


def check_scale(points: Sequence[ScalePoint]) -> None:
    """A scale is at least two points, raw values strictly increasing, scores within 0-100 and
    monotone (all rising or all falling): so a better raw value can never score worse."""
    if len(points) < 2:
        raise ScaleError("needs at least two points")
    raws = [p.raw for p in points]
    if any(b <= a for a, b in pairwise(raws)):
        raise ScaleError("raw values must be strictly increasing")
    scores = [p.score for p in points]
    if any(not 0 <= s <= 100 for s in scores):
        raise ScaleError("scores must be within 0 and 100")
    rising = all(b >= a for a, b in pairwise(scores))
    falling = all(b <= a for a, b in pairwise(scores))
    if not (rising or falling):
        raise ScaleError("scores must all rise or all fall with the raw value")


def scale(points: Sequence[ScalePoint], raw: float) -> float:
    """Piecewise-linear mapping, flat beyond the ends."""
    if raw <= points[0].raw:
        return points[0].score
    if raw >= points[-1].raw:
        return points[-1].score
    for a, b in pairwise(points):
        if a.raw <= raw <= b.raw:
            return a.score + (b.score - a.score) * (raw - a.raw) / (b.raw - a.raw)
    return points[-1].score  # unreachable for a checked scale


def colour_of(value: float, card: Scorecard, sufficient: bool) -> Colour:
    if not sufficient:
        return Colour.UNKNOWN
    if value < card.thresholds.red_below:
        return Colour.RED
    if value >= card.thresholds.green_from:
        return Colour.GREEN
    return Colour.YELLOW


def evaluate(card: Scorecard, facts: AccountFacts, now: datetime) -> Score:
    raws = [(m, EVALUATORS[m.type](facts, m.params, now)) for m in card.measures]
    with_data = [(m, r) for m, r in raws if r is not None]
    total_weight = sum(m.weight for m in card.measures)
    data_weight = sum(m.weight for m, _ in with_data)
    results: list[MeasureResult] = []
    value = 0.0
    for m, raw in raws:
        if raw is None or data_weight <= 0:
            results.append(MeasureResult(m.key, m.type, raw, None, m.weight, 0.0))
            continue
        sub = scale(m.scale, raw)
        contribution = m.weight / data_weight * sub
        value += contribution
        explain = EXPLAIN.get(m.type)
        detail = explain(facts, m.params, now) if explain is not None else None
        results.append(MeasureResult(m.key, m.type, raw, sub, m.weight, contribution, detail))
    value = min(100.0, max(0.0, value))
    sufficient = len(with_data) >= card.min_measures and (
        total_weight > 0 and data_weight / total_weight >= card.min_weight_share
    )
    return Score(
        account_id=facts.account_id,
        scorecard_id=card.id,
        scorecard_version=card.version,
        value=round(value, 2),
        colour=colour_of(value, card, sufficient),
        sufficient=sufficient,
        measures=tuple(results),
        computed_at=now,
    )


def reasons(previous: Score | None, current: Score, top: int = 3) -> tuple[Reason, ...]:
    """The measures whose contribution changed most since the previous score, biggest first."""
    before = {m.key: m for m in previous.measures} if previous else {}
    moves: list[Reason] = []
    for m in current.measures:
        old = before.get(m.key)
        delta = m.contribution - (old.contribution if old else 0.0)
        if abs(delta) < 0.01:
            continue
        if old is not None and old.score is None and m.score is not None:
            text = f"{m.key}: now has data (sub-score {m.score:.0f})"
        elif m.score is None:
            text = f"{m.key}: no data any more"
        elif old is not None and old.raw == m.raw:
            text = (
                f"{m.key}: unchanged at {m.raw:.4g}; its share of the score moved as other measures "
                f"gained or lost data ({'+' if delta > 0 else ''}{delta:.1f} points)"
            )
        else:
            was = f"{old.raw:.4g}" if old is not None and old.raw is not None else "none"
            now_raw = f"{m.raw:.4g}" if m.raw is not None else "none"
            text = f"{m.key}: {was} → {now_raw} ({'+' if delta > 0 else ''}{delta:.1f} points)"
        if m.detail:
            text += f": {m.detail}"
        moves.append(Reason(m.key, round(delta, 2), text))
    moves.sort(key=lambda r: abs(r.delta), reverse=True)
    return tuple(moves[:top])


def meaningful(previous: Score | None, current: Score, min_delta: float) -> bool:
    """Emit a change event? Always on a colour change, else only past the minimum delta."""
    if previous is None:
        return True
    return previous.colour != current.colour or abs(current.value - previous.value) >= min_delta


def trend(
    history: Sequence[tuple[datetime, float]], now: datetime, days: int, flat_band: float = 3.0
) -> dict[str, object]:
    """Change over the window: the latest value minus the last value at or before its start."""
    if not history:
        return {"window_days": days, "delta": None, "direction": "unknown"}
    ordered = sorted(history)
    start = now - timedelta(days=days)
    before = [v for t, v in ordered if t <= start]
    base = before[-1] if before else ordered[0][1]
    delta = round(ordered[-1][1] - base, 2)
    direction = "flat" if abs(delta) < flat_band else ("up" if delta > 0 else "down")
    return {"window_days": days, "delta": delta, "direction": direction}


@dataclass(frozen=True, slots=True)
class Watermark:
    """The last score announced for an account (what downstream services believe)."""

    value: float
    colour: Colour


@dataclass(frozen=True, slots=True)
class Announcement:
    score_changed: bool
    colour_changed: bool
    watermark: Watermark | None  # after this score: moved only when something was announced
    baseline: bool = False  # the first known colour: a starting point, never a change or a fall


def announce(announced: Watermark | None, current: Score, min_delta: float) -> Announcement:
    """Announce against what was last announced, not the last stored score: many small moves
    below ``min_delta`` add up until they cross it. A colour change is always announced.

    An account's first known colour (nothing announced yet, or only ``unknown``) is its baseline:
    announced as a score, so views have it, but never as a colour change: "a first score is not a
    change", and nobody is paged because the CRM's news arrived before the product's."""
    known = announced is not None and announced.colour is not Colour.UNKNOWN
    if not known and current.colour is not Colour.UNKNOWN:
        return Announcement(True, False, Watermark(current.value, current.colour), baseline=True)
    last = Score("", "", 0, announced.value, announced.colour, True, (), current.computed_at) if announced else None
    if not meaningful(last, current, min_delta):
        return Announcement(False, False, announced)
    colour_changed = known and announced is not None and announced.colour != current.colour
    return Announcement(True, colour_changed, Watermark(current.value, current.colour))


def stored_changed(previous: Score | None, current: Score) -> bool:
    """Worth a new history row (and new reasons): value moved by a hundredth, colour or scorecard changed."""
    return (
        previous is None
        or abs(previous.value - current.value) >= 0.01
        or previous.colour != current.colour
        or (previous.scorecard_id, previous.scorecard_version) != (current.scorecard_id, current.scorecard_version)
    )
