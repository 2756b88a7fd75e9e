"""A real Kubernetes API server and kubelet for the manifests' tests, built here: ``kube build`` compiles
kube-apiserver and the kubelet from the Kubernetes sources (``k8s.io/kubernetes`` at the version pinned
in ``infra/kube-apiserver/go.mod``, its staging modules from the Go module proxy) into ``.local/bin``
once per machine; ``kube check`` starts the server on Debian's etcd and applies both overlays
(``tests/deploy/test_apiserver.py``), then runs the dev overlay's pods on the kubelet with Debian's
containerd (``tests/deploy/test_kubelet.py``; the images of ``make containers``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import typer
from rich.console import Console

from devkit.kube import BINARY
from devkit.kubelet import BINARY as KUBELET

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "infra" / "kube-apiserver"
app = typer.Typer(add_completion=False, help=__doc__)
console = Console()


def _stamp() -> str:
    """What the binary was built from: the pinned module files."""
    return (MODULE / "go.mod").read_text() + (MODULE / "go.sum").read_text()


@app.command()
def build(force: bool = False) -> None:
    """Compile kube-apiserver and the kubelet (minutes the first time; nothing when the pinned version is built)."""
    stamp = BINARY.with_suffix(".built-from")
    built = all(b.exists() for b in (BINARY, KUBELET)) and stamp.exists() and stamp.read_text() == _stamp()
    if built and not force:
        console.print(f"kube-apiserver, kubelet: up to date in {BINARY.parent}")
        return
    BINARY.parent.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
    start = time.monotonic()
    for binary, package in ((BINARY, "kube-apiserver"), (KUBELET, "kubelet")):
        argv = ["go", "build", "-trimpath", "-o", str(binary), f"k8s.io/kubernetes/cmd/{package}"]
        if subprocess.run(argv, cwd=MODULE, env=env, check=False).returncode != 0:
            console.print(f"[red]{package} did not build[/red]")
            raise typer.Exit(1)
        console.print(f"{package}: built at {time.monotonic() - start:.0f} s, {binary.stat().st_size / 1e6:.0f} MB")
    stamp.write_text(_stamp())


@app.command()
def check() -> None:
    """Both overlays on a real API server, the dev overlay's pods on a kubelet (builds both first when needed)."""
    build()
    tests = [str(ROOT / "tests" / "deploy" / f"test_{name}.py") for name in ("apiserver", "kubelet")]
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "apiserver", "--durations=5", *tests]
    raise typer.Exit(subprocess.run(argv, check=False).returncode)
