"""The order ``depends_on`` asks for, kept by hand: podman before 5.6 cannot start a container whose
``--requires`` dependency has dependencies of its own ("depends on container … not found in input";
containers/podman#26193 fixed it), and podman before 4.6 cannot wait for ``service_healthy``. So
``tools.compose.Stack.up`` starts the file's services layer by layer with ``--no-deps``, and before each
layer waits for what its services' ``depends_on`` says: a dependency healthy (its own healthcheck,
run by ``podman healthcheck run``), completed successfully (exit code 0), or started."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping
from typing import Any

HEALTHY, COMPLETED, STARTED = "service_healthy", "service_completed_successfully", "service_started"


def dependencies(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's ``depends_on`` as {dependency: condition} (the short list form means started)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, STARTED)
    return {name: (spec or {}).get("condition", STARTED) for name, spec in deps.items()}


def layers(services: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """The services in start order: every dependency of a layer's services is in an earlier layer."""
    depth: dict[str, int] = {}

    def place(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            raise ValueError(f"depends_on has a cycle: {' -> '.join((*path, name))}")
        if name not in services:
            raise ValueError(f"{path[-1]} depends on {name}, which the file does not define")
        if name not in depth:
            depth[name] = 1 + max((place(d, (*path, name)) for d in dependencies(services[name])), default=-1)
        return depth[name]

    for name in services:
        place(name, ())
    out: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in sorted(depth):
        out[depth[name]].append(name)
    return out


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, check=False)


def satisfy(container: str, condition: str, deadline_s: float, logs: Callable[[], str]) -> None:
    """Wait until ``container`` meets ``condition``; raise with its logs when it cannot."""
    deadline = time.monotonic() + deadline_s
    if condition == COMPLETED:
        done = _run("wait", container, timeout=deadline_s)
        if done.returncode or done.stdout.strip() != "0":
            raise RuntimeError(f"{container} did not complete successfully ({done.stdout.strip()}):\n{logs()}")
        return
    while condition == HEALTHY:
        if _run("healthcheck", "run", container).returncode == 0:
            return
        state = _run("inspect", "--format", "{{.State.Status}}", container).stdout.strip()
        if state != "running" or time.monotonic() > deadline:
            raise RuntimeError(f"{container} not healthy ({state}) within {deadline_s} s:\n{logs()}")
        time.sleep(1)
