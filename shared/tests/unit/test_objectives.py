"""Objective templates (bellwether_shared.objectives): the defaults, and the goals one starts."""

from __future__ import annotations

from datetime import date, timedelta

from bellwether_shared.objectives import DEFAULT_TEMPLATES, goals_from

TODAY = date(2026, 12, 7)


def test_each_default_template_has_three_or_four_objectives_with_a_metric_and_a_playbook() -> None:
    for t in DEFAULT_TEMPLATES.values():
        assert 3 <= len(t.objectives) <= 4, t.key
        assert all(o.metric and o.playbook for o in t.objectives)
        assert len({o.key for o in t.objectives}) == len(t.objectives)  # goal ids stay distinct


def test_goals_from_a_template_are_in_progress_due_and_linked_where_counted() -> None:
    template = DEFAULT_TEMPLATES["sales-productivity"]
    goals = goals_from(template, today=TODAY, due_days=120)
    assert goals == goals_from(template, today=TODAY, due_days=120)  # the same template again: the same goals
    assert [g["goal_id"] for g in goals] == [f"sales-productivity:{o.key}" for o in template.objectives]
    assert {g["status"] for g in goals} == {"in_progress"}
    assert {g["due_date"] for g in goals} == {(TODAY + timedelta(days=120)).isoformat()}
    pipeline = goals[0]
    assert (pipeline["linked_event"], pipeline["linked_window_days"]) == ("Opportunity Qualified", 30)
    assert (
        pipeline["target"]
        == "qualified opportunities per month up 25 % from the baseline (playbook objective-adoption)"
    )
    forecast = next(g for g in goals if g["goal_id"].endswith(":forecast"))
    assert "linked_event" not in forecast and "a target agreed with the customer" in forecast["target"]
