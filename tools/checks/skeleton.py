"""The services' skeleton as a contract, checked in ``make lint`` (``python -m tools.checks.skeleton``).

Layers: a service's API modules call use cases, which call the domain and the repositories. So:
the domain imports no framework, no infrastructure and nothing of its service outside ``domain/``;
nothing below the API imports an API module or the web framework; repositories import no use case;
API modules reach repositories only where the ratchet (``API_READS``) already lets them (reads kept
from before the contract: the list may shrink, never grow), and never call a repository function that
writes (``writes.py``): every change of state goes through a use case. No service imports another; the shared
package imports no service; ``tools`` and ``bench`` import no tests.

Repositories take typed rows: no parameter of a repository function is a bare ``dict[str, Any]``
or ``Mapping[str, Any]`` (a JSON document kept whole is a ``bellwether_shared.documents.Document``).

Names: every service has the modules of the README's table with the same meaning (``MODULE_KINDS``),
``handlers.py`` exactly when it consumes, ``deps.Runtime.build``, and a ``worker.py`` of loops and
``main()`` only. The README's module table names exactly the modules the services have."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import typer

from tools.checks.api_reads import API_READS
from tools.checks.writes import write_calls, writing_functions

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ingest", "health", "renewals", "notifications", "accounts")
WEB: tuple[str, ...] = ("fastapi", "starlette", "uvicorn")
FRAMEWORKS: tuple[str, ...] = (
    *WEB,
    *("asyncpg", "aiokafka", "httpx", "aiohttp", "aiosmtplib", "opentelemetry"),
    *("pydantic", "pydantic_settings", "jinja2", "plotly", "structlog"),
)
SHARED_PURE: tuple[str, ...] = (
    *("bellwether_shared.pricing", "bellwether_shared.champions"),
    *("bellwether_shared.dates", "bellwether_shared.inputguard", "bellwether_shared.documents"),
    "bellwether_shared.engagement",
    "bellwether_shared.objectives",
    "bellwether_shared.support",
)
# (file name pattern, kind): the first that matches says what a top-level module is
MODULE_KINDS: tuple[tuple[str, str], ...] = (
    ("__init__.py", "package"),
    ("app.py", "api"),
    ("__main__.py", "api"),
    ("deps.py", "api"),
    ("api.py", "api"),
    ("*_api.py", "api"),
    ("http_errors.py", "api"),
    ("auth.py", "api"),
    ("body.py", "api"),
    ("handlers.py", "entry"),
    ("worker.py", "entry"),
    ("repository.py", "repository"),
    ("*_repository.py", "repository"),
    ("settings.py", "schema"),
    ("schemas.py", "schema"),
    ("*_schemas.py", "schema"),
)
UNTYPED = re.compile(r"\b(dict|Mapping)\[str, Any\]")
REQUIRED = ("app.py", "__main__.py", "deps.py", "settings.py", "schemas.py", "worker.py", "domain/__init__.py")


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.detail}"


@dataclass(frozen=True)
class Module:
    path: Path
    name: str  # dotted
    service: str | None
    kind: str  # api, entry, repository, schema, domain, usecase, package, migration, shared, tool, bench, test


def kind_of(service_root: Path, path: Path) -> str:
    rel = path.relative_to(service_root)
    if rel.parts[0] == "domain":
        return "domain"
    if rel.parts[0] == "migrations":
        return "migration"
    return next((kind for pattern, kind in MODULE_KINDS if fnmatch(rel.name, pattern)), "usecase")


def modules(root: Path) -> Iterator[Module]:
    for service in SERVICES:
        base = root / "services" / service / "src" / service
        for path in sorted(base.rglob("*.py")):
            dotted = ".".join(path.relative_to(base.parent).with_suffix("").parts).removesuffix(".__init__")
            yield Module(path, dotted, service, kind_of(base, path))
    for top, kind in (("shared/src/bellwether_shared", "shared"), ("tools", "tool"), ("bench", "bench")):
        for path in sorted((root / top).rglob("*.py")):
            yield Module(path, "", None, kind)


def imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every import, ``from a import b`` as both ``a`` and ``a.b``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


class Checker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.all = list(modules(root))
        self.kinds = {m.name: m.kind for m in self.all if m.service}
        self.writers = {
            s: writing_functions(root / "services" / s / "src" / s, s)
            for s in SERVICES
            if (root / "services" / s / "src" / s).is_dir()
        }
        self.found: list[Violation] = []

    def report(self, m: Module | Path, line: int, rule: str, detail: str) -> None:
        path = m.path if isinstance(m, Module) else m
        self.found.append(Violation(str(path.relative_to(self.root)), line, rule, detail))

    def check(self) -> list[Violation]:
        for m in self.all:
            tree = ast.parse(m.path.read_text())
            seen: set[str] = set()
            for line, name in imports(tree):
                target = self._module_of(name)
                if target not in seen:
                    seen.add(target)
                    self._import(m, line, target)
            if m.kind == "repository":
                self._typed(m, tree)
            if m.kind == "api" and m.service is not None:
                for line, call in write_calls(tree, m.service, self.writers.get(m.service, {})):
                    self.report(m, line, "writes-through-use-cases", f"{call}: a write goes through a use case")
        for service in SERVICES:
            self._names(service)
        self._readme()
        return sorted(set(self.found))

    def _module_of(self, name: str) -> str:
        """``a.b.Name`` → ``a.b`` when ``a.b`` is a module of a service and ``a.b.Name`` is not."""
        head = name.rsplit(".", 1)[0]
        return head if name not in self.kinds and head in self.kinds else name

    def _import(self, m: Module, line: int, name: str) -> None:
        if m.kind in ("tool", "bench") and _under(name, "tests", "conftest"):
            self.report(m, line, "no-tests-in-tools", f"{name}: tools and bench import no tests")
        if m.kind == "shared" and _under(name, *SERVICES):
            self.report(m, line, "shared-imports-no-service", name)
        if m.service is None:
            return
        other = [s for s in SERVICES if s != m.service and _under(name, s)]
        if other:
            self.report(m, line, "service-independence", f"{m.service} imports {other[0]} ({name})")
        target = self.kinds.get(name) if _under(name, m.service) else None
        self._layers(m, line, name, target)

    def _layers(self, m: Module, line: int, name: str, target: str | None) -> None:
        if m.kind == "domain":
            if _under(name, *FRAMEWORKS):
                self.report(m, line, "domain-pure", f"{name}: the domain imports no framework")
            elif _under(name, "bellwether_shared") and not _under(name, *SHARED_PURE):
                self.report(m, line, "domain-pure", f"{name}: the domain imports no service infrastructure")
            elif target is not None and target not in ("domain", "package"):
                self.report(m, line, "domain-pure", f"{name}: the domain imports only the domain")
        if m.kind not in ("api", "package") and (target == "api" or _under(name, *WEB)):
            self.report(m, line, "below-the-api", f"{name}: a {m.kind} module imports no API module")
        if m.kind == "repository" and target in ("usecase", "entry"):
            self.report(m, line, "repositories-at-the-bottom", f"{name}: a repository imports no {target}")
        if m.kind == "api" and target == "repository" and (m.name, name) not in API_READS:
            self.report(m, line, "repositories-from-use-cases", f"{name}: call a use case (or query module)")

    def _typed(self, m: Module, tree: ast.AST) -> None:
        """A repository takes typed rows (a command, an event, a request model) or a ``Document`` kept
        whole; a bare ``dict[str, Any]`` or ``Mapping[str, Any]`` parameter is refused."""
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):
                shown = ast.unparse(arg.annotation) if arg.annotation is not None else ""
                if UNTYPED.search(shown):
                    detail = f"{node.name}({arg.arg}: {shown}): take a typed command, or a Document kept whole"
                    self.report(m, arg.lineno, "typed-repositories", detail)

    def _names(self, service: str) -> None:
        base = self.root / "services" / service / "src" / service
        for required in REQUIRED:
            if not (base / required).exists():
                self.report(base, 0, "module-names", f"{service} has no {required}")
        tops = sorted(p.name for p in base.glob("*.py"))
        if not any(fnmatch(n, "api.py") or fnmatch(n, "*_api.py") for n in tops):
            self.report(base, 0, "module-names", f"{service} has no api.py or *_api.py")
        if not any(fnmatch(n, "*repository.py") for n in tops):
            self.report(base, 0, "module-names", f"{service} has no repository")
        app = base / "app.py"
        consumes = app.exists() and "consumes=" in app.read_text()
        if consumes != (base / "handlers.py").exists():
            say = "consumes but has no handlers.py" if consumes else "consumes nothing but has handlers.py"
            self.report(base, 0, "module-names", f"{service} {say}")
        self._deps(base / "deps.py")
        self._worker(base / "worker.py")

    def _deps(self, path: Path) -> None:
        if not path.exists():
            return
        tree = ast.parse(path.read_text())
        runtime = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Runtime"), None)
        builds = runtime is not None and any(isinstance(n, ast.FunctionDef) and n.name == "build" for n in runtime.body)
        if not builds:
            self.report(path, 0, "deps", "deps.py defines Runtime with a build() classmethod")

    def _worker(self, path: Path) -> None:
        if not path.exists():
            return
        tree = ast.parse(path.read_text())
        defined = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        for node in defined:
            if node.name not in ("loops", "main") and not node.name.startswith("_"):
                self.report(path, node.lineno, "worker", f"{node.name}: worker.py holds loops and main() only")
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        if not {"loops", "main"} <= names or '__name__ == "__main__"' not in path.read_text():
            self.report(path, 0, "worker", "worker.py defines loops(ctx) and main(), run by python -m <name>.worker")

    def _readme(self) -> None:
        readme = self.root / "README.md"
        listed = readme_modules(readme.read_text())
        have = {p.name for s in SERVICES for p in (self.root / "services" / s / "src" / s).glob("*.py")}
        have.discard("__init__.py")
        patterns = {n for n in listed if "*" in n}
        for name in sorted(have):
            if name not in listed and not any(fnmatch(name, p) for p in patterns):
                self.report(readme, 0, "readme-table", f"{name} is in a service but not in the README's module table")
        for name in sorted(listed - patterns - have):
            self.report(readme, 0, "readme-table", f"{name} is in the README's module table but in no service")


def readme_modules(text: str) -> set[str]:
    """The ``*.py`` names in the first cell of each row of the README's module table."""
    start = text.index("| module | holds |")
    rows = text[start:].split("\n\n", 1)[0].splitlines()[2:]
    return {name for row in rows for name in re.findall(r"`([\w*]+\.py)`", row.split("|")[1])}


def check(root: Path = ROOT) -> list[Violation]:
    return Checker(root).check()


def main() -> None:
    found = check()
    for violation in found:
        typer.echo(str(violation))
    if found:
        typer.echo(f"{len(found)} breaches of the skeleton (tools/checks/skeleton.py says what each rule means)")
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
