"""The skeleton's contract (tools/checks/skeleton.py) holds on the tree, and refuses each kind of breach:
a copy of the tree gets one deliberate breach at a time, and the check names it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.checks.skeleton import ROOT, Violation, check

PARTS = ("services", "shared/src", "tools", "bench", "README.md")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("tree")
    for part in PARTS:
        source = ROOT / part
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "tests", "*.pyc", "profiles", "results.json")
            shutil.copytree(source, copy / part, ignore=ignore)
        else:
            shutil.copy(source, copy / part)
    return copy


@pytest.fixture
def tree(pristine: Path, tmp_path: Path) -> Path:
    target = tmp_path / "tree"
    shutil.copytree(pristine, target)
    return target


def test_the_tree_keeps_the_contract() -> None:
    assert check(ROOT) == []


def _append(path: str, text: str) -> Callable[[Path], None]:
    def breach(root: Path) -> None:
        with (root / path).open("a") as f:
            f.write(text)

    return breach


def _replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    def breach(root: Path) -> None:
        text = (root / path).read_text()
        assert old in text
        (root / path).write_text(text.replace(old, new))

    return breach


def _remove(path: str) -> Callable[[Path], None]:
    return lambda root: (root / path).unlink()


SVC = "services/health/src/health"
BREACHES: dict[str, tuple[Callable[[Path], None], str]] = {
    "service-independence": (_append(f"{SVC}/facts.py", "\nimport renewals.closing\n"), "health imports renewals"),
    "shared-imports-no-service": (
        _append("shared/src/bellwether_shared/dates.py", "\nimport health.facts\n"),
        "health.facts",
    ),
    "no-tests-in-tools": (_append("tools/report.py", "\nimport tests.support.wait\n"), "tests.support.wait"),
    "domain-pure": (_append(f"{SVC}/domain/model.py", "\nimport asyncpg\n"), "asyncpg"),
    "below-the-api": (_append(f"{SVC}/facts.py", "\nfrom health import api\n"), "health.api"),
    "repositories-at-the-bottom": (_append(f"{SVC}/score_repository.py", "\nfrom health import facts\n"), "facts"),
    "repositories-from-use-cases": (
        _append(f"{SVC}/segments_api.py", "\nfrom health import score_repository\n"),
        "health.score_repository",
    ),
    "module-names": (_remove(f"{SVC}/schemas.py"), "health has no schemas.py"),
    "worker": (_append(f"{SVC}/worker.py", "\ndef rescore_all() -> None: ...\n"), "rescore_all"),
    "deps": (_replace(f"{SVC}/deps.py", "def build(", "def make("), "build()"),
    "writes-through-use-cases": (
        _replace(
            f"{SVC}/segments_api.py",
            "await segments.delete(conn, key=key)",
            "await queries.delete_saved_segment(conn, key=key)",
        ),
        "health.query_repository.delete_saved_segment",
    ),
    "typed-repositories": (
        _replace(
            f"{SVC}/score_repository.py",
            "rows: Sequence[StoredScore]) -> None:\n    if rows:",
            "rows: Sequence[dict[str, Any]]) -> None:\n    if rows:",
        ),
        "save_history(rows: Sequence[dict[str, Any]])",
    ),
    "readme-table": (_append(f"{SVC}/helpers.py", '"""a module nobody listed"""\n'), "helpers.py"),
}


@pytest.mark.parametrize("rule", sorted(BREACHES))
def test_a_deliberate_breach_is_refused_and_named(tree: Path, rule: str) -> None:
    make, detail = BREACHES[rule]
    make(tree)
    found: list[Violation] = check(tree)
    assert {v.rule for v in found} == {rule}, found
    assert any(detail in v.detail for v in found), found
