"""The alert rules (one PrometheusRule per service) checked by the real Prometheus tools from Debian's
``prometheus`` package: ``promtool check rules`` on each, and ``promtool test rules`` on the unit tests
in ``tests/deploy/alerts`` (the common ones instantiated per service), which must make every alert fire
at least once; each alert carries a severity, a summary and a runbook link to a section that exists."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from string import Template
from typing import Any

import pytest
import yaml

from tools.monitoring import alerts

ROOT = Path(__file__).resolve().parents[2]
ALERT_TESTS = Path(__file__).parent / "alerts"
RUNBOOK = ROOT / "docs" / "runbook.md"


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is not installed: apt-get install prometheus (.ci/run does)")
    return found


def _rules(service: str) -> list[dict[str, Any]]:
    doc = yaml.safe_load((ROOT / "deploy" / "k8s" / "base" / service / "prometheusrule.yaml").read_text())
    assert doc["kind"] == "PrometheusRule"
    return [r for g in doc["spec"]["groups"] for r in g["rules"]]


def _write_rules(service: str, tmp: Path) -> Path:
    doc = yaml.safe_load((ROOT / "deploy" / "k8s" / "base" / service / "prometheusrule.yaml").read_text())
    path = tmp / f"{service}.rules.yaml"
    path.write_text(yaml.safe_dump(doc["spec"]))
    return path


def _unit_tests(service: str, names: set[str], rules_file: Path) -> list[Path]:
    """The test files that apply to the service, instantiated, with each expected alert's annotations
    (static text from the rule) filled in, as promtool compares them too."""
    files = ["common.yaml"]
    files += ["outbox.yaml"] if "BellwetherOutboxBacklogOld" in names else []
    files += ["consumer.yaml"] if "BellwetherConsumerLagHigh" in names else []
    files += [f"{service}.yaml"] if (ALERT_TESTS / f"{service}.yaml").exists() else []
    annotations = {r["alert"]: r["annotations"] for r in _rules(service) if "alert" in r}
    out = []
    for name in files:
        doc = yaml.safe_load(Template((ALERT_TESTS / name).read_text()).substitute(service=service))
        doc["rule_files"] = [rules_file.name]
        for test in doc["tests"]:
            for case in test.get("alert_rule_test", []):
                for exp in case["exp_alerts"]:
                    exp["exp_annotations"] = annotations[case["alertname"]]
        path = rules_file.parent / f"{service}-{name}"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        out.append(path)
    return out


@pytest.mark.parametrize("service", alerts.SERVICES)
def test_rules_pass_promtool_check(service: str, tmp_path: Path) -> None:
    out = subprocess.run(
        [_promtool(), "check", "rules", str(_write_rules(service, tmp_path))], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"SUCCESS: {len(_rules(service))} rules found" in out.stdout


@pytest.mark.parametrize("service", alerts.SERVICES)
def test_every_alert_fires_in_its_unit_tests(service: str, tmp_path: Path) -> None:
    names = {r["alert"] for r in _rules(service) if "alert" in r}
    files = _unit_tests(service, names, _write_rules(service, tmp_path))
    fired = {
        case["alertname"]
        for f in files
        for test in yaml.safe_load(f.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]
    }
    assert fired == names, f"alerts without a test that makes them fire: {sorted(names - fired)}"
    out = subprocess.run([_promtool(), "test", "rules", *map(str, files)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("SUCCESS") == len(files), out.stdout


def test_a_wrong_expectation_fails_promtool(tmp_path: Path) -> None:
    """The harness can fail: the same test expecting the loop alert on the healthy loop is refused."""
    rules = _write_rules("health", tmp_path)
    (path,) = [p for p in _unit_tests("health", {"BellwetherBackgroundLoopNotRunning"}, rules) if "common" in p.name]
    path.write_text(path.read_text().replace("loop: stuck", "loop: fine"))
    out = subprocess.run([_promtool(), "test", "rules", str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode != 0 and "FAILED" in out.stdout + out.stderr


@pytest.mark.parametrize("service", alerts.SERVICES)
def test_each_alert_has_severity_summary_and_a_runbook_section(service: str) -> None:
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", RUNBOOK.read_text(), re.M)
    }
    for rule in _rules(service):
        if "alert" not in rule:
            continue
        assert rule["labels"]["severity"] in ("critical", "warning"), rule
        assert rule["annotations"]["summary"].strip(), rule
        url = rule["annotations"]["runbook_url"]
        assert url.startswith(alerts.RUNBOOK + "#"), url
        assert url.partition("#")[2] in anchors, f"docs/runbook.md has no section {url.partition('#')[2]}"
