"""Incidents (pure): one cause, one message; a later cause re-notifies only when it raises the severity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st

from notifications.domain import incidents as inc, messages
from notifications.domain.rules import Severity

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
WINDOW = timedelta(minutes=10)
SEVERITIES = st.sampled_from(list(Severity))


@given(st.lists(st.tuples(SEVERITIES, st.integers(0, 1200)), min_size=1, max_size=30))
def test_notifications_per_incident_only_when_severity_rises(causes) -> None:  # type: ignore[no-untyped-def]
    """Feed causes in time order: each incident notifies once when it opens and then only on a strictly
    higher severity, so an incident notifies at most once per severity level."""
    current: inc.OpenIncident | None = None
    at = NOW
    notified: dict[str, list[Severity]] = {}
    for n, (severity, gap_s) in enumerate(causes):
        at += timedelta(seconds=gap_s)
        j = inc.join(current, severity=severity, now=at, window=WINDOW)
        incident_id = j.incident_id or f"i{n}"
        if j.incident_id is None:
            assert j.notify and j.severity == severity  # a new incident always notifies
        else:
            assert current is not None and j.severity == max(current.severity, severity)
            assert j.notify == (severity > current.severity)
        if j.notify:
            notified.setdefault(incident_id, []).append(j.severity)
        current = inc.OpenIncident(incident_id, j.severity, at, told=j.severity)
    for levels in notified.values():
        assert levels == sorted(set(levels))  # strictly rising: never the same level twice


def test_a_raise_held_back_by_the_throttle_is_not_taken_as_told() -> None:
    """Told at medium; a high cause was throttled into the digest: the next high cause may notify."""
    held = inc.OpenIncident("i3", Severity.HIGH, NOW, told=Severity.MEDIUM)
    assert inc.join(held, severity=Severity.HIGH, now=NOW, window=WINDOW).notify
    assert not inc.join(held, severity=Severity.MEDIUM, now=NOW, window=WINDOW).notify


def test_a_cause_after_the_window_opens_a_new_incident() -> None:
    open_ = inc.OpenIncident("i1", Severity.HIGH, NOW, told=Severity.HIGH)
    inside = inc.join(open_, severity=Severity.HIGH, now=NOW + WINDOW, window=WINDOW)
    assert (inside.incident_id, inside.notify) == ("i1", False) and "told at high" in inside.reason
    after = inc.join(open_, severity=Severity.LOW, now=NOW + WINDOW + timedelta(seconds=1), window=WINDOW)
    assert after.incident_id is None and after.notify
    waiting = inc.join(
        inc.OpenIncident("i2", Severity.LOW, NOW, told=None), severity=Severity.LOW, now=NOW, window=WINDOW
    )
    assert not waiting.notify and "digest" in waiting.reason


def _alert(rule: str, severity: str, title: str, text: str) -> messages.Alert:
    return messages.Alert(
        alert_id=rule,
        rule_id=rule,
        event_type="t",
        event_id="e",
        account_id="acme",
        account_name="Acme",
        severity=severity,
        title=title,
        text=text,
        why="w",
        created_at=NOW,
        facts={},
    )


def test_one_message_names_every_cause_most_severe_first() -> None:
    causes = (
        inc.Cause("champion-departed", "high", "Champion left: Acme", "Champion c1 (VP) left Acme", NOW),
        inc.Cause("renewal-at-risk", "critical", "Renewal at risk: Acme", "Renewal of Acme is at risk", NOW),
        inc.Cause(
            "champion-at-risk",
            "high",
            "Influential champion at risk: Acme",
            "At Acme, the VP left",
            NOW + timedelta(seconds=1),
        ),
    )
    incident = messages.Incident("inc_1", "critical", 3, causes)
    shown = messages.merged(_alert(*("champion-departed", "high", "Champion left: Acme", "x")), incident)
    assert shown.severity == "critical"
    assert shown.title == "Renewal at risk: Acme (and: Champion left; Influential champion at risk)"
    assert shown.text.splitlines() == [
        "Renewal at risk: Acme: Renewal of Acme is at risk",
        "Champion left: Acme: Champion c1 (VP) left Acme",
        "Influential champion at risk: Acme: At Acme, the VP left",
    ]
    doc = messages.webhook(_alert("champion-departed", "high", "Champion left: Acme", "x"), "cara", incident)
    assert doc["incident"]["id"] == "inc_1" and doc["incident"]["revision"] == 3
    assert [c["rule_id"] for c in doc["incident"]["causes"]] == [
        "renewal-at-risk",
        "champion-departed",
        "champion-at-risk",
    ]
    chat = messages.chat(shown)
    assert chat["text"].startswith("Renewal at risk: Acme (and:")
    single = messages.merged(_alert("a", "low", "T", "x"), messages.Incident("i", "low", 1, causes[:1]))
    assert single.title == "T"  # one cause: the alert as it is
