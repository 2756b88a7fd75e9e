"""A node for ``devkit.kube.KubeApiServer``: Debian's containerd (its CRI plugin, runc) and a kubelet built
from the same Kubernetes sources (``python -m tools.devstack kube build``), so the manifests' pods run
under the kubelet's own probes, security context and lifecycle.

What this machine needs, and why (each found by running it):

* ``failCgroupV1: false``: the kubelet refuses cgroup v1 hosts by default since 1.35; these machines
  mount cgroup v1.
* ``restrict_oom_score_adj``: the CRI gives the pod sandbox an OOM score of -998, which these machines
  refuse even to root ("can't get final child's PID from pipe"); restricted, containerd keeps its own.
* Pods on the host's network (``hostNetwork``, set by the test), and a CNI configuration with the
  loopback plugin only, so the node turns Ready: loopback addresses only on these machines. A
  loopback node IP is not a valid node address, so such pods have no pod IP, and the kubelet's
  probes (no ``host``) dial the local host, which is where the service listens.
* No scheduler or controller manager: the test makes each Deployment's and Job's pod template a Pod
  bound to this node (``nodeName``).

Images come from podman's store (``make containers``), saved once into containerd's ``k8s.io``
namespace and tagged with the names the manifests use."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.infra import localinfra
from devkit.kube import KubeApiServer, KubeError, end, spawn

ROOT = Path(__file__).resolve().parents[1]
BINARY = ROOT / ".local" / "bin" / "kubelet"
NODE = "bellwether-node"
BASE = "localhost/bellwether-base:bookworm"
PAUSE = "localhost/bellwether-pause:1"
# the sandbox's process: waits for SIGTERM (as PID 1 nothing else would end it) and exits
PAUSE_FILE = f'FROM {BASE}\nCMD ["python3", "-c", "import signal; signal.sigwait({{signal.SIGTERM, signal.SIGINT}})"]\n'


@dataclass
class Kubelet:
    workdir: Path
    api: KubeApiServer
    binary: Path = BINARY
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.workdir / "containerd.sock"

    def start(self, images: dict[str, str], *, timeout_s: float = 120) -> Kubelet:
        """containerd with ``images`` ({podman's name: the manifests' name}), then the kubelet, until the
        node is Ready."""
        if not self.binary.exists():
            raise KubeError(f"{self.binary} is missing: python -m tools.devstack kube build")
        if shutil.which("containerd") is None:
            raise KubeError("containerd is missing: apt-get install containerd containernetworking-plugins")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._containerd()
        self._images(images)
        self._kubelet()
        self._ready(timeout_s)
        return self

    def _spawn(self, name: str, argv: list[str]) -> None:
        self._procs.append(spawn(self.workdir, name, argv))

    def _containerd(self) -> None:
        w = self.workdir
        (w / "cni").mkdir(exist_ok=True)
        (w / "cni" / "10-loopback.conflist").write_text(
            '{"cniVersion": "1.0.0", "name": "loopback-only", "plugins": [{"type": "loopback"}]}'
        )
        (w / "containerd.toml").write_text(
            f'version = 2\nroot = "{w}/containerd-root"\nstate = "{w}/containerd-state"\n'
            f'[grpc]\n  address = "{self.socket}"\n'
            '[plugins."io.containerd.grpc.v1.cri"]\n'
            f'  sandbox_image = "{PAUSE}"\n  restrict_oom_score_adj = true\n'
            '  [plugins."io.containerd.grpc.v1.cri".containerd]\n    snapshotter = "overlayfs"\n'
            '  [plugins."io.containerd.grpc.v1.cri".cni]\n'
            f'    bin_dir = "/usr/lib/cni"\n    conf_dir = "{w}/cni"\n'
        )
        self._spawn("containerd", ["containerd", "--config", str(w / "containerd.toml")])
        deadline = time.monotonic() + 30
        while not self.socket.exists():
            if time.monotonic() > deadline or self._procs[-1].poll() is not None:
                raise KubeError(f"containerd did not start: see {w}/containerd.log")
            time.sleep(0.2)

    def _ctr(self, *args: str, timeout: float = 300) -> str:
        argv = ["ctr", "--address", str(self.socket), "-n", "k8s.io", *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode:
            raise KubeError(f"ctr {' '.join(args[:2])}: {done.stderr.strip()[-500:]}")
        return done.stdout

    def _images(self, images: dict[str, str]) -> None:
        """One archive for all (their shared layers saved once), imported, tagged as the manifests name them."""
        subprocess.run(["podman", "build", "-q", "-t", PAUSE, "-f", "-"], input=PAUSE_FILE.encode(), check=True)
        tar = self.workdir / "images.tar"
        names = [PAUSE, *images]
        subprocess.run(["podman", "save", "-q", "-m", "--format", "docker-archive", "-o", str(tar), *names], check=True)
        self._ctr("images", "import", str(tar))
        tar.unlink()
        for source, target in images.items():
            with contextlib.suppress(KubeError):
                self._ctr("images", "rm", target)
            self._ctr("images", "tag", source, target)

    def _kubelet(self) -> None:
        w = self.workdir
        (w / "kubeconfig").write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: local\n"
            f'clusters: [{{name: local, cluster: {{server: "{self.api.url}", insecure-skip-tls-verify: true}}}}]\n'
            f'users: [{{name: admin, user: {{token: "{self.api.token}"}}}}]\n'
            "contexts: [{name: local, context: {cluster: local, user: admin}}]\n"
        )
        (w / "kubelet.yaml").write_text(
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
            "failCgroupV1: false\ncgroupDriver: cgroupfs\ncgroupsPerQOS: false\nenforceNodeAllocatable: []\n"
            "failSwapOn: false\nevictionHard: {}\nlocalStorageCapacityIsolation: false\n"
            f"address: 127.0.0.1\nport: {localinfra.free_port()}\nreadOnlyPort: 0\n"
            f"healthzBindAddress: 127.0.0.1\nhealthzPort: {localinfra.free_port()}\n"
            "authentication: {anonymous: {enabled: false}, webhook: {enabled: false}}\n"
            "authorization: {mode: AlwaysAllow}\n"
            f"containerRuntimeEndpoint: unix://{self.socket}\n"
        )
        argv = [str(self.binary), "--config", str(w / "kubelet.yaml"), "--kubeconfig", str(w / "kubeconfig")]
        argv += ["--root-dir", str(w / "kubelet"), "--hostname-override", NODE, "--node-ip", "127.0.0.1"]
        self._spawn("kubelet", argv)

    def _ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with self.api.client() as http:
            while time.monotonic() < deadline:
                if any(p.poll() is not None for p in self._procs):
                    raise KubeError(f"a process exited: see {self.workdir}/*.log")
                r = http.get(f"/api/v1/nodes/{NODE}")
                if r.status_code == 200 and _condition(r.json(), "Ready"):
                    return
                time.sleep(0.5)
        raise KubeError(f"node {NODE} not Ready within {timeout_s:g} s: see {self.workdir}/kubelet.log")

    def stop(self) -> None:
        """The kubelet, then every container left (killed), then containerd; nothing stays mounted."""
        for p in self._procs[1:]:  # the kubelet
            end(p)
        if self._procs:  # containerd, started first
            with contextlib.suppress(KubeError, subprocess.TimeoutExpired):
                for task in self._ctr("tasks", "ls", "-q", timeout=30).split():
                    self._ctr("tasks", "kill", "-s", "SIGKILL", task, timeout=30)
            end(self._procs[0])
        self._procs.clear()
        # each container's shim outlives containerd by design: it must not outlive this node
        subprocess.run(["pkill", "-KILL", "-f", f"containerd-shim-runc-v2 .*-address {self.socket}"], check=False)
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for m in sorted((m for m in mounts if m.startswith(str(self.workdir))), reverse=True):
            subprocess.run(["umount", "-l", m], check=False)


def _condition(obj: dict[str, Any], kind: str) -> bool:
    return any(c["type"] == kind and c["status"] == "True" for c in obj.get("status", {}).get("conditions", []))
