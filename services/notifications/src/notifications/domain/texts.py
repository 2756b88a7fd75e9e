"""The words of an alert: a title and one line a person can act on, per event type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _money(v: Any) -> str:
    return f"{float(v):,.0f}" if isinstance(v, int | float) else "?"


def _review(e: Mapping[str, Any], who: str) -> str:
    if e.get("band") == "answers_missing":
        return f"Deal {e.get('deal_id')} for {who} came without its hand-off answers: record them at kickoff"
    flags = "; ".join(str(f.get("reason")) for f in e.get("flags") or [] if isinstance(f, Mapping))
    how = "flagged at hand-off" if e.get("previous_band") is None else f"flagged by the answers of {e.get('scored_by')}"
    return f"Deal {e.get('deal_id')} for {who} {how} ({e.get('band')}): {flags}"


def describe(event_type: str, facts: Mapping[str, Any], rule_name: str) -> tuple[str, str]:
    e: Mapping[str, Any] = facts.get("event") or {}
    a: Mapping[str, Any] = facts.get("account") or {}
    who = a.get("name") or e.get("account_id") or "an account"
    reasons = "; ".join(str(r.get("text")) for r in (e.get("reasons") or [])[:3] if isinstance(r, Mapping))
    kind = event_type.rsplit(".", 2)[-2]
    match kind:
        case "colour_changed":
            was = e.get("old_colour") or "not scored"
            text = f"Health of {who} turned {e.get('new_colour')} (was {was}), score {e.get('value')}"
        case "score_changed":
            text = f"Health of {who} fell {abs(float(e.get('delta') or 0)):.0f} points to {e.get('new_value')}"
        case "milestone_missed":
            text = f"{who} missed the milestone '{e.get('name')}' (deadline {e.get('deadline')})"
        case "contact_changed":
            text = f"Champion {e.get('contact_id')} ({e.get('role') or 'role unknown'}) left {who}"
        case "risk_changed":
            when = f"{e.get('renewal_date')} ({e.get('days_to_renewal')} days, ARR {_money(e.get('arr'))})"
            text = f"Renewal of {who} on {when} is at risk"
        case "risk_escalated":
            when = f"{e.get('renewal_date')} ({e.get('days_to_renewal')} days, ARR {_money(e.get('arr'))})"
            text = f"Renewal of {who} on {when} is at risk ({e.get('level')}), {e.get('tier') or 'its'} tier escalates"
        case "renewal_upcoming":
            text = f"{who} renews in {e.get('days_to_renewal')} days (ARR {_money(e.get('arr'))})"
        case "feature_request_status_changed":
            text = f"'{e.get('title')}' shipped for {who}, which renews in {a.get('days_to_renewal')} days: tell them"
        case "handoff_review_opened":
            flags = ", ".join(str(f.get("criterion")) for f in e.get("flags") or [] if isinstance(f, Mapping))
            scored = f"{e.get('score')} ({e.get('band')})"
            text = f"New deal {e.get('deal_id')} for {who} scored {scored}: {flags or 'no flags'}"
        case "request_shipped":
            what = f"'{e.get('title')}' shipped for {who}"
            text = (
                f"{what}, which renews in {e.get('days_to_renewal')} days: tell them"
                if e.get("urgency") == "urgent"
                else f"{what}, which asked for it"
            )
        case "handoff_review_scored":
            text = _review(e, who)
        case "champion_at_risk":
            why = "; ".join(str(w) for w in (e.get("why") or [])[:1])
            text = f"At {who}, {why or str(e.get('label')) + ' left the healthy quadrant'}"
        case "expansion_ready":
            why = ", ".join(str(r) for r in (e.get("reasons") or [])[:4])
            text = f"{who} is ready to grow ({str(e.get('growth_type')).replace('_', ' ')}): {why}"
        case "deal_rejection_proposed":
            criteria = ", ".join(str(c) for c in e.get("failed_criteria") or [])
            text = (
                f"{e.get('proposed_by')} proposes rejecting deal {e.get('deal_id')} for {who} "
                f"({criteria or 'no criteria cited'}): approve or decline it"
            )
        case "deal_rejected":
            text = f"Deal {e.get('deal_id')} for {who} was rejected at hand-off (approved by {e.get('approved_by')})"
        case "ownership_changed":
            what = "renewal" if e.get("opportunity_id") else "account"
            text = f"You are now the {e.get('role')} of the {what} {who} ({e.get('reason')})"
        case _:
            text = f"{kind.replace('_', ' ')} for {who}"
    if reasons:
        text += f": {reasons}"
    return f"{rule_name}: {who}", text
