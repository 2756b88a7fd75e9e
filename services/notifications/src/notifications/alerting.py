"""From an event to alerts: evaluate the rules for the event type, record each alert with why it
fired, decide per recipient (send, duplicate, digest, throttled),
and queue a persistent delivery per destination the recipient is subscribed to. All in the
consumer's transaction, so a redelivered event changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bellwether_shared.engagement import decide
from bellwether_shared.events import notifications as nev
from bellwether_shared.tiers import Tiers
from bellwether_shared.uow import UnitOfWork
from notifications import alert_repository as ar, repository, routing, texts
from notifications.domain import incidents, messages
from notifications.domain.rules import Condition, Rule, Severity, evaluate


async def _account_facts(uow: UnitOfWork, account: str | None, now: datetime, tiers: Tiers) -> dict[str, Any]:
    if not account:
        return {}
    facts = await repository.account_facts(uow.conn, account_id=account, today=now.date())
    return facts | {"engagement": engaged(facts, tiers)}


def engaged(account: Mapping[str, Any], tiers: Tiers) -> str:
    """The account's engagement model (rules may read it as ``account.engagement``; playbooks name the
    models they apply to)."""
    return decide(
        tier=tiers.name(account.get("tier")),
        growth=account.get("growth_potential"),
        preference=account.get("engagement_preference"),
        crm_model=account.get("engagement_model"),
        arr=account.get("arr"),
    ).model


def to_rule(r: Mapping[str, Any]) -> Rule:
    return Rule(
        rule_id=r["rule_id"],
        name=r["name"],
        event_type=r["event_type"],
        severity=Severity.parse(r["severity"]),
        conditions=tuple(Condition(c["field"], c["op"], c.get("value")) for c in r["conditions"]),
        recipient_roles=tuple(r["recipient_roles"]),
        recipient_people=tuple(r["recipient_people"]),
        dedupe_window_s=r["dedupe_window_s"],
        key_fields=tuple(r["key_fields"]),
        enabled=r["enabled"],
    )


OpenTask = Callable[..., Awaitable[Any]]


async def on_event(
    uow: UnitOfWork,
    *,
    event_id: str,
    event_type: str,
    p: Mapping[str, Any],
    now: datetime,
    open_task: OpenTask | None = None,
    policy: incidents.IncidentPolicy | None = None,
    tiers: Tiers | None = None,
) -> int:
    """Evaluate the rules for one event; returns how many deliveries were queued. A rule with a playbook
    opens (or updates) a task through ``open_task`` instead (``notifications.tasks``)."""
    rules = await repository.rules_for(uow.conn, event_type=event_type)
    if not rules:
        return 0
    account = p.get("account_id")
    facts = {"event": dict(p), "account": await _account_facts(uow, account, now, tiers or Tiers())}
    policy = policy or incidents.IncidentPolicy()
    queued = 0
    for row in rules:
        match = evaluate(to_rule(row), event_type, facts)
        if match is None:
            continue
        title, text = texts.describe(event_type, facts, match.rule.name)
        if row["playbook_id"]:
            if open_task is not None:
                await open_task(
                    uow,
                    rule=row,
                    match=match,
                    event_type=event_type,
                    facts=facts,
                    text=text,
                    now=now,
                    window=policy.window,
                )
            continue
        alert = messages.Alert(
            alert_id=str(uuid.uuid4()),
            rule_id=match.rule.rule_id,
            event_type=event_type,
            event_id=event_id,
            account_id=account,
            account_name=facts["account"].get("name"),
            severity=match.rule.severity.label,
            title=title,
            text=text,
            why=match.why,
            created_at=now,
            facts=facts,
        )
        queued += await raise_alert(
            uow, alert=alert, key=match.key, rule=match.rule, recipients=match.recipients, policy=policy
        )
    return queued


async def raise_alert(
    uow: UnitOfWork,
    *,
    alert: messages.Alert,
    key: str,
    rule: Rule,
    recipients: Sequence[str],
    policy: incidents.IncidentPolicy,
) -> int:
    """Record the alert (once: a redelivered cause finds it), route it to each recipient, and announce it
    (``alert_raised``, through the outbox in the same transaction) when it is about an account. Returns
    how many deliveries were queued."""
    if not await ar.insert_alert(uow.conn, alert=alert, key=key):
        return 0
    queued = 0
    outcomes: list[nev.RecipientOutcome] = []
    for recipient in recipients:
        n, outcome = await routing.route(
            uow.conn, alert=alert, key=key, rule=rule, recipient=recipient, now=alert.created_at, policy=policy
        )
        queued += n
        outcomes.append(outcome)
    if alert.account_id:
        uow.emit(
            nev.AlertRaised(
                account_id=alert.account_id,
                alert_id=alert.alert_id,
                rule_id=alert.rule_id,
                severity=alert.severity,
                title=alert.title,
                text=alert.text,
                why=alert.why,
                source_event_type=alert.event_type,
                source_event_id=alert.event_id,
                recipients=outcomes,
                raised_at=alert.created_at,
            )
        )
    return queued
