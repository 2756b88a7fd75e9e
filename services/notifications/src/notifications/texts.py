"""The words of an alert: a title and one line a person can act on, from a table keyed by event class
(``TEXTS``). An event type the table does not know gets a generic line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bellwether_shared.events import health as hev, ingest as iev, renewals as rev
from bellwether_shared.events.base import Event

Facts = Mapping[str, Any]
Line = Callable[[Facts, Facts, str], str]  # (event, account, who) -> the line


def _money(v: Any) -> str:
    return f"{float(v):,.0f}" if isinstance(v, int | float) else "?"


def _renewal_when(e: Facts) -> str:
    return f"{e.get('renewal_date')} ({e.get('days_to_renewal')} days, ARR {_money(e.get('arr'))})"


def _colour_changed(e: Facts, a: Facts, who: str) -> str:
    was = e.get("old_colour") or "not scored"
    return f"Health of {who} turned {e.get('new_colour')} (was {was}), score {e.get('value')}"


def _score_changed(e: Facts, a: Facts, who: str) -> str:
    return f"Health of {who} fell {abs(float(e.get('delta') or 0)):.0f} points to {e.get('new_value')}"


def _milestone_missed(e: Facts, a: Facts, who: str) -> str:
    return f"{who} missed the milestone '{e.get('name')}' (deadline {e.get('deadline')})"


def _contact_changed(e: Facts, a: Facts, who: str) -> str:
    return f"Champion {e.get('contact_id')} ({e.get('role') or 'role unknown'}) left {who}"


def _risk_changed(e: Facts, a: Facts, who: str) -> str:
    return f"Renewal of {who} on {_renewal_when(e)} is at risk"


def _risk_escalated(e: Facts, a: Facts, who: str) -> str:
    tier = e.get("tier") or "its"
    return f"Renewal of {who} on {_renewal_when(e)} is at risk ({e.get('level')}), {tier} tier escalates"


def _renewal_upcoming(e: Facts, a: Facts, who: str) -> str:
    return f"{who} renews in {e.get('days_to_renewal')} days (ARR {_money(e.get('arr'))})"


def _touch_overdue(e: Facts, a: Facts, who: str) -> str:
    kind = str(e.get("kind")).replace("_", " ")
    last = f"the last on {e.get('last_done')}" if e.get("last_done") else "none held yet"
    return (
        f"The {kind} promised to {who} is {e.get('days_overdue')} days overdue ({last}; {e.get('engagement_reason')})"
    )


def _request_status(e: Facts, a: Facts, who: str) -> str:
    return f"'{e.get('title')}' shipped for {who}, which renews in {a.get('days_to_renewal')} days: tell them"


def _review_opened(e: Facts, a: Facts, who: str) -> str:
    flags = ", ".join(str(f.get("criterion")) for f in e.get("flags") or [] if isinstance(f, Mapping))
    return f"New deal {e.get('deal_id')} for {who} scored {e.get('score')} ({e.get('band')}): {flags or 'no flags'}"


def _request_shipped(e: Facts, a: Facts, who: str) -> str:
    what = f"'{e.get('title')}' shipped for {who}"
    if e.get("urgency") == "urgent":
        return f"{what}, which renews in {e.get('days_to_renewal')} days: tell them"
    return f"{what}, which asked for it"


def _review_scored(e: Facts, a: Facts, who: str) -> str:
    if e.get("band") == "answers_missing":
        return f"Deal {e.get('deal_id')} for {who} came without its hand-off answers: record them at kickoff"
    flags = "; ".join(str(f.get("reason")) for f in e.get("flags") or [] if isinstance(f, Mapping))
    how = "flagged at hand-off" if e.get("previous_band") is None else f"flagged by the answers of {e.get('scored_by')}"
    return f"Deal {e.get('deal_id')} for {who} {how} ({e.get('band')}): {flags}"


def _champion_at_risk(e: Facts, a: Facts, who: str) -> str:
    why = "; ".join(str(w) for w in (e.get("why") or [])[:1])
    return f"At {who}, {why or str(e.get('label')) + ' left the healthy quadrant'}"


def _expansion_ready(e: Facts, a: Facts, who: str) -> str:
    why = ", ".join(str(r) for r in (e.get("reasons") or [])[:4])
    return f"{who} is ready to grow ({str(e.get('growth_type')).replace('_', ' ')}): {why}"


def _rejection_proposed(e: Facts, a: Facts, who: str) -> str:
    criteria = ", ".join(str(c) for c in e.get("failed_criteria") or [])
    return (
        f"{e.get('proposed_by')} proposes rejecting deal {e.get('deal_id')} for {who} "
        f"({criteria or 'no criteria cited'}): approve or decline it"
    )


def _deal_rejected(e: Facts, a: Facts, who: str) -> str:
    return f"Deal {e.get('deal_id')} for {who} was rejected at hand-off (approved by {e.get('approved_by')})"


def _ownership_changed(e: Facts, a: Facts, who: str) -> str:
    what = "renewal" if e.get("opportunity_id") else "account"
    return f"You are now the {e.get('role')} of the {what} {who} ({e.get('reason')})"


TEXTS: dict[type[Event], Line] = {
    hev.HealthColourChanged: _colour_changed,
    hev.HealthScoreChanged: _score_changed,
    hev.MilestoneMissed: _milestone_missed,
    hev.ChampionAtRisk: _champion_at_risk,
    hev.ExpansionReady: _expansion_ready,
    iev.ContactChanged: _contact_changed,
    iev.FeatureRequestStatusChanged: _request_status,
    rev.RenewalRiskChanged: _risk_changed,
    rev.RenewalRiskEscalated: _risk_escalated,
    rev.RenewalUpcoming: _renewal_upcoming,
    rev.TouchOverdue: _touch_overdue,
    rev.HandoffReviewOpened: _review_opened,
    rev.HandoffReviewScored: _review_scored,
    rev.RequestShipped: _request_shipped,
    rev.DealRejectionProposed: _rejection_proposed,
    rev.DealRejected: _deal_rejected,
    rev.OwnershipChanged: _ownership_changed,
}


def kind_of(event_type: str) -> str:
    """The event's kind without producer or version: ``bellwether.health.colour_changed.v1`` → colour_changed."""
    return event_type.rsplit(".", 2)[-2]


_BY_KIND: dict[str, Line] = {kind_of(cls.event_type): line for cls, line in TEXTS.items()}


def describe(event_type: str, facts: Facts, rule_name: str) -> tuple[str, str]:
    """The alert's title and line: the table's line for the event (any version of it), then up to three
    of the event's reasons."""
    e: Facts = facts.get("event") or {}
    a: Facts = facts.get("account") or {}
    who = a.get("name") or e.get("account_id") or "an account"
    kind = kind_of(event_type)
    line = _BY_KIND.get(kind)
    text = line(e, a, who) if line else f"{kind.replace('_', ' ')} for {who}"
    reasons = "; ".join(str(r.get("text")) for r in (e.get("reasons") or [])[:3] if isinstance(r, Mapping))
    if reasons:
        text += f": {reasons}"
    return f"{rule_name}: {who}", text
