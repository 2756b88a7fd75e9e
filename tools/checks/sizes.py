"""Size limits, counted on the formatter's output: a module of code at most 300 lines, a function at most
60, a test file at most 500. ``python -m tools.checks.sizes [--report]`` exits 1 on a breach."""

from __future__ import annotations

import ast
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

ROOT = Path(__file__).resolve().parents[2]
MODULE_LINES = 300
TEST_LINES = 500
FUNCTION_LINES = 60
SKIP_MARK = "fmt: " + "skip"
console = Console(soft_wrap=True)


@dataclass(frozen=True)
class Breach:
    path: str
    what: str
    lines: int
    limit: int

    def __str__(self) -> str:
        return f"{self.path}: {self.what} has {self.lines} lines (limit {self.limit})"


def python_files(root: Path = ROOT) -> list[Path]:
    """The Python files git knows of (tracked, or new and not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(root / name for name in listed if (root / name).is_file())


def is_test(path: Path) -> bool:
    parts = path.parts
    return "tests" in parts or path.name == "conftest.py"


def breaches(path: Path, relative: str) -> list[Breach]:
    source = path.read_text()
    found: list[Breach] = []
    lines = len(source.splitlines())
    limit = TEST_LINES if is_test(path) else MODULE_LINES
    if lines > limit:
        found.append(Breach(relative, "module", lines, limit))
    if is_test(path):
        return found
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > FUNCTION_LINES:
                found.append(Breach(relative, f"function {node.name}", length, FUNCTION_LINES))
    return found


def skip_markers(path: Path) -> int:
    return path.read_text().count(SKIP_MARK)


def main(
    report: Annotated[bool, typer.Option(help="also count the formatter-skip markers")] = False,
) -> None:
    files = python_files()
    found = [b for path in files for b in breaches(path, str(path.relative_to(ROOT)))]
    for breach in found:
        console.print(f"[red]{breach}[/red]")
    if report:
        modules = sum(1 for b in found if b.what == "module")
        console.print(
            f"modules over their limit: {modules}; functions over {FUNCTION_LINES}: {len(found) - modules}; "
            f"'{SKIP_MARK}' markers: {sum(skip_markers(p) for p in files)}"
        )
    if found:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
