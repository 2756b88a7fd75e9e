"""The engagement model's rule (bellwether_shared.engagement): its invariants over every input, and the
sentences a CSM reads for the cases the domain names."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, strategies as st

from bellwether_shared.engagement import (
    DEFAULT_ENTITLEMENTS,
    GROWTH,
    HIGH_TOUCH_ARR,
    MODELS,
    SELF_SERVICE_ARR,
    TOUCH_KINDS,
    WORDS,
    cadences,
    decide,
    spend_of,
    touches_due,
)

tiers = st.sampled_from([None, "strategic", "mid", "scale", "gold"])
growths = st.sampled_from([None, *GROWTH])
models = st.sampled_from([None, *MODELS])


@given(tiers, growths, models, st.sampled_from(MODELS))
def test_the_crms_model_always_stands(tier, growth, preference, crm) -> None:
    choice = decide(tier=tier, growth=growth, preference=preference, crm_model=crm)
    assert (choice.model, choice.decided_by) == (crm, "crm")


@given(tiers, growths, models)
def test_the_rule_gives_a_model_and_says_why(tier, growth, preference) -> None:
    choice = decide(tier=tier, growth=growth, preference=preference)
    assert choice.model in MODELS and choice.decided_by == "rule"
    assert choice.reason.endswith(": " + WORDS[choice.model])
    assert (tier or "no tier") in choice.reason


@given(tiers, growths)
def test_a_customer_asking_for_self_service_is_never_given_high_touch(tier, growth) -> None:
    assert decide(tier=tier, growth=growth, preference="self_service").model == "self_service"


@given(tiers, models)
def test_high_growth_potential_is_never_left_to_self_service_by_the_rule(tier, preference) -> None:
    if preference != "self_service":
        assert decide(tier=tier, growth="high", preference=preference).model == "high_touch"


@given(growths, models)
def test_spend_alone_does_not_decide(growth, preference) -> None:
    """The same tier gives different models as growth potential and preference differ."""
    seen = {decide(tier="mid", growth=g, preference=p).model for g in (None, *GROWTH) for p in (None, *MODELS)}
    assert seen == set(MODELS)


arrs = st.one_of(st.none(), st.floats(0, 10_000_000, allow_nan=False))


@given(tiers, growths, models, arrs)
def test_spend_weighs_beside_tier_growth_and_preference(tier, growth, preference, arr) -> None:
    choice = decide(tier=tier, growth=growth, preference=preference, arr=arr)
    assert choice.model in MODELS and (tier or "no tier") in choice.reason
    base = decide(tier=tier, growth=growth, preference=preference)
    if spend_of(arr) is None:  # a middling or unknown spend changes nothing
        assert choice == base
    if spend_of(arr) == "large" and growth != "low" and preference != "self_service":
        assert choice.model == "high_touch"  # a large spend gets a person, unless it cannot grow
    if preference == "self_service" or growth == "high" or tier == "strategic":
        assert choice.model == base.model  # what the customer asks and what it can become come first


def test_spend_alone_never_decides_against_what_the_account_can_become() -> None:
    big, small = HIGH_TOUCH_ARR * 1.5, SELF_SERVICE_ARR / 2
    assert decide(tier="scale", growth="low", arr=big).model == "self_service"  # large, but nothing to grow
    assert decide(tier="mid", growth="high", arr=small).model == "high_touch"  # small now, much to grow
    assert (
        decide(tier="mid", growth="low", arr=small).reason == "mid tier, ARR 5,000, low growth potential: self-service"
    )
    assert decide(tier="mid", arr=big).reason == "mid tier, but ARR 150,000 (from 100,000): high touch"
    assert decide(tier="mid", arr=50_000).reason == "mid tier: one-to-many"


def test_the_domains_cases_read_as_a_csm_would_say_them() -> None:
    assert decide(tier="mid", growth="high").reason == "mid tier, but high growth potential: high touch"
    assert decide(tier="strategic", preference="self_service").reason == (
        "strategic tier, but the customer asks for self-service: self-service"
    )
    assert decide(tier="scale", growth="low").reason == "scale tier, low growth potential: self-service"
    assert decide(tier="mid").reason == "mid tier: one-to-many"


def test_each_model_promises_fewer_touches_than_the_one_above() -> None:
    high, pooled, self_ = (DEFAULT_ENTITLEMENTS[m] for m in ("high_touch", "one_to_many", "self_service"))
    assert high.business_reviews_per_year > pooled.business_reviews_per_year > self_.business_reviews_per_year
    assert high.executive_sponsor and not pooled.executive_sponsor and not self_.executive_sponsor
    assert high.onboarding_hours > pooled.onboarding_hours > self_.onboarding_hours
    assert high.check_in_days is not None and pooled.check_in_days is not None and self_.check_in_days is None
    assert high.check_in_days < pooled.check_in_days
    assert high.value_review_days == 30 and pooled.value_review_days == 91 and self_.value_review_days is None


@given(
    st.sampled_from(MODELS),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    st.one_of(st.none(), st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 1, 1))),
    st.dictionaries(st.sampled_from(TOUCH_KINDS), st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 1, 1))),
)
def test_a_promised_touch_is_due_its_cadence_after_the_last_held(model, today, since, done) -> None:
    promised = DEFAULT_ENTITLEMENTS[model]
    due = touches_due(promised, done=done, missed={}, since=since, today=today)
    assert {d.kind for d in due} == set(cadences(promised))  # what is promised, nothing else
    for d in due:
        start = done.get(d.kind) or since
        assert d.due_on == (start + timedelta(days=d.every_days) if start else None)
        assert d.overdue == (d.due_on is not None and d.due_on < today)  # unknown is never overdue


def test_high_touch_promises_a_review_each_quarter_a_fortnightly_check_in_a_sponsor_and_monthly_value() -> None:
    assert cadences(DEFAULT_ENTITLEMENTS["high_touch"]) == {
        "business_review": 91,
        "check_in": 14,
        "executive_sponsor_meeting": 182,
        "value_review": 30,
    }
    assert cadences(DEFAULT_ENTITLEMENTS["one_to_many"])["value_review"] == 91  # quarterly
    assert cadences(DEFAULT_ENTITLEMENTS["self_service"]) == {}
