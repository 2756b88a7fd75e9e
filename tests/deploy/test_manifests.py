"""Deployment artefacts checked offline: compose parses and is wired right, Dockerfiles are
multi-stage and non-root, Kubernetes manifests render and validate strictly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bellwether_shared import topics
from bellwether_shared.topics import TOPICS

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BUILT = ["ingest", "health", "renewals", "notifications", "accounts"]  # services with a Dockerfile and manifests
K8S_VERSION = "1.32.0"


def test_compose_parses_and_wires_one_shot_steps_before_services() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"kafka", "postgres", "topics", *BUILT, *(f"migrate-{s}" for s in BUILT)} <= set(services)
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    for name in BUILT:
        svc = services[name]
        assert (ROOT / svc["build"]["dockerfile"]).exists()
        assert svc["depends_on"][f"migrate-{name}"]["condition"] == "service_completed_successfully"
        assert svc["depends_on"]["topics"]["condition"] == "service_completed_successfully"
        assert all(p.startswith("127.0.0.1:") for p in svc["ports"])
        assert svc["read_only"] is True
        assert services[f"migrate-{name}"]["command"][-1] == name


def test_one_dockerfile_multi_stage_non_root_parameterised_by_service() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert "requirements-runtime.lock" in text  # pinned, runtime-only dependencies
    assert "services/${SERVICE}/src" in text
    assert not list((ROOT / "services").glob("*/Dockerfile")), "one Dockerfile for every service"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in BUILT:
        assert compose["services"][name]["build"]["args"]["SERVICE"] == name


def _kustomize(overlay: str) -> list[str]:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize", str(K8S / "overlays" / overlay)]
    if shutil.which("kustomize"):
        return ["kustomize", "build", str(K8S / "overlays" / overlay)]
    pytest.fail("neither kubectl nor kustomize is installed: .ci/run installs kustomize; see the README")


def custom_resource(doc: dict[str, Any]) -> bool:
    """Of a CRD's kind (validated against the CRD in tests/deploy/test_custom_resources.py)."""
    group = doc["apiVersion"].rpartition("/")[0]
    return "." in group and not group.endswith(".k8s.io")


def _render(overlay: str) -> list[dict[str, Any]]:
    out = subprocess.run(_kustomize(overlay), check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_manifests_render_and_validate_strictly(overlay: str) -> None:
    docs = _render(overlay)
    images = {
        c["image"] for d in docs if d["kind"] == "Deployment" for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert all(i.endswith(":1.0.0" if overlay == "prod" else ":dev") for i in images), images  # the overlay applied
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "PodDisruptionBudget", "Job", "KafkaTopic"} <= kinds
    registry = {t.name: t for t in TOPICS}
    declared = set()
    for doc in docs:
        if doc["kind"] == "KafkaUser":
            continue  # checked against the registry below
        if doc["apiVersion"].startswith("kafka.strimzi.io/"):
            spec = registry[doc["metadata"]["name"]]  # a topic the registry knows
            assert doc["spec"]["partitions"] == spec.partitions
            assert doc["spec"]["config"]["retention.ms"] == str(spec.retention_ms)
            declared.add(spec.name)
            continue
        if not custom_resource(doc):
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    assert {t.name for t in TOPICS} <= declared, f"topics not declared: {sorted({t.name for t in TOPICS} - declared)}"


@pytest.mark.parametrize(("overlay", "environment"), [("prod", "prod"), ("dev", "dev")])
def test_every_service_runs_in_the_overlays_environment(overlay: str, environment: str) -> None:
    """In prod a service refuses development settings (ENVIRONMENT=prod); the dev overlay relaxes it."""
    maps = [d for d in _render(overlay) if d["kind"] == "ConfigMap" and "ENVIRONMENT" in d.get("data", {})]
    assert {m["metadata"]["name"].split("-")[0] for m in maps} >= set(BUILT)
    assert {m["data"]["ENVIRONMENT"] for m in maps} == {environment}


@pytest.mark.parametrize("service", BUILT)
def test_deployment_probes_resources_and_security(service: str) -> None:
    docs = _render("dev")
    deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == service)
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["startupProbe"]["httpGet"]["path"] == "/livez"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    job = next(d for d in docs if d["kind"] == "Job" and d["metadata"]["name"] == f"{service}-migrate")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][-1] == service
    secret_keys = {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]}
    assert all(k.startswith(f"{service}-secrets") for k in secret_keys)


def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    sel = policy["spec"]["podSelector"]
    if any(labels.get(k) != v for k, v in sel.get("matchLabels", {}).items()):
        return False
    return all(labels.get(e["key"]) in e["values"] for e in sel.get("matchExpressions", []) if e["operator"] == "In")


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_network_policies_deny_by_default_and_open_only_what_each_service_needs(overlay: str) -> None:
    docs = _render(overlay)
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    pods = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    }
    ports = {"ingest": 8081, "health": 8082, "renewals": 8083, "notifications": 8084, "accounts": 8085}
    for name, labels in pods.items():
        mine = [p for p in policies if _selects(p, labels)]
        deny = [p for p in mine if not p["spec"].get("ingress") and not p["spec"].get("egress")]
        assert deny and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}, f"{name}: no default deny"
        egress_ports = {pt["port"] for p in mine for rule in p["spec"].get("egress", []) for pt in rule["ports"]}
        assert {53, 9092, 5432} <= egress_ports, name
        ingress_ports = {pt["port"] for p in mine for rule in p["spec"].get("ingress", []) for pt in rule["ports"]}
        service = labels["app.kubernetes.io/name"]
        assert ingress_ports == ({ports[service]} if service in ports else set()), (name, ingress_ports)
    internet = next(p for p in policies if p["metadata"]["name"] == "notifications-egress-internet")
    blocks = [t["ipBlock"] for rule in internet["spec"]["egress"] for t in rule["to"]]
    v4 = next(b for b in blocks if b["cidr"] == "0.0.0.0/0")
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(v4["except"])
    others = [p for p in policies if p["metadata"]["name"].endswith("-egress-internet")]
    assert others == [internet]  # no other service reaches the internet


def test_prod_kafka_users_have_exactly_the_rights_the_topic_registry_gives() -> None:
    """Each service connects over SASL_SSL as its own SCRAM user; the user may read what the service
    consumes (with its group), write those topics' dead letters and what it produces, nothing else."""
    docs = _render("prod")
    users = {d["metadata"]["name"]: d for d in docs if d["kind"] == "KafkaUser"}
    for service in BUILT:
        user = users.pop(f"bellwether-{service}")
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        rights = {
            (a["resource"]["type"], a["resource"]["name"], op)
            for a in user["spec"]["authorization"]["acls"]
            for op in a["operations"]
        }
        consumed = topics.CONSUMES.get(service, ())
        expected = {("topic", t, op) for t in consumed for op in ("Read", "Describe")}
        expected |= {("group", service, "Read")} if consumed else set()
        expected |= {("topic", topics.dlq(t), op) for t in consumed for op in ("Write", "Describe")}
        expected |= {("topic", t, op) for t in topics.PRODUCES[service] for op in ("Write", "Describe")}
        assert rights == expected, service
        config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == f"{service}-config")
        assert config["data"]["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert config["data"]["KAFKA_BOOTSTRAP_SERVERS"].endswith(":9093")
        pod = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == service)["spec"][
            "template"
        ]
        env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
        assert env["KAFKA_SASL_USERNAME"]["value"] == f"bellwether-{service}"
        assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == f"bellwether-{service}"
        mounts = {m["mountPath"] for m in pod["spec"]["containers"][0]["volumeMounts"]}
        assert config["data"]["KAFKA_SSL_CAFILE"].rsplit("/", 1)[0] in mounts
    assert not users, f"Kafka users of no service: {sorted(users)}"
    assert set(topics.CONSUMES) | set(topics.PRODUCES) == set(BUILT)
