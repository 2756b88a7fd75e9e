"""Notifications' rule, people, projection and alert repositories on the migrated schema, in a
rolled-back transaction: rules by event type (enabled only), people, the facts a rule reads about an
account, alerts once per (rule, event), what noise control reads per recipient, and digests taking
the held-back alerts once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bellwether_shared.events import ingest as iev
from notifications import alert_repository as ar, repository
from notifications.domain.messages import Alert
from notifications.schemas import PersonIn, RuleIn
from tests.support.db import rolled_back

NOW = datetime.now(UTC)


def _rule(event_type: str, enabled: bool = True, name: str = "R") -> RuleIn:
    return RuleIn(
        name=name,
        event_type=event_type,
        severity="high",
        recipient_roles=["csm"],
        dedupe_window_s=60,
        enabled=enabled,
        playbook_id=None,
    )


def _letters(run_id: str) -> str:
    """The run's tag in the letters an event type allows."""
    return "".join(chr(ord("a") + int(c, 16)) for c in run_id)


def _alert(alert_id: str, rule_id: str, event_id: str, account: str) -> Alert:
    return Alert(
        alert_id=alert_id,
        rule_id=rule_id,
        event_id=event_id,
        event_type="t",
        account_id=account,
        account_name=None,
        severity="high",
        title="T",
        text="x",
        why="w",
        facts={},
        created_at=NOW,
    )


async def test_rules_people_and_account_facts(notifications_db, run_id) -> None:
    t = f"bellwether.test.{_letters(run_id)}.v1"
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        await repository.put_rule(conn, rule_id=f"on-{run_id}", rule=_rule(t))
        await repository.put_rule(conn, rule_id=f"off-{run_id}", rule=_rule(t, enabled=False))
        changed = await repository.put_rule(conn, rule_id=f"on-{run_id}", rule=_rule(t, name="Renamed"))
        for_type = [r["rule_id"] for r in await repository.rules_for(conn, event_type=t)]
        types = await repository.rule_event_types(conn)
        listed = {r["rule_id"] for r in await repository.list_rules(conn)}
        assert await repository.delete_rule(conn, rule_id=f"off-{run_id}")
        assert not await repository.delete_rule(conn, rule_id=f"off-{run_id}")
        gone = await repository.get_rule(conn, rule_id=f"off-{run_id}")
        person = PersonIn(role="vp", digest="hourly", digest_at_or_below="low", throttle_per_hour=5)
        await repository.put_person(conn, person_id=f"vp-{run_id}", person=person)
        await repository.put_person(
            conn, person_id=f"vp-{run_id}", person=person.model_copy(update={"throttle_per_hour": 7})
        )
        got = await repository.get_person(conn, person_id=f"vp-{run_id}")
        people = {p["person_id"] for p in await repository.list_people(conn)}
        acct = f"a-{run_id}"
        upserted = iev.AccountUpserted(
            message_id="m",
            source_id="s",
            account_id=acct,
            received_at=NOW,
            occurred_at=NOW,
            name="Acme",
            tier="gold",
            arr=1000,
            owners=iev.Owners(csm="cara"),
        )
        await repository.upsert_account(conn, e=upserted, at=NOW)
        # an older upsert changes nothing; a newer one that leaves fields out keeps them
        older = upserted.model_copy(update={"tier": "silver"})
        await repository.upsert_account(conn, e=older, at=NOW - timedelta(hours=1))
        newer = iev.AccountUpserted(message_id="n", source_id="s", account_id=acct, received_at=NOW, occurred_at=NOW)
        await repository.upsert_account(conn, e=newer, at=NOW + timedelta(hours=1))
        await repository.set_renewal_date(conn, account_id=acct, renewal_date=date.today() + timedelta(days=40))
        facts = await repository.account_facts(conn, account_id=acct, today=date.today())
        unknown = await repository.account_facts(conn, account_id=f"none-{run_id}", today=date.today())
    assert changed["name"] == "Renamed" and for_type == [f"on-{run_id}"] and t in types
    assert {f"on-{run_id}", f"off-{run_id}"} <= listed and gone is None
    assert got is not None and got["throttle_per_hour"] == 7 and f"vp-{run_id}" in people
    assert facts["tier"] == "gold" and facts["days_to_renewal"] == 40 and facts["owners"]["csm"] == "cara"
    assert f"vp-{run_id}" in facts["owners"]["vp"] and "tier" not in unknown


async def test_alerts_once_noise_state_and_digests(notifications_db, run_id) -> None:
    acct, who = f"a-{run_id}", f"p-{run_id}"
    async with rolled_back(notifications_db.url, schema="notifications") as conn:
        assert await ar.insert_alert(conn, key="k", alert=_alert(f"al1-{run_id}", "r", f"e1-{run_id}", acct))
        assert not await ar.insert_alert(
            conn, key="k", alert=_alert(f"al1b-{run_id}", "r", f"e1-{run_id}", acct)
        )  # redelivery
        assert await ar.insert_alert(conn, key="k", alert=_alert(f"al2-{run_id}", "r", f"e2-{run_id}", acct))
        await ar.add_outcome(conn, alert_id=f"al1-{run_id}", recipient=who, key="k", outcome="send", reason="r", at=NOW)
        await ar.add_outcome(
            conn,
            alert_id=f"al2-{run_id}",
            recipient=who,
            key="k",
            outcome="throttled",
            reason="r",
            at=NOW + timedelta(seconds=1),
        )
        last, sent = await ar.recipient_state(conn, recipient=who, key="k", now=NOW + timedelta(seconds=2))
        listed = await ar.alerts(conn, account_id=acct, limit=10)
        waiting = await ar.waiting_for_digest(conn, recipient=who)
        taken = await ar.take_for_digest(conn, recipient=who, digest_id=f"dg-{run_id}")
        await ar.insert_digest(conn, digest_id=f"dg-{run_id}", recipient=who, period="daily", alerts=1, at=NOW)
        again = await ar.take_for_digest(conn, recipient=who, digest_id=f"dg2-{run_id}")
        after = await ar.waiting_for_digest(conn, recipient=who)
    assert last == NOW + timedelta(seconds=1) and sent == 1
    assert {a["alert_id"] for a in listed} == {f"al1-{run_id}", f"al2-{run_id}"}
    assert [w["recipient"] for w in waiting] == [who] and waiting[0]["period"] == "daily"
    assert [t["alert_id"] for t in taken] == [f"al2-{run_id}"] and again == [] and after == []
