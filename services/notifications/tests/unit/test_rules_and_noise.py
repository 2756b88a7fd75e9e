"""Pure core: rule evaluation and routing, noise control, retry backoff, alert texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st

from notifications import texts
from notifications.domain import noise
from notifications.domain.rules import Condition, Rule, Severity, evaluate, recipients

RISK = "bellwether.renewals.risk_changed.v1"
FACTS = {
    "event": {
        "account_id": "acme",
        "at_risk": True,
        "opportunity_id": "renewal-c1",
        "days_to_renewal": 40,
        "arr": 120000.0,
        "renewal_date": "2027-01-10",
        "reasons": [{"text": "health is red (31)"}],
    },
    "account": {
        "name": "Acme",
        "tier": "strategic",
        "arr": 120000.0,
        "colour": "red",
        "days_to_renewal": 40,
        "owners": {"csm": "cara", "ae": "abe", "vp": ["vera", "victor"]},
    },
}


def rule(**kw: object) -> Rule:
    base: dict[str, object] = {
        "rule_id": "r1",
        "name": "Renewal at risk",
        "event_type": RISK,
        "severity": Severity.HIGH,
        "conditions": (Condition("event.at_risk", "eq", True),),
        "key_fields": ("opportunity_id",),
    }
    return Rule(**{**base, **kw})  # type: ignore[arg-type]


def test_a_matching_rule_says_why_and_routes_by_role() -> None:
    m = evaluate(rule(recipient_roles=("csm", "vp"), recipient_people=("ops",)), RISK, FACTS)
    assert m is not None
    assert m.recipients == ("cara", "vera", "victor", "ops")
    assert "event.at_risk eq True (is True)" in m.why
    assert m.key == "r1:acme:renewal-c1"


def test_conditions_on_the_account_and_missing_values() -> None:
    big = rule(conditions=(Condition("account.arr", "gte", 100000), Condition("account.tier", "in", ["strategic"])))
    assert evaluate(big, RISK, FACTS) is not None
    assert evaluate(rule(conditions=(Condition("account.arr", "gt", 500000),)), RISK, FACTS) is None
    assert evaluate(rule(conditions=(Condition("account.segment", "eq", "x"),)), RISK, FACTS) is None  # no value
    assert evaluate(rule(conditions=(Condition("account.segment", "exists", False),)), RISK, FACTS) is not None
    assert evaluate(rule(conditions=(Condition("account.tier", "gt", 5),)), RISK, FACTS) is None  # str vs int
    assert evaluate(rule(), "bellwether.other.v1", FACTS) is None
    assert evaluate(rule(enabled=False), RISK, FACTS) is None


def test_event_named_recipients() -> None:
    r = rule(recipient_roles=(), recipient_people=("$event.new_owner_id",))
    assert recipients(r, {"event": {"new_owner_id": "nina"}}) == ("nina",)
    assert recipients(r, {"event": {}}) == ()


NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def test_noise_dedupe_digest_throttle_and_send() -> None:
    prefs = noise.Prefs(digest_at_or_below=Severity.LOW, throttle_per_hour=3)
    d = noise.decide(
        severity=Severity.HIGH,
        now=NOW,
        last_same_key_at=NOW - timedelta(minutes=5),
        dedupe_window=timedelta(hours=1),
        sent_last_hour=0,
        prefs=prefs,
    )
    assert d.outcome is noise.Outcome.DUPLICATE and "300 s ago" in d.reason
    d = noise.decide(
        severity=Severity.HIGH,
        now=NOW,
        last_same_key_at=NOW - timedelta(hours=2),
        dedupe_window=timedelta(hours=1),
        sent_last_hour=0,
        prefs=prefs,
    )
    assert d.outcome is noise.Outcome.SEND
    d = noise.decide(
        severity=Severity.LOW,
        now=NOW,
        last_same_key_at=None,
        dedupe_window=timedelta(hours=1),
        sent_last_hour=0,
        prefs=prefs,
    )
    assert d.outcome is noise.Outcome.DIGEST
    d = noise.decide(
        severity=Severity.CRITICAL,
        now=NOW,
        last_same_key_at=None,
        dedupe_window=timedelta(hours=1),
        sent_last_hour=3,
        prefs=prefs,
    )
    assert d.outcome is noise.Outcome.THROTTLED and "limit 3" in d.reason


@given(st.integers(1, 60), st.floats(0, 0.999))
def test_backoff_grows_is_capped_and_jitter_stays_within_half(attempt: int, jitter: float) -> None:
    d = noise.backoff(attempt, base_s=5, cap_s=3600, jitter=jitter)
    full = min(3600, 5 * 2 ** (attempt - 1))
    assert full / 2 <= d < full or d == full / 2
    assert noise.backoff(attempt + 1, base_s=5, cap_s=3600) >= noise.backoff(attempt, base_s=5, cap_s=3600)


def test_retries_cover_three_days_with_the_defaults() -> None:
    total, attempt = 0.0, 1
    while total < 3 * 86400:
        total += noise.backoff(attempt, jitter=0.5)
        attempt += 1
    assert 15 <= attempt <= 40  # bounded attempts, spread over the whole window


def test_texts_name_the_account_and_the_reason() -> None:
    title, text = texts.describe(RISK, FACTS, "Renewal at risk")
    assert title == "Renewal at risk: Acme"
    assert "2027-01-10 (40 days, ARR 120,000)" in text and "health is red (31)" in text


def test_every_event_class_in_the_table_has_its_own_line_and_an_unknown_one_a_generic_line() -> None:
    facts = {"event": {"account_id": "acct-1"}, "account": {"name": "Acme"}}
    for cls in texts.TEXTS:
        _, text = texts.describe(cls.event_type, facts, "Rule")
        assert not text.startswith(texts.kind_of(cls.event_type).replace("_", " ")), cls.__name__
        assert "Acme" in text, cls.__name__
    _, text = texts.describe("bellwether.health.something_new.v1", facts, "Rule")
    assert text == "something new for Acme"


def test_chat_messages_escape_every_outside_value_and_email_subjects_stay_on_one_line() -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from notifications.domain import messages

    evil = messages.Alert(
        alert_id="a",
        rule_id="r",
        event_type="t",
        event_id="e",
        account_id="x",
        account_name=None,
        severity="high",
        title="Acme <!channel> & co",
        text="ticket <https://evil.example|click here> opened",
        why="you own <@U123>",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        facts={},
    )
    doc = messages.chat(evil)
    rendered = str(doc)
    for planted in ("<!channel>", "<https://evil.example|click here>", "<@U123>"):
        assert planted not in rendered
    assert "Acme &lt;!channel&gt; &amp; co" in doc["text"]
    assert "&lt;https://evil.example|click here&gt;" in doc["blocks"][0]["text"]["text"]
    assert "<!channel>" not in messages.digest_chat("p", "daily", [evil])["text"]
    subject, _ = messages.email(replace(evil, title="Bcc: x@evil.test\r\nInjected"))
    assert "\r" not in subject and "\n" not in subject and subject.endswith("Bcc: x@evil.test  Injected")
