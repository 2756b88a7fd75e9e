"""What an event means on an account's timeline: its kind and a one-line title a CSM reads, from a table
keyed by event class (``TITLES``).

Kinds (the timeline filters by them): ``health`` (score and colour changes, with their reasons),
``milestone``, ``champion``, ``goal`` (goals, problems, value reviews), ``ticket``, ``nps``,
``request``, ``account`` (upserts, contacts, onboarding), ``deal`` (closed-won and the hand-off
review), ``renewal`` (opportunities, windows, risk, contracts, outcomes), ``ownership``, ``alert``,
``task``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from bellwether_shared.events import health as hev, ingest as iev, notifications as nev, renewals as rev
from bellwether_shared.events.base import Event

Kind = Literal[
    "health",
    "milestone",
    "champion",
    "goal",
    "ticket",
    "nps",
    "request",
    "account",
    "deal",
    "renewal",
    "ownership",
    "alert",
    "task",
    "touch",
]
KINDS: tuple[str, ...] = get_args(Kind)  # the timeline filters by them

P = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str
    title: str


def _money(v: Any) -> str:
    try:
        return f"{float(v):,.0f}"
    except (TypeError, ValueError):
        return "?"


def _reasons(p: P) -> str:
    texts = [str(r.get("text")) for r in (p.get("reasons") or [])[:2] if isinstance(r, Mapping)]
    return f": {'; '.join(texts)}" if texts else ""


def _score(p: P) -> str:
    old = p.get("old_value")
    was = f" (from {old:.0f})" if isinstance(old, int | float) else ""
    return f"Health {p.get('new_value', 0):.0f}, {p.get('new_colour')}{was}{_reasons(p)}"


def _renewal_risk(p: P) -> str:
    state = "at risk" if p.get("at_risk") else "not at risk"
    return f"Renewal {state}: {p.get('level')} risk, {p.get('points', 0):.0f} points{_reasons(p)}"


def _review(p: P) -> str:
    band = str(p.get("band")).replace("_", " ")
    what = (
        "Hand-off review opened"
        if p.get("previous_band") is None
        else f"Hand-off answers recorded by {p.get('scored_by')}"
    )
    flags = [str(f.get("criterion")) for f in (p.get("flags") or []) if isinstance(f, Mapping)]
    return f"{what} for {p.get('deal_id')}: {band}" + (f" ({', '.join(flags)})" if flags else "")


# Not on the timeline: events whose companion, sent with them, says the same thing at the same moment
# (every risk_changed comes with the risk_assessed of the same assessment).
SAME_AS_COMPANION: frozenset[type[Event]] = frozenset({rev.RenewalRiskChanged})

TITLES: dict[type[Event], tuple[str, Callable[[P], str]]] = {
    # signals.v1
    iev.AccountUpserted: (
        "account",
        lambda p: "Account details updated" + (f" (stage {p['lifecycle_stage']})" if p.get("lifecycle_stage") else ""),
    ),
    iev.ContactChanged: (
        "account",
        lambda p: (
            f"Contact {p.get('name') or p.get('contact_id')}"
            + (" left the company" if p.get("departed") else " updated")
        ),
    ),
    iev.OnboardingConfirmed: (
        "account",
        lambda p: f"Customer confirmed {p.get('aspect')} onboarding ({p.get('confirmed_by')})",
    ),
    iev.NpsSubmitted: (
        "nps",
        lambda p: (
            f"NPS {p.get('score')} from {p.get('contact_id')}"
            + (f': "{str(p["comment"])[:80]}"' if p.get("comment") else "")
        ),
    ),
    iev.TicketChanged: (
        "ticket",
        lambda p: (
            f"Ticket {p.get('ticket_id')} {p.get('status')} ({p.get('severity')})"
            + (f": {str(p['subject_line'])[:80]}" if p.get("subject_line") else "")
        ),
    ),
    iev.GoalUpdated: ("goal", lambda p: f"Goal '{p.get('name')}' updated: {p.get('status')}"),
    iev.ProblemRecorded: (
        "goal",
        lambda p: f"Problem recorded: '{str(p.get('description'))[:80]}' (severity {p.get('severity')}/5)",
    ),
    iev.ValueReviewRecorded: (
        "goal",
        lambda p: (
            f"Value review: {str(p.get('outcome')).replace('_', ' ')}"
            + (f" ({str(p['notes'])[:60]})" if p.get("notes") else "")
        ),
    ),
    iev.TouchRecorded: (
        "touch",
        lambda p: (
            f"{str(p.get('kind')).replace('_', ' ').capitalize()} {'held' if p.get('outcome') == 'done' else 'missed'}"
            + (f" by {p['by_person']}" if p.get("by_person") else "")
            + f" on {p.get('held_on')}"
        ),
    ),
    iev.FeatureRequestStatusChanged: (
        "request",
        lambda p: f"{(p.get('kind') or 'feature').capitalize()} request '{p.get('title')}' {p.get('status')}",
    ),
    iev.DealClosedWonV2: ("deal", lambda p: f"Deal {p.get('deal_id')} closed won: {_money(p.get('arr'))} ARR"),
    # health.v1
    hev.HealthScoreChanged: ("health", _score),
    hev.HealthColourChanged: (
        "health",
        lambda p: f"Health turned {p.get('new_colour')} ({p.get('value', 0):.0f})" + _reasons(p),
    ),
    hev.MilestoneAchieved: (
        "milestone",
        lambda p: (
            f"Milestone '{p.get('name')}' achieved"
            + (f" in {p['time_to_value_days']} days" if p.get("time_to_value_days") is not None else "")
        ),
    ),
    hev.MilestoneMissed: (
        "milestone",
        lambda p: f"{'Key milestone' if p.get('is_key') else 'Milestone'} '{p.get('name')}' missed",
    ),
    hev.ContactAssessed: (
        "champion",
        lambda p: "; ".join(str(w) for w in (p.get("why") or [])[:1]) or f"{p.get('label')}: {p.get('quadrant')}",
    ),
    hev.ChampionAtRisk: (
        "champion",
        lambda p: "Champion at risk: " + "; ".join(str(w) for w in (p.get("why") or [])[:1]),
    ),
    hev.ChampionCoverageChanged: (
        "champion",
        lambda p: f"{p.get('healthy_influential')} of {p.get('target')} healthy influential champions",
    ),
    hev.GoalProgressChanged: (
        "goal",
        lambda p: (
            f"Goal '{p.get('name')}' {str(p.get('status')).replace('_', ' ')}"
            + (f" ({p['progress_pct']:.0f} % of the way)" if p.get("progress_pct") is not None else "")
        ),
    ),
    hev.ExpansionReady: (
        "renewal",
        lambda p: (
            f"Ready to grow ({str(p.get('growth_type')).replace('_', ' ')}): "
            + ", ".join(str(r) for r in (p.get("reasons") or [])[:3])
        ),
    ),
    hev.ValueLadderChanged: (
        "goal",
        lambda p: (
            f"Value ladder: {str(p.get('rung')).replace('_', ' ')} (step {p.get('step')} of 4"
            + (f", was {str(p.get('previous_rung')).replace('_', ' ')}" if p.get("previous_rung") else "")
            + f"): {p.get('reason')}"
        ),
    ),
    hev.OnboardingOverdue: (
        "account",
        lambda p: f"Onboarding not confirmed {p.get('days_since_kickoff')} days after kickoff",
    ),
    # renewals.v1
    rev.TouchOverdue: (
        "touch",
        lambda p: (
            f"{str(p.get('kind')).replace('_', ' ').capitalize()} overdue by {p.get('days_overdue')} days"
            + f" ({p.get('engagement_reason')})"
        ),
    ),
    rev.OpportunityCreated: (
        "renewal",
        lambda p: (
            f"{str(p.get('kind')).capitalize()} opportunity opened: "
            f"{_money(p.get('arr'))} ARR, owner {p.get('owner_id')}"
        ),
    ),
    rev.RenewalUpcoming: (
        "renewal",
        lambda p: f"Renewal in {p.get('days_to_renewal')} days ({_money(p.get('arr'))} ARR)",
    ),
    rev.RenewalRiskAssessed: ("renewal", _renewal_risk),
    rev.RequestShipped: ("request", lambda p: f"'{p.get('title')}', which the account asked for, shipped"),
    rev.RenewalRiskEscalated: (
        "renewal",
        lambda p: (
            f"Renewal risk escalated to the VP ({p.get('tier') or 'tier'}: "
            f"{p.get('days_to_renewal')} days before the date)"
        ),
    ),
    rev.RenewalClosed: (
        "renewal",
        lambda p: (
            f"Renewal closed: {p.get('outcome')} "
            f"({'+' if float(p.get('arr_change') or 0) >= 0 else ''}{_money(p.get('arr_change'))} ARR)"
        ),
    ),
    rev.ContractChanged: (
        "renewal",
        lambda p: (
            f"Contract {p.get('contract_id')}: {_money(p.get('arr'))} ARR, {p.get('start_date')} to {p.get('end_date')}"
        ),
    ),
    rev.OwnershipChanged: (
        "ownership",
        lambda p: (
            f"{str(p.get('role')).upper()} now {p.get('new_owner_id')} (was {p.get('old_owner_id')}): {p.get('reason')}"
        ),
    ),
    rev.HandoffReviewOpened: (
        "deal",
        lambda p: f"Hand-off review of {p.get('deal_id')}: {p.get('score')} ({p.get('band')})",
    ),
    rev.HandoffReviewScored: ("deal", _review),
    rev.DealAccepted: ("deal", lambda p: f"Deal {p.get('deal_id')} accepted at hand-off"),
    rev.DealRejectionProposed: ("deal", lambda p: f"{p.get('proposed_by')} proposed rejecting {p.get('deal_id')}"),
    rev.DealRejected: ("deal", lambda p: f"Deal {p.get('deal_id')} rejected (approved by {p.get('approved_by')})"),
    rev.DealRejectionDeclined: ("deal", lambda p: f"Rejection of {p.get('deal_id')} declined"),
    # notifications.v1
    nev.AlertRaised: ("alert", lambda p: f"Alert ({p.get('severity')}): {p.get('text')}"),
    nev.TaskOpened: (
        "task",
        lambda p: (
            f"Task {'opened' if p.get('triggers', 1) == 1 else 'triggered again'}: "
            f"{p.get('title')} (owner {p.get('owner_id')}, due {str(p.get('due_at'))[:10]})"
        ),
    ),
    nev.TaskClosed: (
        "task",
        lambda p: (
            f"Task {p.get('status')}: {p.get('title')}"
            + (f" — {p['outcome']}" if p.get("outcome") else f" — {p['reason']}" if p.get("reason") else "")
        ),
    ),
}
TITLES[iev.DealClosedWon] = TITLES[iev.DealClosedWonV2]  # each version of the deal, the same line


def name_of(event_type: str) -> str:
    """``bellwether.health.score_changed.v1`` → ``score_changed``."""
    parts = event_type.split(".")
    return parts[-2] if len(parts) >= 2 else event_type


def describe(event: type[Event], payload: P) -> Entry | None:
    """The timeline line of an event (by its class); None for an event its companion already shows."""
    if event in SAME_AS_COMPANION:
        return None
    generic = ("account", lambda p: name_of(event.event_type).replace("_", " "))
    kind, title = TITLES.get(event, generic)
    return Entry(kind, title(payload)[:500])
