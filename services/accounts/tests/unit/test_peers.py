"""Peer benchmarks (domain.peers): where an account stands among its peers, each figure's good direction
respected, and nothing but the count below the minimum group."""

from __future__ import annotations

from hypothesis import given, strategies as st

from accounts.domain import peers


def test_the_account_against_its_peers_with_the_count_behind_each_figure() -> None:
    group = [
        {"adoption": a, "health": h, "time_to_value": t}
        for a, h, t in ((0.2, 40, 60), (0.4, 55, 45), (0.6, 70, 30), (0.8, 85, 20), (0.5, 60, None))
    ]
    own = group[2]
    by = {b.figure: b for b in peers.benchmarks(own, group, min_group=4)}
    adoption = by["adoption"]
    assert (adoption.count, adoption.shown, adoption.value, adoption.percentile) == (5, True, 0.6, 80.0)
    assert (adoption.p25, adoption.p50, adoption.p75) == (0.4, 0.5, 0.6)
    ttv = by["time_to_value"]  # fewer days is better: 30 beats 45 and 60 and itself
    assert (ttv.count, ttv.percentile) == (4, 75.0)
    hidden = peers.benchmarks(own, group, min_group=5)
    assert [(b.figure, b.shown, b.count, b.p50) for b in hidden if not b.shown] == [("time_to_value", False, 4, None)]


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.integers(3, 10))
def test_below_the_minimum_group_only_the_count_is_said(values: list[float], min_group: int) -> None:
    b = peers.benchmark("adoption", values[0], values, min_group=min_group)
    assert b.count == len(values)
    if len(values) < min_group:
        assert (b.shown, b.value, b.percentile, b.p25, b.p50, b.p75) == (False, None, None, None, None, None)
    else:
        assert b.shown and b.percentile is not None and 0 < b.percentile <= 100
        assert b.p25 is not None and b.p75 is not None and b.p25 <= b.p75
