"""A company's objective templates (OBJECTIVE_TEMPLATES) join the defaults; a bad one stops start-up naming it."""

from __future__ import annotations

import pytest

from bellwether_shared.objectives import DEFAULT_TEMPLATES
from bellwether_shared.settings import load_settings
from ingest.settings import IngestSettings

OWN = (
    '{"onboarding-fast": {"name": "Fast start", "customer_kind": "small teams", "objectives": [{"key": "live",'
    ' "name": "Live in a week", "metric": "days to first report", "playbook": "objective-adoption"}]}}'
)


def test_a_companys_templates_join_the_defaults_and_a_bad_one_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:5432/db")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("ADMIN_TOKEN", "a" * 20)
    monkeypatch.setenv("OBJECTIVE_TEMPLATES", OWN)
    templates = load_settings(IngestSettings).templates()
    assert set(DEFAULT_TEMPLATES) < set(templates)
    assert templates["onboarding-fast"].objectives[0].metric == "days to first report"
    monkeypatch.setenv("OBJECTIVE_TEMPLATES", '{"x": {"name": "X", "customer_kind": "k", "objectives": []}}')
    with pytest.raises(SystemExit):
        load_settings(IngestSettings)
    assert "OBJECTIVE_TEMPLATES" in capsys.readouterr().err
