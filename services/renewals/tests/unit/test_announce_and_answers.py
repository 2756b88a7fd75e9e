"""Invariants of renewal-risk announcements (only changes are announced) and the one definition
of the hand-off answers."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from bellwether_shared.events.ingest import Qualification
from renewals.domain import deal_quality as dq, risk

WINDOWS = st.one_of(st.none(), st.sampled_from(risk.WINDOWS))
INPUTS = st.builds(
    risk.Inputs,
    days_to_renewal=st.integers(-10, 400),
    colour=st.sampled_from([None, "red", "yellow", "green", "unknown"]),
    champion_departed=st.booleans(),
    exposure=st.sampled_from([None, "high", "moderate", "low"]),
    missed_milestones=st.integers(0, 4),
    open_severe_tickets=st.integers(0, 4),
)


@given(st.booleans(), WINDOWS, INPUTS)
def test_risk_and_windows_are_announced_only_on_change(was, last_window, inputs) -> None:  # type: ignore[no-untyped-def]
    now = risk.assess(inputs)
    say = risk.announce(was_at_risk=was, last_window=last_window, now=now)
    assert say.risk_changed == (now.at_risk != was)
    if say.window_entered:
        assert now.window is not None and (last_window is None or now.window < last_window)
    # after recording this assessment, assessing the same inputs again announces nothing
    again = risk.announce(
        was_at_risk=now.at_risk, last_window=now.window if say.window_entered else last_window, now=now
    )
    assert not again.risk_changed and not again.window_entered


def test_a_renewal_moving_away_announces_no_window() -> None:
    far = risk.assess(risk.Inputs(days_to_renewal=80))
    assert far.window == 90
    assert not risk.announce(was_at_risk=False, last_window=60, now=far).window_entered


ANSWERS = st.builds(
    Qualification,
    problem_severity=st.integers(1, 5),
    expected_duration_months=st.integers(0, 60),
    buying_department_fit=st.booleans(),
    champion_fit=st.booleans(),
    technology_ready=st.booleans(),
    services_sold_hours=st.floats(0, 100),
    services_needed_hours=st.floats(0, 100),
    order_form_exceptions=st.booleans(),
    order_form_exceptions_documented=st.booleans(),
)


@given(ANSWERS, st.floats(0, 100))
def test_the_domain_answers_are_the_shared_model_plus_the_discount(q, discount) -> None:  # type: ignore[no-untyped-def]
    a = dq.Answers.of(q, discount_pct=discount)
    for name in type(q).model_fields:
        assert getattr(a, name) == getattr(q, name)
    assert a.discount_pct == discount
    quality = dq.evaluate(a)
    assert (
        quality.score is not None
        and 0 <= quality.score <= 100
        and len({f.criterion for f in quality.flags}) == len(quality.flags)
    )


def test_the_review_api_takes_the_same_fields_as_the_event() -> None:
    from renewals.deal_schemas import QualificationIn

    assert set(QualificationIn.model_fields) == set(Qualification.model_fields)
    with pytest.raises(ValueError, match="extra"):
        QualificationIn.model_validate({**_valid(), "surprise": 1})  # the API stays strict


def _valid() -> dict[str, object]:
    return {
        "problem_severity": 3,
        "expected_duration_months": 12,
        "buying_department_fit": True,
        "champion_fit": True,
        "technology_ready": True,
        "services_sold_hours": 1,
        "services_needed_hours": 1,
    }


@given(
    st.sampled_from(["viewer", "csm", "vp_cs", "admin"]),
    st.sampled_from(["a", "b"]),
    st.sampled_from([None, "a", "b"]),
    st.sampled_from([None, "a", "b"]),
)
def test_only_vps_admins_and_the_csm_of_the_book_change_a_renewal(role, actor, csm, owner) -> None:  # type: ignore[no-untyped-def]
    from renewals.domain.policy import in_book

    allowed = in_book(role=role, actor=actor, account_csm=csm, owner_id=owner)
    assert allowed == (role in ("vp_cs", "admin") or (role == "csm" and actor in (csm, owner)))
    if role == "viewer":
        assert not allowed
