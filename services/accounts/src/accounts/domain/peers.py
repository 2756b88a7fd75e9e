"""Peer benchmarks (pure): what an account's peers (same industry and segment) are doing. For each
figure, where the account stands (its percentile among the peers with the figure) and the peers' 25th,
50th and 75th percentiles, with the count behind them; below ``min_group`` peers nothing is shown
but the count (a percentile of three accounts says nothing and can name them)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

FIGURES: dict[str, tuple[str, Literal["up", "down"]]] = {
    "adoption": ("share of seats active", "up"),
    "health": ("health score", "up"),
    "time_to_value": ("days to first value", "down"),
}


@dataclass(frozen=True, slots=True)
class Benchmark:
    figure: str
    label: str
    count: int  # peers with the figure (the account itself included)
    shown: bool  # False: fewer than the minimum group; nothing else is said
    value: float | None = None  # the account's own
    percentile: float | None = None  # share of peers the account does better than or equal to (0..100)
    p25: float | None = None
    p50: float | None = None
    p75: float | None = None


def _rank(value: float, values: Sequence[float], better: Literal["up", "down"]) -> float:
    """The share of values the account does at least as well as, in % (higher: better)."""
    at_least = sum(1 for v in values if (v <= value if better == "up" else v >= value))
    return round(at_least / len(values) * 100, 1)


def benchmark(figure: str, own: float | None, peers: Sequence[float], *, min_group: int) -> Benchmark:
    """``peers``: the figure of every account in the group that has it, the account's own included."""
    label, better = FIGURES[figure]
    if len(peers) < min_group:
        return Benchmark(figure, label, len(peers), False)
    q = statistics.quantiles(peers, n=4, method="inclusive")
    rank = _rank(own, peers, better) if own is not None else None
    return Benchmark(figure, label, len(peers), True, own, rank, round(q[0], 4), round(q[1], 4), round(q[2], 4))


def benchmarks(
    own: Mapping[str, float | None], group: Sequence[Mapping[str, float | None]], *, min_group: int
) -> list[Benchmark]:
    return [
        benchmark(f, own.get(f), [v for row in group if (v := row.get(f)) is not None], min_group=min_group)
        for f in FIGURES
    ]
