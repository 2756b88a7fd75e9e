"""Objective templates over ingest's API: listed for a write key, and an account's goals started from one
as goal.updated signals (one per objective, in progress, the template's metric and link), read back from
Kafka; the same idempotency key again is the same events; bad requests name their field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from bellwether_shared import topics
from devkit.kafka import TopicTail


async def test_templates_are_listed_for_a_write_key_only(ingest, source) -> None:
    async with httpx.AsyncClient() as http:
        listed = await http.get(f"{ingest.url}/v1/objective-templates", auth=(source.write_key, ""))
        anonymous = await http.get(f"{ingest.url}/v1/objective-templates")
    assert anonymous.status_code == 401
    by_key = {t["key"]: t for t in listed.json()}
    sales = by_key["sales-productivity"]
    assert 3 <= len(sales["objectives"]) <= 4 and sales["customer_kind"]
    assert all(o["metric"] and o["playbook"].startswith("objective-") for t in by_key.values() for o in t["objectives"])


async def test_goals_start_from_a_template_as_signals_once_per_key(ingest, source, kafka_bootstrap, run_id) -> None:
    account, auth = f"acct-obj-{run_id}", (source.write_key, "")
    url = f"{ingest.url}/v1/accounts/{account}/goals/from-template"
    body = {"template": "reporting-automation", "due_days": 90, "message_id": f"tpl-{run_id}"}
    async with TopicTail(kafka_bootstrap, topics.SIGNALS) as tail, httpx.AsyncClient() as http:
        first = await http.post(url, json=body, auth=auth)
        again = await http.post(url, json=body, auth=auth)
        got = await tail.collect(lambda rs: sum(1 for r in rs if r.payload.get("account_id") == account) >= 6)
        unknown = await http.post(url, json=body | {"template": "world-peace"}, auth=auth)
        too_soon = await http.post(url, json=body | {"due_days": 0}, auth=auth)
    assert first.status_code == again.status_code == 200 and first.json()["accepted"] == 3
    goals = [r for r in got if r.payload.get("account_id") == account]
    assert {r.envelope.type for r in goals} == {"bellwether.signals.goal_updated.v1"}
    ids = [r.envelope.id for r in goals]
    assert len(set(ids)) == 3  # the same key again: the same three events (consumers keep each once)
    by_goal = {r.payload["goal_id"]: r.payload for r in goals}
    reports = by_goal["reporting-automation:reports-automated"]
    assert (reports["status"], reports["metric"], reports["linked_event"]) == (
        "in_progress",
        "reports run per month",
        "Report Run",
    )
    assert date.fromisoformat(reports["due_date"]) == datetime.now(UTC).date() + timedelta(days=90)
    assert "playbook objective-adoption" in reports["target"]
    assert unknown.status_code == 422 and unknown.json()["message"].startswith("template: unknown 'world-peace'")
    assert too_soon.status_code == 422 and too_soon.json()["errors"][0]["field"] == "due_days"
