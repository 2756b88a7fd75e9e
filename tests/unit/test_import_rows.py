"""The import's pure part: rows → messages, ids that stay the same on every run, the resume state."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given, strategies as st

from tools.import_rows import RowError, State, count_rows, csv_text, message, message_id, nest, rows


def test_dotted_columns_nest_and_empty_cells_are_left_out() -> None:
    assert nest({"owners.csm": "cara", "owners.ae": "", "arr": "10", "products": '["a","b"]', "x": " "}) == {
        "owners": {"csm": "cara"},
        "arr": "10",
        "products": ["a", "b"],
    }
    with pytest.raises(RowError):
        nest({"owners": "x", "owners.csm": "y"})


def test_a_usage_row_is_a_track_call_that_keeps_its_time() -> None:
    row = {
        "user_id": "u1",
        "account_id": "acme",
        "event": "Report Exported",
        "timestamp": "2026-01-02T03:04:05Z",
        "properties.format": "pdf",
        "plan": "pro",
    }
    assert message("usage", row, "m1") == {
        "type": "track",
        "messageId": "m1",
        "userId": "u1",
        "event": "Report Exported",
        "timestamp": "2026-01-02T03:04:05Z",
        "context": {"groupId": "acme"},
        "properties": {"format": "pdf", "plan": "pro"},
    }
    with pytest.raises(RowError) as err:
        message("usage", {"user_id": "u1", "event": "e"}, "m")
    assert err.value.field == "timestamp"


@given(
    st.lists(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["1", "2"]), min_size=1), max_size=30)
)
def test_ids_are_the_same_on_every_run_and_distinct_within_one(batch: list[dict[str, str]]) -> None:
    raw = [orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in batch]
    ids = [message_id("usage", n, r) for n, r in enumerate(raw, start=1)]
    assert ids == [message_id("usage", n, r) for n, r in enumerate(raw, start=1)]  # a second (or resumed) run
    assert len(set(ids)) == len(ids)  # identical rows on two lines are still two events
    assert message_id("accounts", 1, raw[0]) != ids[0] if raw else True


def test_rows_of_csv_and_jsonl_with_line_numbers(tmp_path: Path) -> None:
    csv_file = tmp_path / "a.csv"
    csv_file.write_text(csv_text([{"account_id": "a"}, {"account_id": "b"}]))
    assert [n for n, _, _ in rows(csv_file)] == [2, 3] and count_rows(csv_file) == 2
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_bytes(b'{"a": 1}\n\n[1]\n{bad\n')
    got = list(rows(jsonl))
    assert [n for n, _, _ in got] == [1, 3, 4] and "__error__" in got[1][1] and "__error__" in got[2][1]


def test_the_state_resumes_only_the_same_file(tmp_path: Path) -> None:
    data, saved = tmp_path / "u.jsonl", tmp_path / "u.state"
    data.write_bytes(b'{"a": 1}\n')
    fp = State.fingerprint_of(data, "usage")
    State(fp, rows_done=1, accepted=1).save(saved)
    assert State.load(saved, fp).rows_done == 1
    data.write_bytes(b'{"a": 2}\n{"a": 3}\n')
    assert State.load(saved, State.fingerprint_of(data, "usage")).rows_done == 0  # another file: from the start
