"""The start order tools/compose.py keeps for podman: every dependency starts in an earlier layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, strategies as st

from tools.compose_order import COMPLETED, HEALTHY, STARTED, dependencies, layers

ROOT = Path(__file__).resolve().parents[2]


@st.composite
def acyclic(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """Services s0..sn, each depending only on lower-numbered ones (so no cycle), in either form."""
    n = draw(st.integers(1, 12))
    services: dict[str, dict[str, Any]] = {}
    for i in range(n):
        earlier = [f"s{j}" for j in range(i)]
        deps: list[str] = draw(st.lists(st.sampled_from(earlier), unique=True)) if earlier else []
        long_form: bool = draw(st.booleans())
        if deps and long_form:
            services[f"s{i}"] = {
                "depends_on": {d: {"condition": draw(st.sampled_from([HEALTHY, COMPLETED]))} for d in deps}
            }
        else:
            services[f"s{i}"] = {"depends_on": deps} if deps else {}
    return services


@given(acyclic())
def test_every_service_once_and_after_all_it_depends_on(services: dict[str, dict[str, Any]]) -> None:
    order = layers(services)
    at = {name: i for i, layer in enumerate(order) for name in layer}
    assert sorted(at) == sorted(services) and sum(map(len, order)) == len(services)
    for name, spec in services.items():
        assert all(at[dep] < at[name] for dep in dependencies(spec))
    assert all(order)  # no empty layer: each starts only what waited for the one before


def test_short_form_means_started_and_long_form_keeps_its_condition() -> None:
    assert dependencies({"depends_on": ["a"]}) == {"a": STARTED}
    assert dependencies({"depends_on": {"a": {"condition": HEALTHY}, "b": None}}) == {"a": HEALTHY, "b": STARTED}


def test_a_cycle_or_an_undefined_dependency_is_refused() -> None:
    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        layers({"a": {"depends_on": ["b"]}, "b": {"depends_on": ["a"]}})
    with pytest.raises(ValueError, match="a depends on ghost"):
        layers({"a": {"depends_on": ["ghost"]}})


def test_the_compose_file_starts_infrastructure_then_one_shot_steps_then_services() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    first, steps, apps = layers(services)
    assert first == ["kafka", "postgres"]
    assert steps == sorted(
        ["topics", *(f"migrate-{s}" for s in ("ingest", "health", "renewals", "notifications", "accounts"))]
    )
    assert apps == ["accounts", "health", "ingest", "notifications", "renewals"]
