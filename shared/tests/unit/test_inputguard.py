"""The input guard decides on any path, query or body without raising, and refuses exactly the values
PostgreSQL cannot store."""

from __future__ import annotations

from hypothesis import given, strategies as st

from bellwether_shared.inputguard import INT64, _in_target, _too_big, problems_in


@given(st.text(max_size=60))
def test_any_text_is_decided_without_raising(text: str) -> None:
    assert _too_big(text) in (True, False)
    found = _in_target({"path": "/v1/sources/" + text, "query_string": text.encode()})
    assert found is None or (isinstance(found, tuple) and found[1])


@given(st.integers())
def test_integers_are_refused_exactly_beyond_64_bits(n: int) -> None:
    assert _too_big(str(n)) == (not INT64[0] <= n <= INT64[1])


def test_non_ascii_digits_and_huge_numbers() -> None:
    assert not _too_big("³") and not _too_big("¹3") and not _too_big("٣")  # digits int() refuses
    assert _too_big("9" * 5000)  # beyond int()'s 4,300-digit limit: still decided
    assert not _too_big("000000000000000000000000042")
    assert _in_target({"path": "/v1/sources/%C2%B3", "query_string": b""}) is None
    assert _in_target({"path": "/v1/jobs/" + "9" * 30, "query_string": b""}) == (
        "path",
        f"'{'9' * 30}' is beyond the 64-bit integer range",
    )
    assert _in_target({"path": "/v1/x", "query_string": "limit=1&q=caf\u00e9\x00".encode()}) == (
        "q",
        "contains a NUL character",
    )


def test_problems_name_the_field() -> None:
    doc = {"a": [1, {"b": 2**64}], "c": "x\x00y"}
    assert list(problems_in(doc)) == [
        ("a[1].b", "is beyond the 64-bit integer range"),
        ("c", "contains a NUL character"),
    ]


def test_a_lone_surrogate_is_refused_where_a_pair_is_a_character() -> None:
    import json

    doc = json.loads(r'{"ok": "\ud83d\ude00", "k": {"\ud800": 1}, "v": ["x\udc00"]}')
    assert list(problems_in(doc)) == [
        ("k.\\ud800", "the field name contains a lone UTF-16 surrogate (not a character)"),
        ("v[0]", "contains a lone UTF-16 surrogate (not a character)"),
    ]
