"""The account view's pure core: every event it consumes has a kind and a readable title; the view's
trend and next renewal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

import pytest

from accounts import timeline as tl
from accounts.domain import view
from accounts.handlers import PROJECT
from bellwether_shared import topics
from bellwether_shared.events import CATALOGUE
from bellwether_shared.events.base import Event

# what accounts projects onto its timeline: everything it consumes but the identity events (of those it
# handles only deletion requests, which forget rather than record)
CONSUMED = sorted(
    t for t, cls in CATALOGUE.items() if cls.topic in topics.CONSUMES["accounts"] and cls.topic != topics.IDENTITY
)


def test_accounts_projects_every_consumed_event_but_identity() -> None:
    assert {cls.event_type for cls in PROJECT} == set(CONSUMED)


@pytest.mark.parametrize("event_type", CONSUMED)
def test_every_consumed_event_type_has_its_own_title(event_type: str) -> None:
    cls = CATALOGUE[event_type]
    if cls in tl.SAME_AS_COMPANION:
        return  # its companion's line says it (test_an_assessment_is_on_the_timeline_once)
    assert cls in tl.TITLES, f"{event_type} would fall back to a generic title"
    kind, _ = tl.TITLES[cls]
    assert kind in tl.KINDS


class _Unknown(Event):
    event_type: ClassVar[str] = "bellwether.unknown.thing_happened.v1"


def test_titles_read_like_what_happened() -> None:
    score = tl.describe(
        CATALOGUE["bellwether.health.score_changed.v1"],
        {
            "new_value": 38.2,
            "old_value": 71.0,
            "new_colour": "red",
            "reasons": [{"text": "champion: 100 → 0 (-20.0 points): 0 of 2 healthy influential champions"}],
        },
    )
    assert score == tl.Entry(
        "health", "Health 38, red (from 71): champion: 100 → 0 (-20.0 points): 0 of 2 healthy influential champions"
    )
    nps = tl.describe(
        CATALOGUE["bellwether.signals.nps_submitted.v1"], {"score": 4, "contact_id": "c1", "comment": "slow"}
    )
    assert nps == tl.Entry("nps", 'NPS 4 from c1: "slow"')
    closed = tl.describe(
        CATALOGUE["bellwether.renewals.renewal_closed.v1"], {"outcome": "expanded", "arr_change": 12000}
    )
    assert closed is not None and closed.title == "Renewal closed: expanded (+12,000 ARR)"
    unknown = tl.describe(_Unknown, {})
    assert unknown is not None and unknown.title == "thing happened"


def test_an_assessment_is_on_the_timeline_once() -> None:
    """risk_changed comes with the risk_assessed of the same assessment: only the latter is a line."""
    p = {"at_risk": True, "level": "high", "points": 70, "reasons": [{"text": "health is red (31)"}]}
    assert tl.describe(CATALOGUE["bellwether.renewals.risk_changed.v1"], p) is None
    assessed = tl.describe(CATALOGUE["bellwether.renewals.risk_assessed.v1"], p)
    assert assessed is not None and assessed.title.startswith("Renewal at risk: high risk, 70 points")


def test_trend_and_next_renewal() -> None:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    scores = [(now - timedelta(days=40), 80.0), (now - timedelta(days=10), 70.0), (now - timedelta(hours=1), 55.0)]
    assert view.trend(scores, now, 30) == -25.0 and view.trend(scores, now, 7) == -15.0
    assert view.trend([], now, 7) is None
    renewals = [
        {"opportunity_id": "later", "kind": "renewal", "renewal_date": date(2027, 6, 1), "outcome": None},
        {"opportunity_id": "next", "kind": "renewal", "renewal_date": date(2027, 1, 2), "outcome": None},
        {"opportunity_id": "done", "kind": "renewal", "renewal_date": date(2026, 11, 1), "outcome": "renewed"},
        {"opportunity_id": "x", "kind": "expansion", "renewal_date": date(2026, 12, 10), "outcome": None},
    ]
    nxt = view.next_renewal(renewals, now.date())
    assert nxt is not None and nxt["opportunity_id"] == "next" and nxt["days_to_renewal"] == 30


def test_the_crms_engagement_model_stands_and_the_rule_fills_in_without_it() -> None:
    crm = view.engagement_of({"tier": "mid", "growth_potential": "low", "engagement_model": "high_touch"}, "mid")
    assert (crm["model"], crm["decided_by"], crm["reason"]) == ("high_touch", "crm", "set in the CRM: high touch")
    assert crm["entitlements"] == {
        "business_reviews_per_year": 4,
        "executive_sponsor": True,
        "onboarding_hours": 40,
        "check_in_days": 14,
        "value_review_days": 30,
    }
    ruled = view.engagement_of({"tier": "Gold", "growth_potential": "high"}, "mid")  # the vocabulary's name
    assert (ruled["model"], ruled["reason"]) == ("high_touch", "mid tier, but high growth potential: high touch")
    named = view.engagement_of({"engagement_model": "high_touch", "executive_sponsor": "vp-sales"}, None)
    assert named["executive_sponsor"] == "vp-sales" and not named["sponsor_missing"]
    assert ruled["sponsor_missing"]  # high touch promises a sponsor; none is named
    unknown = view.engagement_of({}, None)
    assert (unknown["model"], unknown["reason"]) == ("one_to_many", "no tier: one-to-many")
    assert not unknown["sponsor_missing"]  # one-to-many promises no sponsor
