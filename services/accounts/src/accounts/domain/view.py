"""The whole account in one answer (pure): the projection's pieces put together, with the health trend
and the few figures a CSM reads first (the next renewal, what is at risk, what is open)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from accounts.domain import peers
from bellwether_shared.engagement import DEFAULT_ENTITLEMENTS, Entitlements, Model, TouchKind, decide, touches_due
from bellwether_shared.support import OPEN_REQUEST  # one vocabulary of requests still waiting


def trend(scores: Sequence[tuple[datetime, float]], now: datetime, days: int) -> float | None:
    """The latest score minus the last one at or before the window's start (None without history)."""
    if not scores:
        return None
    ordered = sorted(scores)
    start = now - timedelta(days=days)
    before = [v for t, v in ordered if t <= start]
    base = before[-1] if before else ordered[0][1]
    return round(ordered[-1][1] - base, 2)


def next_renewal(renewals: Sequence[Mapping[str, Any]], today: date) -> dict[str, Any] | None:
    """The open renewal nearest in time, with its days to go."""
    open_ = [r for r in renewals if r.get("kind") == "renewal" and not r.get("outcome") and r.get("renewal_date")]
    if not open_:
        return None
    first = dict(min(open_, key=lambda r: r["renewal_date"]))
    first["days_to_renewal"] = (first["renewal_date"] - today).days
    return first


def engagement_of(
    account: Mapping[str, Any],
    tier: str | None,
    touches: Sequence[Mapping[str, Any]] = (),
    today: date | None = None,
    promises: Mapping[Model, Entitlements] = DEFAULT_ENTITLEMENTS,
    min_peers: int = 5,
) -> dict[str, Any]:
    """How the account is served, who decided it and why, what that model promises, and each promised
    touch: last held, next due, overdue (``tier``: the account's tier in the company's vocabulary,
    aliases resolved; ``touches``: those recorded, any order)."""
    choice = decide(
        tier=tier,
        growth=account.get("growth_potential"),
        preference=account.get("engagement_preference"),
        crm_model=account.get("engagement_model"),
        arr=account.get("arr"),
    )
    return {
        "model": choice.model,
        "decided_by": choice.decided_by,
        "reason": choice.reason,
        "growth_potential": account.get("growth_potential"),
        "preference": account.get("engagement_preference"),
        "entitlements": asdict(promises[choice.model]),
        "executive_sponsor": account.get("executive_sponsor"),
        # promised a sponsor, and none named: said, not left for someone to notice
        "sponsor_missing": DEFAULT_ENTITLEMENTS[choice.model].executive_sponsor
        and not account.get("executive_sponsor"),
        "touches": _due(promises[choice.model], account, touches, today or date.today()),
    }


def _due(
    promised: Entitlements, account: Mapping[str, Any], touches: Sequence[Mapping[str, Any]], today: date
) -> list[dict[str, Any]]:
    done: dict[TouchKind, date] = {}
    for t in touches:
        if t["outcome"] == "done" and t["held_on"] > done.get(t["kind"], date.min):
            done[t["kind"]] = t["held_on"]
    missed: dict[TouchKind, int] = {}
    for t in touches:
        if t["outcome"] == "missed" and t["held_on"] > done.get(t["kind"], date.min):
            missed[t["kind"]] = missed.get(t["kind"], 0) + 1
    since = account.get("onboarding_started_at")
    return [asdict(d) for d in touches_due(promised, done=done, missed=missed, since=since, today=today)]


def ladder_of(account: Mapping[str, Any]) -> dict[str, Any]:
    """Where the account stands on health's value ladder (rung None: not placed yet, no usage data)."""
    return {
        "rung": account.get("value_rung"),
        "step": account.get("value_step"),
        "of": 4,
        "reason": account.get("value_reason"),
        "since": account.get("value_at"),
    }


def peers_of(account_id: str, group: Sequence[Mapping[str, Any]], min_group: int) -> dict[str, Any]:
    """The account against the accounts of its industry and segment (domain.peers)."""
    own = next((dict(r) for r in group if r["account_id"] == account_id), {})
    return {
        "group": "same industry and segment",
        "accounts": len(group),
        "min_group": min_group,
        "benchmarks": [asdict(b) for b in peers.benchmarks(own, group, min_group=min_group)],
    }


def assemble(
    parts: Mapping[str, Any],
    scores: Sequence[tuple[datetime, float]],
    now: datetime,
    tier: str | None = None,
    promises: Mapping[Model, Entitlements] = DEFAULT_ENTITLEMENTS,
    min_peers: int = 5,
) -> dict[str, Any]:
    """``tier``: the account's tier in the company's vocabulary (the engagement rule reads it);
    ``promises``: what each engagement model promises (the company's ``ENGAGEMENT_ENTITLEMENTS``)."""
    account = dict(parts["account"])
    contacts = list(parts["contacts"])
    requests = list(parts["requests"])
    return {
        "account_id": account["account_id"],
        "name": account.get("name"),
        "tier": account.get("tier"),
        "segment": account.get("segment"),
        "industry": account.get("industry"),
        "exposure": account.get("exposure"),
        "lifecycle_stage": account.get("lifecycle_stage"),
        "arr": account.get("arr"),
        "engagement": engagement_of(account, tier, parts.get("touches", ()), now.date(), promises),
        "owners": {"csm": account.get("csm"), "ae": account.get("ae"), "renewal_owner": account.get("renewal_owner")},
        "health": {
            "value": account.get("health_value"),
            "colour": account.get("health_colour"),
            "reasons": account.get("health_reasons") or [],
            "computed_at": account.get("health_at"),
            "trend": {f"{d}d": trend(scores, now, d) for d in (7, 30, 90)},
        },
        "champions": {
            "healthy_influential": account.get("healthy_champions"),
            "target": account.get("champion_target"),
            "contacts": contacts,
        },
        "value_ladder": ladder_of(account),
        "peers": peers_of(account["account_id"], parts.get("peers", ()), min_peers),
        "goals": list(parts["goals"]),
        "problems": list(parts["problems"]),
        "milestones": list(parts["milestones"]),
        "tickets": {
            "open": [t for t in parts["tickets"] if t["status"] != "closed"],
            "recent_closed": [t for t in parts["tickets"] if t["status"] == "closed"][:10],
        },
        "requests": {
            "open": [r for r in requests if r["status"] in OPEN_REQUEST],
            "shipped": [r for r in requests if r["status"] == "shipped"],
        },
        "nps": list(parts["nps"]),
        "contracts": list(parts["contracts"]),
        "renewal": next_renewal(parts["renewals"], now.date()),
        "opportunities": list(parts["renewals"]),
        "recent_alerts": list(parts["alerts"]),
        "tasks": {
            "open": [t for t in parts["tasks"] if t["status"] in ("open", "in_progress", "snoozed")],
            "closed": [t for t in parts["tasks"] if t["status"] in ("done", "dismissed")][:10],
        },
    }
