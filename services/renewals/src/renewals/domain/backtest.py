"""Does the health score predict renewals? (issue: health-score backtest)

For each closed renewal: the account's health score N days before the renewal date and whether
it churned. ROC AUC is the probability that a renewed account scored higher than a churned one
(ties count half): 0.5 is a coin, 1.0 a perfect predictor. Churn rate by colour, and the lift of
red (its churn rate over the overall one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sample:
    score: float
    colour: str
    churned: bool


@dataclass(frozen=True, slots=True)
class ColourStats:
    renewals: int
    churned: int
    churn_rate: float
    lift: float | None  # churn rate here ÷ overall churn rate


@dataclass(frozen=True, slots=True)
class Result:
    samples: int
    churned: int
    auc: float | None  # None when one of the classes is empty
    churn_rate: float | None
    by_colour: dict[str, ColourStats]


def roc_auc(scores: Sequence[float], churned: Sequence[bool]) -> float | None:
    """Mann-Whitney U over ranks (ties get their average rank): O(n log n)."""
    n = len(scores)
    pos = sum(1 for c in churned if not c)  # renewed: should score higher
    neg = n - pos
    if pos == 0 or neg == 0:
        return None
    order = sorted(range(n), key=lambda k: scores[k])
    ranks = [0.0] * n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = avg
        i = j + 1
    rank_sum = sum(r for r, c in zip(ranks, churned, strict=True) if not c)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


@dataclass(frozen=True, slots=True)
class Tally:
    """Closed renewals that share a score and a colour (what the database returns, grouped)."""

    score: float
    colour: str
    renewed: int
    churned: int


def roc_auc_tallies(tallies: Sequence[Tally]) -> float | None:
    """The same AUC from grouped counts: for each score, renewed there beat every churned below it
    and tie with the churned at the same score. O(distinct scores)."""
    by_score: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for t in tallies:
        by_score[t.score][0] += t.renewed
        by_score[t.score][1] += t.churned
    pos = sum(v[0] for v in by_score.values())
    neg = sum(v[1] for v in by_score.values())
    if pos == 0 or neg == 0:
        return None
    wins, churned_below = 0.0, 0
    for score in sorted(by_score):
        renewed, churned = by_score[score]
        wins += renewed * churned_below + 0.5 * renewed * churned
        churned_below += churned
    return wins / (pos * neg)


def evaluate_tallies(tallies: Sequence[Tally]) -> Result:
    """:func:`evaluate` over grouped counts (identical results, without one object per renewal)."""
    total = sum(t.renewed + t.churned for t in tallies)
    churned = sum(t.churned for t in tallies)
    overall = churned / total if total else None
    colours: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for t in tallies:
        colours[t.colour][0] += t.renewed + t.churned
        colours[t.colour][1] += t.churned
    by_colour = {
        colour: ColourStats(n, c, round(c / n, 4), round((c / n) / overall, 3) if overall else None)
        for colour, (n, c) in sorted(colours.items())
    }
    auc = roc_auc_tallies(tallies)
    return Result(
        samples=total,
        churned=churned,
        auc=round(auc, 4) if auc is not None else None,
        churn_rate=round(overall, 4) if overall is not None else None,
        by_colour=by_colour,
    )


def evaluate(samples: Iterable[Sample]) -> Result:
    rows = list(samples)
    churned = sum(1 for s in rows if s.churned)
    overall = churned / len(rows) if rows else None
    groups: dict[str, list[Sample]] = defaultdict(list)
    for s in rows:
        groups[s.colour].append(s)
    by_colour: dict[str, ColourStats] = {}
    for colour, group in sorted(groups.items()):
        c = sum(1 for s in group if s.churned)
        rate = c / len(group)
        by_colour[colour] = ColourStats(len(group), c, round(rate, 4), round(rate / overall, 3) if overall else None)
    auc = roc_auc([s.score for s in rows], [s.churned for s in rows])
    return Result(
        samples=len(rows),
        churned=churned,
        auc=round(auc, 4) if auc is not None else None,
        churn_rate=round(overall, 4) if overall is not None else None,
        by_colour=by_colour,
    )
