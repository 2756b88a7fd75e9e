"""``python -m tools.devstack compose images|up|down``: `docker-compose.yml` brought up with podman
(podman-compose, from PyPI) where no registry is reachable.

* ``images``: the local stand-ins for the official Kafka and PostgreSQL images, built on the local
  Debian base (``containers base``) from ``deploy/compose/{kafka,postgres}/Containerfile``: Kafka's
  jars are the ones ``make infra-up`` runs (Maven Central), PostgreSQL is Debian's. Each is configured
  from the environment as its official image is, so the compose file is the same for both. Rebuilt
  only when its inputs change (their digest is the image's ``bellwether.inputs`` label).
* ``up`` / ``down``: the whole stack with those images and the services' (``containers build``), on
  the host's network on loopback (``deploy/compose/host-network.yml``), ports from the options.

``tests/deploy/test_compose.py`` (``make containers``) brings it up, runs a short demo, takes it down."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import typer
import yaml
from rich.console import Console

from devkit.infra import localinfra
from tools import compose_order
from tools.containers import LOCAL_BASE, PORTS, ca_mount, image_exists, podman

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "deploy" / "compose"
KAFKA_IMAGE = "localhost/bellwether-kafka:4.1.1"
POSTGRES_IMAGE = "localhost/bellwether-postgres:15"
FILES = (ROOT / "docker-compose.yml", HERE / "host-network.yml")
LABEL = "bellwether.inputs"
console = Console()
app = typer.Typer(add_completion=False, help=__doc__)


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.relative_to(ROOT).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _current(image: str, digest: str) -> bool:
    if not image_exists(image):
        return False
    labels = json.loads(podman("image", "inspect", image, capture=True))[0].get("Labels") or {}
    return bool(labels.get(LABEL) == digest)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _kafka_context() -> Path:
    """The Containerfile, scripts and logging config beside the jars (hard links where possible)."""
    libs = Path(localinfra.fetch_kafka())
    context = ROOT / ".local" / "compose" / "kafka"
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(HERE / "kafka", context)
    shutil.copy2(ROOT / "infra" / "kafka" / "log4j2.properties", context)
    shutil.copytree(libs, context / "libs", copy_function=_link_or_copy, ignore=shutil.ignore_patterns(".*"))
    return context


def _build(image: str, context: Path, digest: str) -> None:
    mount = ca_mount()
    base = ["--build-arg", f"BASE={LOCAL_BASE}", "--label", f"{LABEL}={digest}"]
    podman("build", "--format", "docker", "--network", "host", *mount, *base, "-t", image, str(context))


@app.command()
def images() -> None:
    """The local Kafka and PostgreSQL images (each skipped while its inputs are unchanged)."""
    kafka_inputs = [
        *_files(HERE / "kafka"),
        ROOT / "infra" / "kafka" / "pom.xml",
        ROOT / "infra" / "kafka" / "log4j2.properties",
    ]
    plan: list[tuple[str, str, Callable[[], Path]]] = [
        (POSTGRES_IMAGE, _digest(_files(HERE / "postgres")), lambda: HERE / "postgres"),
        (KAFKA_IMAGE, _digest(kafka_inputs), _kafka_context),
    ]
    for image, digest, context in plan:
        if _current(image, digest):
            console.print(f"{image}: present")
            continue
        t0 = time.monotonic()
        _build(image, context(), digest)
        size = json.loads(podman("image", "inspect", image, capture=True))[0]["Size"]
        console.print(f"{image}: built in {time.monotonic() - t0:.1f} s, {size / 2**20:.1f} MB")


def _standard_ports() -> dict[str, int]:
    return {"kafka": 9092, "kafka_controller": 9093, "postgres": 5432, **PORTS}


@dataclass(frozen=True)
class Stack:
    """One compose project on the host's network: its name (containers and volumes are prefixed with
    it), its loopback ports, the private networks notifications may deliver to, the admin token."""

    project: str = field(default_factory=lambda: f"bw-compose-{secrets.token_hex(3)}")
    ports: dict[str, int] = field(default_factory=_standard_ports)
    allow_networks: str = "[]"
    token: str = "dev-admin-token-change-me"  # ingest's ADMIN_TOKEN, the other services' API_TOKEN

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self) -> dict[str, str]:
        """The compose file's variables: the local images, the ports, the delivery networks."""
        ports = {f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()}
        images = {"KAFKA_IMAGE": KAFKA_IMAGE, "POSTGRES_IMAGE": POSTGRES_IMAGE, "BELLWETHER_TAG": "dev"}
        return {
            **os.environ,
            **images,
            "BELLWETHER_IMAGES": "localhost/bellwether",
            **ports,
            "NOTIFICATIONS_ALLOW_NETWORKS": self.allow_networks,
            "ADMIN_TOKEN": self.token,
            "API_TOKEN": self.token,
        }

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        files = [x for f in FILES for x in ("-f", str(f))]
        cmd = [str(Path(sys.executable).with_name("podman-compose")), "-p", self.project, *files, *args]
        return subprocess.run(
            cmd,
            env=self.env(),
            cwd=ROOT,
            text=True,
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def _ok(self, *args: str) -> str:
        done = self.compose(*args)
        if done.returncode:
            raise RuntimeError(f"podman-compose {args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def container(self, service: str) -> str:
        label = f"label=io.podman.compose.project={self.project}"
        found = podman(
            "ps", "-a", "-q", "--filter", label, "--filter", f"label=com.docker.compose.service={service}", capture=True
        )
        return found.split()[0]

    def up(self, deadline_s: float = 300) -> None:
        """The services layer by layer, each after what its ``depends_on`` waits for (tools/compose_order)."""
        services = yaml.safe_load(self._ok("config"))["services"]
        met: set[tuple[str, str]] = set()
        for layer in compose_order.layers(services):
            for name in layer:
                for dep, condition in compose_order.dependencies(services[name]).items():
                    if (dep, condition) not in met:
                        compose_order.satisfy(
                            self.container(dep), condition, deadline_s, functools.partial(self.logs, dep)
                        )
                        met.add((dep, condition))
            self._ok("up", "-d", "--no-deps", "--no-build", *layer)

    def logs(self, service: str) -> str:
        done = self.compose("logs", service, timeout=60)
        return done.stdout + done.stderr

    def down(self) -> None:
        self.compose("down", "-v", "-t", "10")


@app.command()
def up() -> None:
    """The whole stack on the standard loopback ports (Kafka 9092, PostgreSQL 5432, services 8081-8085)."""
    stack = Stack(project="bellwether")
    stack.up()
    for name in PORTS:
        console.print(f"{name}: {stack.url(name)}")


@app.command()
def down() -> None:
    """Stop and remove ``up``'s containers and volumes."""
    Stack(project="bellwether").down()


@app.command()
def check() -> None:
    """The compose file brought up with podman, a short demo through it, taken down (the images first)."""
    images()
    test = ROOT / "tests" / "deploy" / "test_compose.py"
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "compose", "--durations=5", str(test)]
    raise typer.Exit(subprocess.run(argv, check=False).returncode)
