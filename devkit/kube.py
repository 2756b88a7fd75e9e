"""A real Kubernetes API server for the manifests' tests: etcd (Debian's ``etcd-server``) and
kube-apiserver (built from the Kubernetes sources by ``python -m tools.devstack kube build``), on
loopback ports, with a static admin token and a fresh service-account key. No kubelet: objects are
accepted, stored and read back; nothing is scheduled.

``apply`` is server-side apply (``PATCH`` with ``application/apply-patch+yaml``), the resource path of
each kind found through the server's own discovery, so custom resources work once their CRDs are in."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devkit.infra import localinfra

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / ".local" / "bin" / "kube-apiserver"
FIELD_MANAGER = "bellwether-tests"


def spawn(workdir: Path, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
    """A process in a session of its own, its output in ``<workdir>/<name>.log``."""
    log = (workdir / f"{name}.log").open("wb")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def end(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 20 s."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class KubeError(RuntimeError):
    pass


@dataclass
class KubeApiServer:
    workdir: Path
    binary: Path = BINARY
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = field(default_factory=localinfra.free_port)
    etcd_port: int = field(default_factory=localinfra.free_port)
    etcd_peer_port: int = field(default_factory=localinfra.free_port)
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _resources: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        # the server's certificate is self-signed for this run; the token is what authenticates
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, verify=False, timeout=30
        )

    def start(self, *, timeout_s: float = 120) -> KubeApiServer:
        if not self.binary.exists():
            raise KubeError(f"{self.binary} is missing: python -m tools.devstack kube build")
        etcd = shutil.which("etcd")
        if etcd is None:
            raise KubeError("etcd is missing: apt-get install etcd-server")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._keys()
        peer = f"http://127.0.0.1:{self.etcd_peer_port}"
        client = f"http://127.0.0.1:{self.etcd_port}"
        data = str(self.workdir / "etcd")
        argv = [etcd, "--name", "default", "--data-dir", data, "--listen-client-urls", client]
        argv += ["--advertise-client-urls", client, "--listen-peer-urls", peer]
        argv += ["--initial-advertise-peer-urls", peer, "--initial-cluster", f"default={peer}"]
        self._spawn("etcd", argv)
        self._spawn("kube-apiserver", [str(self.binary), *self._flags(client)])
        self._ready(timeout_s)
        return self

    def _keys(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (self.workdir / "sa.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        (self.workdir / "sa.pub").write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        (self.workdir / "tokens.csv").write_text(f"{self.token},admin,admin,system:masters\n")

    def _flags(self, etcd: str) -> list[str]:
        w = self.workdir
        return [
            f"--etcd-servers={etcd}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            "--endpoint-reconciler-type=none",  # no kubelet, no node: nothing to reconcile (and loopback only)
            f"--secure-port={self.port}",
            f"--cert-dir={w / 'certs'}",
            f"--token-auth-file={w / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={w / 'sa.pub'}",
            f"--service-account-signing-key-file={w / 'sa.key'}",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--allow-privileged=false",
        ]

    def _spawn(self, name: str, argv: list[str]) -> None:
        self._procs.append(spawn(self.workdir, name, argv))

    def _ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with self.client() as http:
            while time.monotonic() < deadline:
                if any(p.poll() is not None for p in self._procs):
                    raise KubeError(f"a process exited: see {self.workdir}/*.log")
                try:
                    if http.get("/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
        raise KubeError(f"kube-apiserver not ready within {timeout_s:g} s: see {self.workdir}/kube-apiserver.log")

    def stop(self) -> None:
        for p in reversed(self._procs):
            end(p)
        self._procs.clear()

    # --------------------------------------------------------------------------------------- objects

    def resource(self, http: httpx.Client, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) of a kind, from the server's discovery (asked again for a new group)."""
        key = (api_version, kind)
        if key not in self._resources:
            base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            r = http.get(base)
            if r.status_code != 200:
                raise KubeError(f"{api_version}: not served ({r.status_code})")
            for res in r.json()["resources"]:
                if "/" not in res["name"]:
                    self._resources[(api_version, res["kind"])] = (res["name"], res["namespaced"])
        if key not in self._resources:
            raise KubeError(f"{api_version} {kind}: no such resource")
        return self._resources[key]

    def path(self, http: httpx.Client, doc: dict[str, Any], namespace: str = "default") -> str:
        plural, namespaced = self.resource(http, doc["apiVersion"], doc["kind"])
        base = f"/api/{doc['apiVersion']}" if "/" not in doc["apiVersion"] else f"/apis/{doc['apiVersion']}"
        ns = doc["metadata"].get("namespace", namespace)
        where = f"/namespaces/{ns}" if namespaced else ""
        return f"{base}{where}/{plural}/{doc['metadata']['name']}"

    def apply(self, http: httpx.Client, doc: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply of one object; the server's answer (4xx/5xx: ``KubeError`` with its message)."""
        r = http.patch(
            self.path(http, doc),
            params={"fieldManager": FIELD_MANAGER, "force": "true"},
            content=orjson.dumps(doc),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )
        if r.status_code >= 400:
            raise KubeError(f"{doc['kind']}/{doc['metadata']['name']}: {r.status_code} {r.text[:500]}")
        answer: dict[str, Any] = r.json()
        return answer

    def read(self, http: httpx.Client, doc: dict[str, Any]) -> dict[str, Any]:
        r = http.get(self.path(http, doc))
        if r.status_code != 200:
            raise KubeError(f"{doc['kind']}/{doc['metadata']['name']}: {r.status_code} {r.text[:300]}")
        found: dict[str, Any] = r.json()
        return found
