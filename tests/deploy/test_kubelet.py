"""The dev overlay's pods run on a real kubelet (``devkit/kubelet.py``: built from the Kubernetes sources,
on Debian's containerd and runc) against the real API server: for each service, its migrations Job's
pod template runs to completion, then its Deployment's pod template becomes Ready under the kubelet's
own startup, readiness and liveness probes, with the manifest's security context (non-root, read-only
root file system, no capabilities, RuntimeDefault seccomp) and its ConfigMap and Secret as the
environment; deleted, it stops within its grace period (preStop, then SIGTERM).

What the test changes, because there is no scheduler, controller manager, cluster DNS, Strimzi or
pod network here: each pod template becomes a Pod bound to the node, on the host's network (and the
namespace's default ServiceAccount is made, as the controller manager would); the
ConfigMap names the test's Kafka and listens on loopback; the Secret names the test's PostgreSQL; the
namespace admits the host's network (Pod Security "privileged"), after the server admitted each pod as
written under the overlay's "restricted"."""

from __future__ import annotations

import base64
import copy
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bellwether_shared.migrate import service_url
from devkit.infra import localinfra
from devkit.kube import KubeApiServer
from devkit.kubelet import NODE, Kubelet
from devkit.stack import new_database
from tests.deploy.test_manifests import _render
from tools.containers import PORTS, image_name

pytestmark = [pytest.mark.apiserver, pytest.mark.integration, pytest.mark.timeout(900)]
NS = "bellwether-dev"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeApiServer]:
    busy = [p for p in PORTS.values() if localinfra.port_open(p)]
    assert not busy, f"the Deployments' ports {busy} are taken on this host (make down?)"
    api = KubeApiServer(tmp_path_factory.mktemp("kube")).start()
    images = {image_name(s): f"docker.io/bellwether/{s}:dev" for s in PORTS}  # the dev overlay's names
    kubelet = Kubelet(tmp_path_factory.mktemp("node"), api)
    try:
        kubelet.start(images)
        yield api
    finally:
        kubelet.stop()
        api.stop()


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    return _render("dev")


def _one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].startswith(name)]
    assert len(found) == 1, f"{kind} {name}: {len(found)} in the overlay"
    return copy.deepcopy(found[0])


def _local(docs: list[dict[str, Any]], service: str, kafka: str, admin_url: str) -> list[dict[str, Any]]:
    """The service's ServiceAccount, ConfigMap and Secret, pointed at this test's Kafka and PostgreSQL."""
    config = _one(docs, "ConfigMap", f"{service}-config")
    config["data"] |= {"KAFKA_BOOTSTRAP_SERVERS": kafka, "HTTP_HOST": "127.0.0.1"}
    secret = _one(docs, "Secret", f"{service}-secrets")
    password = base64.b64decode(secret["data"]["SERVICE_DB_PASSWORD"]).decode()
    urls = {
        "MIGRATIONS_DATABASE_URL": admin_url,
        "DATABASE_URL": service_url(admin_url, role=service, password=password),
    }
    secret["data"] |= {k: base64.b64encode(v.encode()).decode() for k, v in urls.items()}
    return [_one(docs, "ServiceAccount", service), config, secret]


def _pod(owner: dict[str, Any], name: str, **spec: Any) -> dict[str, Any]:
    """The owner's pod template as a Pod of its own, bound to the node, on the host's network."""
    template = copy.deepcopy(owner["spec"]["template"])
    metadata = {**template["metadata"], "name": name, "namespace": NS}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"] | spec}


def _wait(http: httpx.Client, name: str, done: Any, what: str, deadline_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + deadline_s
    pod: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = http.get(f"/api/v1/namespaces/{NS}/pods/{name}")
        if r.status_code == 404 and done is None:
            return {}
        pod = r.json()
        if done is not None and done(pod):
            return pod
        time.sleep(0.5)
    raise AssertionError(f"pod {name}: not {what} within {deadline_s} s: {pod.get('status')}")


def _ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


@pytest.mark.parametrize("service", list(PORTS))
def test_the_migrations_job_completes_and_the_deployment_becomes_ready_under_the_kubelets_probes(
    node: KubeApiServer, manifests: list[dict[str, Any]], kafka_bootstrap: str, endpoints: Any, service: str
) -> None:
    admin_url = new_database(endpoints.admin_database_url, prefix="bw_kubelet_")
    namespace = _one(manifests, "Namespace", NS)
    job_owner, owner = _one(manifests, "Job", f"{service}-migrate"), _one(manifests, "Deployment", service)
    with node.client() as http:
        node.apply(http, namespace)
        # the namespace's default account, which the controller manager (not run here) would make
        node.apply(
            http, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": NS}}
        )
        for doc in _local(manifests, service, kafka_bootstrap, admin_url):
            node.apply(http, doc)
        # as written, both pod templates pass the namespace's "restricted" Pod Security admission
        for name, template in ((f"{service}-migrate", job_owner), (service, owner)):
            r = http.post(f"/api/v1/namespaces/{NS}/pods", params={"dryRun": "All"}, json=_pod(template, name))
            assert r.status_code == 201, r.text
        # the host's network is what no policy admits but "privileged": the test's own change
        labels = namespace["metadata"]["labels"] | {"pod-security.kubernetes.io/enforce": "privileged"}
        node.apply(http, namespace | {"metadata": namespace["metadata"] | {"labels": labels}})
        bound = {"nodeName": NODE, "hostNetwork": True}
        job = _pod(job_owner, f"{service}-migrate", restartPolicy="Never", **bound)
        r = http.post(f"/api/v1/namespaces/{NS}/pods", json=job)
        assert r.status_code == 201, r.text
        ran = _wait(
            http, job["metadata"]["name"], lambda p: p["status"].get("phase") in ("Succeeded", "Failed"), "done"
        )
        assert ran["status"]["phase"] == "Succeeded", ran["status"]
        pod = _pod(owner, service, **bound)
        r = http.post(f"/api/v1/namespaces/{NS}/pods", json=pod)
        assert r.status_code == 201, r.text
        ready = _wait(http, service, _ready, "Ready")
        (status,) = ready["status"]["containerStatuses"]
        assert status["ready"] and status["restartCount"] == 0 and status["image"].endswith(f"bellwether/{service}:dev")
        assert httpx.get(f"http://127.0.0.1:{PORTS[service]}/readyz", timeout=5).status_code == 200
        assert http.delete(f"/api/v1/namespaces/{NS}/pods/{service}").status_code == 200
        _wait(http, service, None, "gone", deadline_s=float(pod["spec"]["terminationGracePeriodSeconds"]) + 30)
        http.delete(f"/api/v1/namespaces/{NS}/pods/{job['metadata']['name']}")
    assert not localinfra.port_open(PORTS[service])  # the process is gone with its pod
