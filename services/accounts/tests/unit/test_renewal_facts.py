"""What each renewals event says about an opportunity in the account view (``facts_of``): each fills
only what it knows, and none puts words meant for something else into the risk or the close."""

from __future__ import annotations

from datetime import UTC, date, datetime

from accounts.renewal_repository import facts_of
from bellwether_shared.events import renewals as rev

AT = datetime(2026, 12, 7, tzinfo=UTC)


def test_an_expansions_opening_reasons_are_not_risk_reasons() -> None:
    e = rev.OpportunityCreated(
        account_id="a1",
        opportunity_id="o1",
        kind="expansion",
        contract_id=None,
        renewal_date=None,
        arr=5000,
        owner_id="ana",
        owner_role="ae",
        reasons=["seats nearly full"],
    )
    f = facts_of(e)
    assert f is not None and f.kind == "expansion" and f.arr == 5000 and f.owner_id == "ana"
    assert f.reasons is None and f.at_risk is None, "an opening says nothing about the risk"


def test_a_risk_event_carries_its_reasons_and_an_owner_change_only_the_owner() -> None:
    reason = rev.RiskReason(factor="score_red", points=30, text="health red")
    risk = rev.RenewalRiskChanged(
        account_id="a1",
        opportunity_id="o1",
        at_risk=True,
        level="high",
        points=30,
        renewal_date=date(2027, 3, 1),
        days_to_renewal=84,
        arr=9000,
        owner_id="rita",
        reasons=[reason],
    )
    f = facts_of(risk)
    assert f is not None and f.reasons == [reason.model_dump(mode="json")] and f.level == "high"
    moved = rev.OwnershipChanged(
        account_id="a1",
        opportunity_id="o1",
        role="renewal_owner",
        old_owner_id="rita",
        new_owner_id="raj",
        reason="rita left the team",
        actor="vp",
    )
    g = facts_of(moved)
    assert g is not None and g.owner_id == "raj"
    assert g.close_reason is None and g.reasons is None, "the change's reason is not the renewal's"
    account_owner = moved.model_copy(update={"opportunity_id": None})
    assert facts_of(account_owner) is None, "the account's owner is not an opportunity's"
