"""Custom resources (KEDA ScaledObjects and TriggerAuthentications, Prometheus Operator PrometheusRules
and PodMonitors, Strimzi KafkaTopics and KafkaUsers) validated offline against their projects' own CRD
schemas (``deploy/crds``, fetched by ``python -m tools.devstack crds``), strictly: a field the schema
does not know is an error, as it would be silently pruned by the API server. And what the custom
resources say agrees with the code: scaling bounds with the topics' partitions, consumer groups with
the services' settings; the generated files are the generator's output."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bellwether_shared.topics import CONSUMES
from tests.deploy.test_manifests import _kustomize, custom_resource
from tools import monitoring
from tools.monitoring import scaling

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "deploy" / "crds"


def _strict(schema: Any) -> Any:
    """The CRD's structural schema as JSON Schema that refuses unknown fields."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if isinstance(out.get("pattern"), str) and "(?i)" in out["pattern"]:  # Go's inline flag, anywhere
        out["pattern"] = "(?i)" + out["pattern"].replace("(?i)", "")
    if (
        out.get("type") == "object"
        and "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def _schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) → strict schema, from every CRD in deploy/crds."""
    found = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
            schema.setdefault("properties", {})["metadata"] = {"type": "object"}
            found[(f"{group}/{version['name']}", kind)] = _strict(schema)
    return found


def _render(overlay: str) -> list[dict[str, Any]]:
    out = subprocess.run(_kustomize(overlay), check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


SCHEMAS = _schemas()


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_every_custom_resource_matches_its_crd(overlay: str) -> None:
    custom = [d for d in _render(overlay) if custom_resource(d)]
    kinds = {d["kind"] for d in custom}
    assert {"ScaledObject", "PrometheusRule", "PodMonitor", "KafkaTopic"} <= kinds, kinds
    if overlay == "prod":
        assert {"TriggerAuthentication", "KafkaUser"} <= kinds
    for doc in custom:
        schema = SCHEMAS.get((doc["apiVersion"], doc["kind"]))
        assert schema is not None, f"no CRD in deploy/crds for {doc['apiVersion']} {doc['kind']}"
        jsonschema.validate(doc, schema)


@pytest.mark.parametrize(
    ("kind", "break_it", "complaint"),
    [
        ("ScaledObject", lambda d: d["spec"].update(maxReplicas=6), "maxReplicas"),  # the HPA's name, not KEDA's
        ("ScaledObject", lambda d: d["spec"].update(minReplicaCount="2"), "'2' is not of type 'integer'"),
        ("PrometheusRule", lambda d: d["spec"]["groups"][0]["rules"][1].update(fro="5m"), "fro"),
        ("PodMonitor", lambda d: d["spec"].update(podMetricsEndpoint=[]), "podMetricsEndpoint"),
        ("KafkaTopic", lambda d: d["spec"].update(partitions="six"), "'six' is not of type 'integer'"),
    ],
)
def test_the_validation_refuses_what_the_crd_does_not_allow(kind: str, break_it: Any, complaint: str) -> None:
    doc = copy.deepcopy(next(d for d in _render("dev") if d["kind"] == kind))
    break_it(doc)
    with pytest.raises(jsonschema.ValidationError, match=complaint):
        jsonschema.validate(doc, SCHEMAS[(doc["apiVersion"], kind)])


def test_scaling_agrees_with_partitions_groups_and_disruption_budgets() -> None:
    docs = _render("prod")
    partitions = {d["metadata"]["name"]: d["spec"]["partitions"] for d in docs if d["kind"] == "KafkaTopic"}
    scaled = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ScaledObject"}
    pdbs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PodDisruptionBudget"}
    configs = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    assert set(scaled) == set(CONSUMES), "every consumer Deployment scales on lag, and only those"
    for service, so in scaled.items():
        spec = so["spec"]
        topics = [t["metadata"]["topic"] for t in spec["triggers"]]
        assert sorted(topics) == sorted(CONSUMES[service]), service  # one trigger per topic it reads
        assert spec["maxReplicaCount"] == max(partitions[t] for t in topics), service  # never idle replicas
        assert spec["minReplicaCount"] > pdbs[service]["spec"]["minAvailable"], service  # a drain keeps one
        assert spec["minReplicaCount"] <= spec["maxReplicaCount"]
        group = configs.get(f"{service}-config", {}).get("CONSUMER_GROUP", service)
        for trigger in spec["triggers"]:
            assert trigger["metadata"]["consumerGroup"] == group, service
            assert trigger["metadata"]["allowIdleConsumers"] == "false"
            assert trigger["metadata"]["bootstrapServers"].endswith(":9093")  # prod: the TLS listener
            assert trigger["authenticationRef"]["name"] == f"kafka-{service}"
    hpa = next(d for d in docs if d["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "ingest"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    owned = {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment" and "replicas" in d["spec"]}
    assert not owned, f"prod leaves the replica count to KEDA and the HPA: {owned}"


def test_max_replicas_follow_the_topic_registry() -> None:
    """Adding partitions to a topic in the registry raises the bound the generator writes."""
    assert scaling.max_replicas("health") == 6  # usage.events.v1
    saved = dict(scaling.PARTITIONS)
    try:
        scaling.PARTITIONS["usage.events.v1"] = 12
        so = scaling.scaled_object("health")
        assert so is not None and so["spec"]["maxReplicaCount"] == 12
    finally:
        scaling.PARTITIONS.clear()
        scaling.PARTITIONS.update(saved)


def test_generated_monitoring_files_are_up_to_date() -> None:
    stale = [p.relative_to(ROOT) for p, text in monitoring.files().items() if not p.exists() or p.read_text() != text]
    assert not stale, f"run python -m tools.devstack monitoring write: {stale}"
