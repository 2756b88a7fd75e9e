"""Calibration: weights that would have told churned renewals from kept ones, judged on held-out ones;
never a suggestion on too little evidence."""

from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st

from health.domain.calibration import TOKEN_WEIGHT, Sample, auc, calibrate, weighted_score

WEIGHTS = {"usage": 5.0, "champion": 1.0, "support": 2.0}


def portfolio(n: int = 80, seed: int = 1) -> list[Sample]:
    """Churn follows the champion sub-score; usage is noise; support has gaps (no data)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        churned = i % 3 == 0
        champion = rnd.uniform(0, 45) if churned else rnd.uniform(40, 100)
        support = None if i % 4 == 0 else rnd.uniform(30, 90)
        out.append(Sample(f"o{i}", churned, {"usage": rnd.uniform(0, 100), "champion": champion, "support": support}))
    return out


def test_weighted_score_is_the_scorecards_mean_over_measures_with_data() -> None:
    assert weighted_score({"usage": 80, "champion": None, "support": 20}, WEIGHTS) == (5 * 80 + 2 * 20) / 7
    assert weighted_score({"usage": None}, WEIGHTS) is None


def test_the_measure_that_told_churn_apart_gets_the_weight_and_the_held_out_auc_rises() -> None:
    c = calibrate(portfolio(), WEIGHTS)
    assert c.status == "suggested" and c.suggested_weights is not None
    assert max(c.suggested_weights, key=lambda k: c.suggested_weights[k]) == "champion"  # type: ignore[index]
    assert c.current_auc is not None and c.suggested_auc is not None
    assert c.suggested_auc > c.current_auc and c.suggested_auc >= 0.9
    assert c.train + c.held_out == c.outcomes == 80 and c.churned == 27
    assert abs(sum(c.suggested_weights.values()) - sum(WEIGHTS.values())) < 0.5
    assert c.coefficients["champion"] < 0


def test_a_measure_pointing_the_wrong_way_keeps_a_token_weight_and_is_named() -> None:
    flipped = [
        Sample(s.opportunity_id, s.churned, {**s.subs, "usage": 100 - s.subs["champion"]})  # type: ignore[operator]
        for s in portfolio()
    ]
    c = calibrate(flipped, WEIGHTS)
    assert c.suggested_weights is not None and c.suggested_weights["usage"] == TOKEN_WEIGHT
    assert any(n.startswith("usage:") for n in c.notes)


def test_too_few_outcomes_or_too_few_churned_is_said_not_suggested() -> None:
    few = calibrate(portfolio(12), WEIGHTS)
    assert few.status == "insufficient_data" and few.suggested_weights is None
    assert "at least 20 needed" in few.notes[0]
    all_kept = [s for s in portfolio(120) if not s.churned]
    c = calibrate(all_kept, WEIGHTS)
    assert c.status == "insufficient_data" and "0 churned" in " ".join(c.notes)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(20, 60))
def test_suggested_weights_are_valid_scorecard_weights_and_aucs_are_probabilities(seed: int, n: int) -> None:
    rnd = random.Random(seed)
    samples = [
        Sample(f"o{i}", i % 2 == 0, {k: (None if rnd.random() < 0.2 else rnd.uniform(0, 100)) for k in WEIGHTS})
        for i in range(n)
    ]
    c = calibrate(samples, WEIGHTS, seed=seed)
    assert c.status == "suggested" and c.suggested_weights is not None
    assert set(c.suggested_weights) == set(WEIGHTS)
    assert all(TOKEN_WEIGHT <= w <= 100 for w in c.suggested_weights.values())
    for a in (c.current_auc, c.suggested_auc):
        assert a is None or 0 <= a <= 1


def test_auc_needs_both_kinds() -> None:
    assert auc([Sample("a", True, {"usage": 1})], WEIGHTS) is None
    assert auc([Sample("a", True, {"usage": 10}), Sample("b", False, {"usage": 90})], WEIGHTS) == 1.0


def test_a_measure_without_variation_is_named_as_giving_no_evidence() -> None:
    flat = [Sample(s.opportunity_id, s.churned, {**s.subs, "support": 50.0}) for s in portfolio()]
    c = calibrate(flat, WEIGHTS)
    assert c.suggested_weights is not None and c.suggested_weights["support"] == TOKEN_WEIGHT
    assert any(n.startswith("support:") for n in c.notes)
