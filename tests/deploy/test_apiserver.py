"""Both overlays accepted by a real Kubernetes API server (kube-apiserver built from the Kubernetes
sources, on Debian's etcd: ``devkit/kube.py``): the KEDA, Prometheus Operator and Strimzi CRDs
installed and established, then every object of the dev and the prod overlay server-side applied with
no error, and each read back as written (the server may add defaults; it may not drop or change what
the manifest says, as it would prune a field a CRD does not know)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from devkit.kube import KubeApiServer
from tests.deploy.test_manifests import _render

pytestmark = [pytest.mark.apiserver, pytest.mark.integration]  # make kube: etcd and kube-apiserver first
CRDS = Path(__file__).resolve().parents[2] / "deploy" / "crds"
FIRST = ("Namespace", "ServiceAccount", "ConfigMap", "Secret")  # what other objects refer to


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeApiServer]:
    server = KubeApiServer(tmp_path_factory.mktemp("kube")).start()
    yield server
    server.stop()


def differences(written: Any, read: Any, where: str = "") -> list[str]:
    """Where ``read`` does not hold what ``written`` says (extra keys in ``read`` are the server's)."""
    if isinstance(written, dict):
        if not isinstance(read, dict):
            return [f"{where}: {read!r} is not an object"]
        return [d for k, v in written.items() for d in differences(v, read.get(k), f"{where}.{k}")]
    if isinstance(written, list):
        if not isinstance(read, list) or len(read) != len(written):
            return [f"{where}: {read!r} is not the {len(written)} items written"]
        return [
            d for i, (w, r) in enumerate(zip(written, read, strict=True)) for d in differences(w, r, f"{where}[{i}]")
        ]
    return [] if written == read or str(written) == str(read) else [f"{where}: wrote {written!r}, read {read!r}"]


def _as_stored(doc: dict[str, Any]) -> dict[str, Any]:
    """A Secret's base64 values as the server keeps them: without the line breaks YAML folded in."""
    if doc["kind"] != "Secret":
        return doc
    return doc | {"data": {k: "".join(v.split()) for k, v in (doc.get("data") or {}).items()}}


def _established(http: httpx.Client, name: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        crd = http.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}").json()
        if any(
            c["type"] == "Established" and c["status"] == "True" for c in crd.get("status", {}).get("conditions", [])
        ):
            return
        time.sleep(0.2)
    raise AssertionError(f"CRD {name} not established")


def test_the_crds_and_both_overlays_are_accepted_and_read_back_as_written(kube: KubeApiServer) -> None:
    with kube.client() as http:
        crds = [yaml.safe_load(p.read_text()) for p in sorted(CRDS.glob("*.yaml"))]
        for crd in crds:
            kube.apply(http, crd)
        deadline = time.monotonic() + 60
        for crd in crds:
            _established(http, crd["metadata"]["name"], deadline)
        applied: dict[str, int] = {}
        # production's namespace and secrets are the platform's (the prod overlay's header says so): the
        # namespace is made first, as the platform team would; Deployments may name secrets not there yet
        kube.apply(http, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bellwether"}})
        for overlay in ("dev", "prod"):
            docs = sorted(
                _render(overlay),
                key=lambda d: (d["kind"] not in FIRST, FIRST.index(d["kind"]) if d["kind"] in FIRST else 0),
            )
            for doc in docs:
                kube.apply(http, doc)  # KubeError (with the server's message) on any refusal
            wrong = {
                f"{d['kind']}/{d['metadata']['name']}": differences(_as_stored(d), kube.read(http, d)) for d in docs
            }
            assert {k: v for k, v in wrong.items() if v} == {}
            applied[overlay] = len(docs)
        kinds = {
            r["kind"] for r in http.get("/apis/keda.sh/v1alpha1/namespaces/bellwether/scaledobjects").json()["items"]
        }
    assert kinds == {"ScaledObject"} and applied["dev"] > 20 and applied["prod"] > 20
