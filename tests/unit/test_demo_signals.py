"""What `make run`'s demo sends is what ingest accepts: every signal of the demo account validates
against ingest's signal models (a field the models renamed would otherwise show only as a 400 in the
demo's output)."""

from __future__ import annotations

import pytest

from ingest.schemas import SIGNAL_ADAPTER
from tools import demo_account

SIGNALS = demo_account.signals("demo-acct")


@pytest.mark.parametrize("signal", SIGNALS, ids=[f"{s['type']}-{i}" for i, s in enumerate(SIGNALS)])
def test_each_demo_signal_is_one_ingest_accepts(signal: dict[str, object]) -> None:
    assert SIGNAL_ADAPTER.validate_python(signal).type == signal["type"]


def test_the_demo_shows_a_segment_decision_and_an_overdue_review() -> None:
    kinds = {s["type"] for s in SIGNALS}
    assert {"touch.recorded", "account.upserted", "value_review.recorded"} <= kinds
    upsert = next(s for s in SIGNALS if s["type"] == "account.upserted")
    assert upsert["growth_potential"] == "high"  # the rule's reason: "..., but high growth potential"
