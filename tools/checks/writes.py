"""Which repository functions write (their SQL inserts, updates or deletes), and where an API module
calls one: the skeleton's rule that the API changes state only through a use case. Reads may go
straight to a repository (the ratchet in ``api_reads.py``); a write never does."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

WRITES = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\w+\s+(?:\w+\s+)?SET|DELETE\s+FROM|TRUNCATE)\b")


def _text(node: ast.AST) -> str:
    return " ".join(c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str))


def writing_functions(service_root: Path, service: str) -> dict[str, set[str]]:
    """``{dotted repository module: names of its functions whose SQL writes}``."""
    found: dict[str, set[str]] = {}
    for path in sorted(service_root.glob("*repository*.py")):
        tree = ast.parse(path.read_text())
        names = {
            n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and WRITES.search(_text(n))
        }
        found[f"{service}.{path.stem}"] = names
    return found


def write_calls(tree: ast.AST, service: str, writers: dict[str, set[str]]) -> Iterator[tuple[int, str]]:
    """(line, ``module.function``) of each call of a writing repository function through
    ``from <service> import <module> [as alias]``."""
    aliases = {
        a.asname or a.name: f"{service}.{a.name}"
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module == service
        for a in n.names
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        module = aliases.get(owner.id) if isinstance(owner, ast.Name) else None
        if module is not None and node.func.attr in writers.get(module, set()):
            yield node.lineno, f"{module}.{node.func.attr}"
