"""Scorecard calibration from outcomes (pure): which weights would have told churned renewals from kept
ones, judged on renewals the fit never saw.

Each closed renewal is a sample: the measures' sub-scores (0-100) of the account's score ``N`` days
before its renewal date, and whether it churned (renewed, expanded and downgraded renewals were kept).
A logistic regression (scikit-learn; classes balanced, L2) is fitted on a stratified part of them;
a measure's suggested weight is how much a higher sub-score lowered the odds of churn (a measure that
did not, or pointed the wrong way, keeps only a token weight and is named). The current and the
suggested weights are then compared on the held-out renewals the way the scorecard itself scores: the
weighted mean of the sub-scores with data, whose AUC says how often a churned renewal scored below a
kept one (0.5: no better than chance). Too few outcomes, or too few of either kind: no suggestion,
and the answer says what is missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

TOKEN_WEIGHT = 0.1  # a scorecard weight is > 0: a measure with no evidence keeps this much


@dataclass(frozen=True, slots=True)
class Sample:
    opportunity_id: str
    churned: bool
    subs: Mapping[str, float | None]  # measure key → sub-score, None: no data then


@dataclass(frozen=True, slots=True)
class Calibration:
    status: str  # suggested / insufficient_data
    outcomes: int
    churned: int
    kept: int
    current_weights: dict[str, float]
    train: int = 0
    held_out: int = 0
    current_auc: float | None = None
    suggested_auc: float | None = None
    suggested_weights: dict[str, float] | None = None
    coefficients: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def weighted_score(subs: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """As the scorecard scores: the weighted mean over the measures with data."""
    have = [(weights[k], v) for k, v in subs.items() if v is not None and weights.get(k, 0) > 0]
    total = sum(w for w, _ in have)
    return sum(w * v for w, v in have) / total if total > 0 else None


def auc(samples: Sequence[Sample], weights: Mapping[str, float]) -> float | None:
    """How often a churned renewal scored below a kept one; None when only one kind is present."""
    labels = [s.churned for s in samples]
    if len(set(labels)) < 2:
        return None
    risk = [100.0 - (weighted_score(s.subs, weights) or 50.0) for s in samples]
    return round(float(roc_auc_score(labels, risk)), 4)


def _value(s: Sample, key: str, fill: Mapping[str, float]) -> float:
    v = s.subs.get(key)
    return (fill[key] if v is None else v) / 100.0


def _matrix(samples: Sequence[Sample], keys: Sequence[str], fill: Mapping[str, float]) -> np.ndarray:
    return np.array([[_value(s, k, fill) for k in keys] for s in samples])


def _fill(samples: Sequence[Sample], keys: Sequence[str]) -> dict[str, float]:
    """Missing sub-scores take the training mean of their measure (50 when no sample has data)."""
    out: dict[str, float] = {}
    for k in keys:
        seen = [v for s in samples if (v := s.subs.get(k)) is not None]
        out[k] = float(np.mean(seen)) if seen else 50.0
    return out


def _weights(keys: Sequence[str], coef: Sequence[float], total: float) -> tuple[dict[str, float], list[str]]:
    """Suggested weights: a measure's share of the evidence (−coefficient, churn per sub-score), scaled to
    the card's total weight, each within the API's (TOKEN_WEIGHT, 100]."""
    strength = {k: -c if -c > 1e-6 else 0.0 for k, c in zip(keys, coef, strict=True)}
    notes = [f"{k}: a higher sub-score did not lower churn here; token weight" for k, v in strength.items() if v == 0]
    s = sum(strength.values())
    if s == 0:
        return {k: round(total / len(keys), 2) for k in keys}, notes
    return {k: round(min(100.0, max(TOKEN_WEIGHT, total * v / s)), 2) for k, v in strength.items()}, notes


def calibrate(
    samples: Sequence[Sample],
    weights: Mapping[str, float],
    *,
    holdout: float = 0.3,
    min_outcomes: int = 20,
    min_each: int = 5,
    seed: int = 0,
) -> Calibration:
    keys = list(weights)
    churned = sum(s.churned for s in samples)
    base = Calibration("insufficient_data", len(samples), churned, len(samples) - churned, dict(weights))
    missing = []
    if len(samples) < min_outcomes:
        missing.append(f"{len(samples)} closed renewals with a score before them; at least {min_outcomes} needed")
    if min(churned, len(samples) - churned) < min_each:
        missing.append(f"{churned} churned and {len(samples) - churned} kept; at least {min_each} of each needed")
    if missing:
        return replace(base, notes=missing)
    labels = [s.churned for s in samples]
    train, test = train_test_split(list(samples), test_size=holdout, stratify=labels, random_state=seed)
    fill = _fill(train, keys)
    model = LogisticRegression(class_weight="balanced", max_iter=1000)
    model.fit(_matrix(train, keys, fill), [s.churned for s in train])
    coef = [float(c) for c in model.coef_[0]]
    suggested, notes = _weights(keys, coef, sum(weights.values()))
    return Calibration(
        "suggested",
        len(samples),
        churned,
        len(samples) - churned,
        dict(weights),
        len(train),
        len(test),
        auc(test, weights),
        auc(test, suggested),
        suggested,
        {k: round(c, 4) for k, c in zip(keys, coef, strict=True) if math.isfinite(c)},
        notes,
    )
