"""A real Kubernetes API server for the manifests' tests, built here: ``kube build`` compiles
kube-apiserver from the Kubernetes sources (``k8s.io/kubernetes`` at the version pinned in
``infra/kube-apiserver/go.mod``, its staging modules from the Go module proxy) into
``.local/bin/kube-apiserver`` once per machine; ``kube check`` starts it on Debian's etcd and applies
both overlays (``tests/deploy/test_apiserver.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import typer
from rich.console import Console

from devkit.kube import BINARY

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "infra" / "kube-apiserver"
app = typer.Typer(add_completion=False, help=__doc__)
console = Console()


def _stamp() -> str:
    """What the binary was built from: the pinned module files."""
    return (MODULE / "go.mod").read_text() + (MODULE / "go.sum").read_text()


@app.command()
def build(force: bool = False) -> None:
    """Compile kube-apiserver (minutes the first time; nothing when the pinned version is built)."""
    stamp = BINARY.with_suffix(".built-from")
    if BINARY.exists() and stamp.exists() and stamp.read_text() == _stamp() and not force:
        console.print(f"kube-apiserver: {BINARY} is up to date")
        return
    BINARY.parent.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
    start = time.monotonic()
    argv = ["go", "build", "-trimpath", "-o", str(BINARY), "k8s.io/kubernetes/cmd/kube-apiserver"]
    done = subprocess.run(argv, cwd=MODULE, env=env, check=False)
    if done.returncode != 0:
        console.print("[red]kube-apiserver did not build[/red]")
        raise typer.Exit(done.returncode)
    stamp.write_text(_stamp())
    console.print(f"kube-apiserver: built in {time.monotonic() - start:.0f} s, {BINARY.stat().st_size / 1e6:.0f} MB")


@app.command()
def check() -> None:
    """Both overlays on a real API server (builds the server first when needed)."""
    build()
    test = ROOT / "tests" / "deploy" / "test_apiserver.py"
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "apiserver", str(test)]
    raise typer.Exit(subprocess.run(argv, check=False).returncode)
