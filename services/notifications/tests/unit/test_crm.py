"""CRM write-back decisions (pure): the values an account's record shows, what is sent, the plan of a
batch, the vendors' request shapes and what their answers mean for each record."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, strategies as st

from notifications.domain import crm, crm_vendors as v

KNOWN = crm.Standing(71.6, "yellow", "declining", "high", ((10, "two urgent bugs"), (25, "champion left")), 2)
NOTHING = crm.Standing(None, None, None, None, (), 0)


def test_known_values_go_and_missing_data_is_never_zero() -> None:
    assert crm.values(KNOWN) == {
        "health_score": 72,
        "health_colour": "yellow",
        "health_trend": "declining",
        "renewal_risk": "high",
        "renewal_risk_reasons": "champion left; two urgent bugs",
        "open_tasks": 2,
    }
    assert crm.values(NOTHING) == {"open_tasks": 0}  # no score is no value, not 0


def test_a_first_score_has_no_trend_and_small_moves_are_steady() -> None:
    assert crm.trend(delta=None, baseline=True) is None
    assert crm.trend(delta=12.0, baseline=True) is None
    assert crm.trend(delta=12.0, baseline=False) == "improving"
    assert crm.trend(delta=-15.0, baseline=False) == "declining"
    assert crm.trend(delta=0.5, baseline=False) == "steady"


def test_no_risk_clears_the_reasons_and_long_reasons_fit_a_text_field() -> None:
    none = crm.Standing(80, "green", None, "none", ((5, "old reason"),), 0)
    assert crm.values(none)["renewal_risk_reasons"] == ""
    long = crm.reasons_text(tuple((float(i), "x" * 200) for i in range(5)))
    assert len(long) == crm.TEXT_LIMIT and long.endswith("…")


@given(
    st.dictionaries(st.sampled_from(crm.FIELDS), st.one_of(st.integers(0, 100), st.text(max_size=5))),
    st.dictionaries(st.sampled_from(crm.FIELDS), st.one_of(st.integers(0, 100), st.text(max_size=5))),
)
def test_changes_are_exactly_what_the_crm_does_not_show(
    desired: dict[str, crm.Value], sent: dict[str, crm.Value]
) -> None:
    changed = crm.changes(desired, sent)
    assert {**sent, **changed}.items() >= desired.items()  # after the write the CRM shows every desired value
    assert all(k not in sent or sent[k] != val for k, val in changed.items())  # nothing it already shows
    assert crm.changes(desired, {**sent, **changed}) == {}  # a repeat sends nothing


def test_field_names_default_per_vendor_and_overrides_are_checked() -> None:
    assert crm.fields_for("hubspot", {})["health_score"] == "bellwether_health_score"
    assert crm.fields_for("salesforce", {"health_score": "CS_Health__c"})["health_score"] == "CS_Health__c"
    with pytest.raises(ValueError, match=r"^fields\.nps: not a value"):
        crm.fields_for("hubspot", {"nps": "x"})
    with pytest.raises(ValueError, match=r"^fields\.health_score: 'Health Score' is not a hubspot property"):
        crm.fields_for("hubspot", {"health_score": "Health Score"})
    with pytest.raises(ValueError, match="same name"):
        crm.fields_for("hubspot", {"health_score": "bellwether_open_tasks"})


def test_the_plan_sends_changes_skips_unmapped_and_unchanged_and_one_input_per_record() -> None:
    sent_all = crm.values(KNOWN)
    pending = [
        crm.Pending("a", 1, {}, 0),
        crm.Pending("b", 3, sent_all, 0),
        crm.Pending("c", 1, {}, 0),
        crm.Pending("d", 1, {}, 0),
    ]
    known = {"a": (KNOWN, "101"), "b": (KNOWN, "102"), "c": (KNOWN, None), "d": (KNOWN, "101")}
    p = crm.plan(pending, known)
    assert [(w.pending.account_id, w.record_id, dict(w.changes)) for w in p.writes] == [("a", "101", sent_all)]
    assert [q.account_id for q in p.unchanged] == ["b"]
    assert [q.account_id for q in p.unmapped] == ["c"]
    assert [(q.account_id, why) for q, why in p.clashing] == [("d", "record 101 is also account a's")]


@given(st.integers(1, 40), st.floats(0.1, 10), st.floats(10, 3600), st.integers(0, 2**32))
def test_backoff_grows_is_capped_and_never_below_half_a_step(attempts: int, base: float, cap: float, seed: int) -> None:
    wait = crm.retry_in(attempts, base_s=base, cap_s=cap, rng=random.Random(seed))
    step = min(cap, base * 2.0 ** (attempts - 1))
    assert step / 2 <= wait <= step <= cap


# ----------------------------------------------------------------------------- the vendors


def test_hubspot_request_is_a_companies_batch_update_with_string_values() -> None:
    r = v.request("hubspot", [v.Write("512", {"bellwether_health_score": 72, "bellwether_health_colour": "red"})])
    assert (r.method, r.path) == ("POST", "/crm/v3/objects/companies/batch/update")
    assert r.body == {
        "inputs": [{"id": "512", "properties": {"bellwether_health_score": "72", "bellwether_health_colour": "red"}}]
    }


def test_salesforce_request_is_an_sobject_collection_of_accounts() -> None:
    r = v.request(
        "salesforce", [v.Write("001xx000003DGb2AAG", {"Bellwether_Health_Score__c": 72})], api_version="v61.0"
    )
    assert (r.method, r.path) == ("PATCH", "/services/data/v61.0/composite/sobjects")
    assert r.body == {
        "allOrNone": False,
        "records": [{"attributes": {"type": "Account"}, "id": "001xx000003DGb2AAG", "Bellwether_Health_Score__c": 72}],
    }


def test_hubspot_multi_status_splits_written_from_not_found() -> None:
    body = {
        "results": [{"id": "1"}],
        "errors": [{"category": "OBJECT_NOT_FOUND", "message": "gone", "context": {"ids": ["2"]}}],
    }
    o = v.outcome("hubspot", 207, body, {}, ["1", "2", "3"])
    assert o.ok == {"1"} and o.failed == {"2": "OBJECT_NOT_FOUND: gone"} and set(o.retry) == {"3"}
    assert o.status == 207


def test_hubspot_rate_limits_pause_for_as_long_as_it_says() -> None:
    ten = {"policyName": "TEN_SECONDLY_ROLLING", "message": "limit"}
    o = v.outcome("hubspot", 429, ten, {"x-hubspot-ratelimit-interval-milliseconds": "2500"}, ["1"])
    assert o.wait_s == 2.5 and set(o.retry) == {"1"} and "TEN_SECONDLY_ROLLING" in (o.error or "")
    assert v.outcome("hubspot", 429, {"policyName": "DAILY"}, {}, ["1"]).wait_s == v.DAILY_PAUSE_S
    assert v.outcome("hubspot", 429, ten, {"retry-after": "7"}, ["1"]).wait_s == 7


@pytest.mark.parametrize(("status", "retry"), [(500, True), (502, True), (401, True), (403, True), (400, False)])
def test_hubspot_whole_request_failures(status: int, retry: bool) -> None:
    o = v.outcome("hubspot", status, {"category": "X", "message": "m"}, {}, ["1", "2"])
    assert (set(o.retry) if retry else set(o.failed)) == {"1", "2"} and not o.ok and o.wait_s is None


def test_salesforce_save_results_in_order() -> None:
    body = [
        {"id": "001A", "success": True, "errors": []},
        {
            "success": False,
            "errors": [{"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}],
        },
        {"success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "busy", "fields": ["Name"]}]},
    ]
    o = v.outcome("salesforce", 200, body, {}, ["001A", "001B", "001C"])
    assert o.ok == {"001A"}
    assert o.failed == {"001B": "ENTITY_IS_DELETED: entity is deleted"}
    assert o.retry == {"001C": "UNABLE_TO_LOCK_ROW: busy (Name)"}


def test_salesforce_request_errors() -> None:
    expired = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    assert set(v.outcome("salesforce", 401, expired, {}, ["1"]).retry) == {"1"}
    limit = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert v.outcome("salesforce", 403, limit, {}, ["1"]).wait_s == v.SALESFORCE_LIMIT_PAUSE_S
    bad = [{"message": "No such column 'X' on sobject of type Account", "errorCode": "INVALID_FIELD"}]
    o = v.outcome("salesforce", 400, bad, {}, ["1"])
    assert o.failed == {"1": "INVALID_FIELD: No such column 'X' on sobject of type Account"}
    assert set(v.outcome("salesforce", 200, [], {}, ["1"]).retry) == {"1"}  # an answer that does not fit: again
