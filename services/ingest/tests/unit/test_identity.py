from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ingest.domain.identity import Resolver, explicit_account, lifecycle_change, membership
from ingest.domain.normalise import Message, normalise

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def msg(**raw: Any) -> Message:
    m = normalise(raw, index=0, received_at=NOW)
    assert isinstance(m, Message), m
    return m


def test_account_is_group_id_on_group_calls_and_context_group_id_elsewhere() -> None:
    assert explicit_account(msg(type="group", userId="u", groupId="acme", context={"groupId": "other"})) == "acme"
    assert explicit_account(msg(type="track", userId="u", event="e", context={"groupId": "acme"})) == "acme"
    assert explicit_account(msg(type="identify", userId="u")) is None


def test_membership_from_group_and_b2b_lifecycle_events() -> None:
    g = membership(msg(type="group", userId="u", groupId="acme"))
    assert g is not None and (g.user_id, g.account_id, g.joined, g.via) == ("u", "acme", True, "group")
    added = membership(msg(type="track", userId="u", event="Account Added User", context={"groupId": "acme"}))
    assert added is not None and added.joined and added.via == "account_added_user"
    removed = membership(msg(type="track", userId="u", event="Account Removed User", context={"groupId": "acme"}))
    assert removed is not None and not removed.joined
    signed = membership(msg(type="track", userId="u", event="Signed Up", properties={"groupId": "acme"}))
    assert signed is not None and signed.via == "signed_up"
    assert membership(msg(type="track", userId="u", event="Signed Up")) is None


def test_lifecycle_events_are_recognised() -> None:
    assert lifecycle_change(msg(type="track", userId="u", event="Trial Started")) == "trial_started"
    assert lifecycle_change(msg(type="track", userId="u", event="Account Deleted")) == "account_deleted"
    assert lifecycle_change(msg(type="track", userId="u", event="Login")) is None


def test_resolver_uses_mapping_in_order_within_a_batch() -> None:
    r = Resolver({"known": "globex"})
    assert r.resolve(msg(type="track", userId="u", event="e"))[0] is None
    assert r.resolve(msg(type="group", userId="u", groupId="acme"))[0] == "acme"
    assert r.resolve(msg(type="track", userId="u", event="e"))[0] == "acme"
    assert r.resolve(msg(type="track", userId="known", event="e"))[0] == "globex"
    r.resolve(msg(type="track", userId="u", event="Account Removed User", context={"groupId": "acme"}))
    assert r.resolve(msg(type="track", userId="u", event="e"))[0] is None


def test_alias_carries_the_previous_identity_s_account() -> None:
    r = Resolver({"anon-1": "acme"})
    assert r.resolve(msg(type="alias", userId="u-9", previousId="anon-1"))[0] == "acme"
    assert r.resolve(msg(type="track", userId="u-9", event="e"))[0] == "acme"
