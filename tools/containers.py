"""``python -m tools.devstack containers base|build|smoke`` (``make containers`` runs all three): the
services' images built from the one Dockerfile and started, with podman (no Docker engine needed).

* ``base``: a Debian bookworm root file system made by mmdebstrap (python 3.11, venv, passwd,
  ca-certificates), imported as ``localhost/bellwether-base:bookworm``: the base image where no
  registry is reachable. Built once per machine (kept while the image exists).
* ``build``: the five images, ``--base`` the official Python image or the local one. The dependencies'
  layer is shared by every service, so after the first image the others take seconds.
* ``smoke``: for each image, its migrations run as a one-shot container, then the service starts as it
  would on Kubernetes (non-root, read-only root file system, a tmpfs ``/tmp``, host network on
  loopback) and must answer ``/livez`` and ``/readyz`` within a deadline. It prints each image's size
  and how long each step took.

podman runs containers with runc and cgroupfs; ``/etc/containers/containers.conf`` needs
``default_ulimits = []`` (the defaults exceed what these machines allow), which ``base`` writes when
the file is absent."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from bellwether_shared.migrate import service_url
from devkit import stack
from devkit.infra import localinfra

ROOT = Path(__file__).resolve().parent.parent
LOCAL_BASE = "localhost/bellwether-base:bookworm"
OFFICIAL_BASE = "python:3.11-slim"
PORTS = {"ingest": 8081, "health": 8082, "renewals": 8083, "notifications": 8084, "accounts": 8085}
PACKAGES = "python3,python3-venv,python-is-python3,passwd,ca-certificates"
CONF = Path("/etc/containers/containers.conf")
# as Kubernetes runs them: a read-only root file system with a tmpfs /tmp, the image's non-root user;
# host network on loopback here; the probes are polled by ``smoke`` itself (no healthcheck timer)
AS_DEPLOYED = ("--network", "host", "--read-only", "--tmpfs", "/tmp", "--no-healthcheck")
CA = Path("/etc/ssl/certs/ca-certificates.crt")
console = Console()
app = typer.Typer(add_completion=False, help=__doc__)


def podman(*args: str, capture: bool = False, timeout: float = 900) -> str:
    done = subprocess.run(
        ["podman", *args], check=True, text=True, timeout=timeout, capture_output=capture, stdin=subprocess.DEVNULL
    )
    return done.stdout if capture else ""


def image_exists(image: str) -> bool:
    return subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0


@app.command()
def base(mirror: str = "http://deb.debian.org/debian") -> None:
    """The local Debian base image (skipped when it exists)."""
    if not CONF.exists():
        CONF.parent.mkdir(parents=True, exist_ok=True)
        CONF.write_text(
            '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'
        )
    if image_exists(LOCAL_BASE):
        console.print(f"{LOCAL_BASE}: present")
        return
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        tar = Path(tmp) / "base.tar"
        subprocess.run(
            ["mmdebstrap", "--variant=minbase", f"--include={PACKAGES}", "bookworm", str(tar), mirror],
            check=True,
            timeout=900,
        )
        podman("import", str(tar), LOCAL_BASE)
    console.print(f"{LOCAL_BASE}: built in {time.monotonic() - t0:.1f} s")


def ca_mount() -> list[str]:
    """Behind a TLS-inspecting proxy a build trusts the machine's certificate store (never in the image)."""
    return ["-v", f"{CA}:{CA}:ro"] if CA.exists() else []


def image_name(service: str) -> str:
    return f"localhost/bellwether/{service}:dev"


@app.command()
def build(
    base_image: Annotated[str, typer.Option("--base", help="local (mmdebstrap) or official")] = "local",
    services: Annotated[list[str] | None, typer.Option("--service")] = None,
) -> None:
    """The services' images from the one Dockerfile."""
    base_ref = LOCAL_BASE if base_image == "local" else OFFICIAL_BASE
    mount = ca_mount()
    for svc in services or list(PORTS):
        t0 = time.monotonic()
        podman(
            "build",
            "--format",
            "docker",
            "--network",
            "host",
            *mount,
            "--build-arg",
            f"BASE={base_ref}",
            "--build-arg",
            f"SERVICE={svc}",
            "--build-arg",
            f"HTTP_PORT={PORTS[svc]}",
            "-t",
            image_name(svc),
            str(ROOT),
        )
        console.print(f"{image_name(svc)}: built in {time.monotonic() - t0:.1f} s")


def _env(service: str, db: stack.ServiceDb, bootstrap: str) -> dict[str, str]:
    """The service's settings as the tests give them (devkit.stack), on a free loopback port."""
    extra = {"HTTP_PORT": str(localinfra.free_port()), "HTTP_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"}
    match service:
        case "ingest":
            return stack.ingest_env(db, bootstrap, **extra)
        case "health":
            return stack.health_env(db, bootstrap, **extra)
        case "renewals":
            return stack.renewals_env(db, bootstrap, **extra)
        case "notifications":
            return stack.notifications_env(db, bootstrap, smtp_port=localinfra.free_port(), **extra)
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": db.url,
        "API_TOKEN": stack.API_TOKEN,
        "API_KEYS": stack.viewer_keys(),
        "ENVIRONMENT": "test",
        "CONSUMER_GROUP": f"accounts-{secrets.token_hex(3)}",
        **extra,
    }


def _run_args(env: dict[str, str]) -> list[str]:
    pairs = [f"{k}={v}" for k, v in env.items()]
    return [x for p in pairs for x in ("-e", p)]


def _wait(url: str, deadline_s: float) -> float:
    """Seconds until ``/livez`` and ``/readyz`` both answer 200 (raises after ``deadline_s``)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline_s:
        with contextlib.suppress(httpx.HTTPError):
            if all(httpx.get(f"{url}{p}", timeout=2).status_code == 200 for p in ("/livez", "/readyz")):
                return round(time.monotonic() - t0, 1)
        time.sleep(0.25)
    raise TimeoutError(f"{url}: /livez and /readyz not both 200 within {deadline_s} s")


def smoke_one(service: str, admin_url: str, bootstrap: str) -> dict[str, object]:
    """Migrate with the image (a one-shot container), then start the service non-root on a read-only
    root file system and wait for its probes; the container is removed whatever happens."""
    image = image_name(service)
    role, password = f"{service}_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    t0 = time.monotonic()
    migrate_env = {"MIGRATIONS_DATABASE_URL": admin_url, "SERVICE_DB_ROLE": role, "SERVICE_DB_PASSWORD": password}
    one_shot = ("python", "-m", "bellwether_shared.migrate", service)
    podman(
        "run", "--rm", "--no-healthcheck", "--network", "host", *_run_args(migrate_env), image, *one_shot, capture=True
    )
    migrated_s = round(time.monotonic() - t0, 1)
    db = stack.ServiceDb(service, service_url(admin_url, role=role, password=password), admin_url)
    env = _env(service, db, bootstrap)
    name = f"bw-smoke-{service}-{secrets.token_hex(3)}"
    podman("run", "-d", "--name", name, *AS_DEPLOYED, *_run_args(env), image, capture=True)
    try:
        ready_s = _wait(f"http://127.0.0.1:{env['HTTP_PORT']}", 120)
        uid = podman("exec", name, "id", "-u", capture=True).strip()
    except Exception:
        said = subprocess.run(["podman", "logs", "--tail", "40", name], capture_output=True, text=True, check=False)
        console.print(f"[red]{service} did not start; its last log lines:[/red]\n{said.stdout}{said.stderr}")
        raise
    finally:
        logs = subprocess.run(["podman", "logs", name], capture_output=True, text=True, check=False)
        subprocess.run(["podman", "rm", "-f", name], capture_output=True, check=False)
    size = json.loads(podman("image", "inspect", image, capture=True))[0]["Size"]
    if uid == "0":
        raise AssertionError(f"{service} runs as root")
    if password in logs.stdout + logs.stderr:
        raise AssertionError(f"{service} logged its database password")
    return {
        "service": service,
        "image_mb": round(size / 2**20, 1),
        "uid": uid,
        "migrate_s": migrated_s,
        "ready_s": ready_s,
    }


@app.command()
def smoke(
    services: Annotated[list[str] | None, typer.Option("--service")] = None,
    out: Annotated[Path | None, typer.Option(help="also write the figures here (JSON)")] = None,
) -> None:
    """Each image migrates its schema and starts with /livez and /readyz answering (Kafka and PostgreSQL
    from the environment: KAFKA_BOOTSTRAP_SERVERS and an admin DATABASE_URL, else make infra-up's)."""
    given = {k: os.environ[k] for k in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS") if k in os.environ}
    infra = given if len(given) == 2 else localinfra.up()  # make infra-up's, started when it is not running
    admin, bootstrap = infra["DATABASE_URL"], infra["KAFKA_BOOTSTRAP_SERVERS"]
    db = stack.new_database(admin, prefix="bw_containers_")
    # the one-shot topics step, from an image, as compose and the Kubernetes Job run it
    kafka = ("-e", f"KAFKA_BOOTSTRAP_SERVERS={bootstrap}")
    podman("run", "--rm", "--network", "host", *kafka, image_name("ingest"), "python", "-m", "bellwether_shared.topics")
    rows = [smoke_one(svc, db, bootstrap) for svc in services or list(PORTS)]
    t = Table(title="images, started")
    for col in rows[0]:
        t.add_column(col)
    for r in rows:
        t.add_row(*(str(v) for v in r.values()))
    console.print(t)
    if out:
        out.write_text(json.dumps(rows, indent=2) + "\n")
