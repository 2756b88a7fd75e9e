"""The write-key grant (pure): scopes, account limits, future times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from ingest.domain import scopes
from ingest.domain.normalise import Rejection, normalise, not_in_future
from ingest.domain.scopes import Grant
from ingest.schemas import SIGNAL_TAGS

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SIGNALS = sorted(SIGNAL_TAGS.values())
SCOPES = st.sets(
    st.sampled_from([scopes.USAGE, scopes.IDENTITY, scopes.ALL_SIGNALS, *map(scopes.signal_scope, SIGNALS)])
)


@given(SCOPES, st.sampled_from([*scopes.CALLS.values(), *map(scopes.signal_scope, SIGNALS)]))
def test_a_grant_allows_exactly_its_scopes_and_all_signals_covers_each(granted, needed) -> None:  # type: ignore[no-untyped-def]
    g = Grant(frozenset(granted))
    allowed = needed in granted or (needed.startswith("signals:") and scopes.ALL_SIGNALS in granted)
    assert (g.missing(needed) is None) == allowed
    if not allowed:
        assert g.missing(needed) == needed  # the refusal names the scope to grant


def test_the_default_grant_writes_usage_and_identity_but_no_signal() -> None:
    g = Grant(frozenset(scopes.DEFAULT))
    assert g.missing("usage") is None and g.missing("identity") is None
    assert all(g.missing(scopes.signal_scope(t)) == f"signals:{t}" for t in SIGNALS)


ACCOUNT_IDS = st.text(st.characters(blacklist_characters="*"), min_size=1, max_size=12)  # '*' marks a prefix


@given(ACCOUNT_IDS, st.text(st.characters(blacklist_characters="*"), max_size=6))
def test_account_limits_by_id_and_prefix(account, suffix) -> None:  # type: ignore[no-untyped-def]
    assert Grant(frozenset(), (account,)).may_write(account)
    assert Grant(frozenset(), (account + "*",)).may_write(account + suffix)
    assert Grant(frozenset()).may_write(account) and Grant(frozenset()).may_write(None)  # unrestricted
    assert not Grant(frozenset(), (account,)).may_write(None)
    if suffix:
        assert not Grant(frozenset(), (account,)).may_write(account + suffix)


def test_unknown_scopes_and_bad_patterns_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"unknown scope 'signals:deal\.lost'"):
        scopes.validate(["usage", "signals:deal.lost"], SIGNALS)
    assert scopes.validate(["usage", "usage", "signals:*"], SIGNALS) == ["signals:*", "usage"]
    for bad in ("", "*", "a*b*"):
        with pytest.raises(ValueError, match="not an account id or a prefix"):
            scopes.validate_accounts([bad])


@given(st.integers(-10_000, 10_000), st.integers(0, 3600))
def test_a_future_time_becomes_the_receipt_time_and_says_so(offset_s, skew_s) -> None:  # type: ignore[no-untyped-def]
    kept, corrected = not_in_future(NOW + timedelta(seconds=offset_s), received_at=NOW, skew=timedelta(seconds=skew_s))
    assert corrected == (offset_s > skew_s)
    assert kept == (NOW if corrected else NOW + timedelta(seconds=offset_s))


def test_usage_dated_next_year_is_kept_at_receipt_and_marked() -> None:
    raw = {"type": "track", "userId": "u", "event": "e", "timestamp": "2027-12-01T00:00:00Z"}
    msg = normalise(raw, index=0, received_at=NOW)
    assert not isinstance(msg, Rejection) and msg.timestamp == NOW and msg.timestamp_corrected


def test_a_skew_interval_no_calendar_holds_is_a_named_rejection_not_a_crash() -> None:
    raw = {"type": "track", "userId": "u", "event": "e", "timestamp": "0001-01-01T00:00:00Z"}
    r = normalise(raw, index=0, received_at=NOW, batch_sent_at=datetime(9999, 12, 31, tzinfo=UTC))
    assert isinstance(r, Rejection) and r.field == "sentAt"
