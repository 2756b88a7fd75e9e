"""Event contract snapshots and the compatibility rule.

``python -m bellwether_shared.contracts write`` stores each event type's JSON schema in
``shared/schemas/<type>.json``; the contract test compares the models with those snapshots.

Compatible (consumers of either version keep working, records already on a topic stay readable):
adding an optional property, widening nothing. Incompatible: removing or renaming a property,
changing its type, making a property required that was not, making a required one optional,
removing an allowed enum value. An incompatible change needs a new event type (``...v2``).

The database schema is a contract too, with every database already migrated: ``write`` also records
each migration's checksum in ``shared/schemas/migrations.sha256`` (new ones only), and the contract
test fails when a recorded migration was edited (``migrate`` would refuse it on any database that
applied it): a change is a new migration.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bellwether_shared.events import CATALOGUE

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
MIGRATIONS_LOCK = SCHEMA_DIR / "migrations.sha256"
SERVICES = ("ingest", "health", "renewals", "notifications", "accounts")


def current_migrations() -> dict[str, str]:
    """Every migration (shared and each service's) → its checksum."""
    from bellwether_shared.migrate import migrations_for

    return {m.name: m.checksum for service in SERVICES for m in migrations_for(service)}


def recorded_migrations(path: Path = MIGRATIONS_LOCK) -> dict[str, str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in lines if line.strip())}


def record_migrations(path: Path = MIGRATIONS_LOCK) -> list[str]:
    """Record the migrations not yet recorded; never rewrites a recorded checksum."""
    recorded = recorded_migrations(path)
    new = {n: c for n, c in current_migrations().items() if n not in recorded}
    merged = recorded | new
    path.write_text("".join(f"{merged[n]}  {n}\n" for n in sorted(merged)))
    return sorted(new)


def current_schemas() -> dict[str, dict[str, Any]]:
    return {t: cls.model_json_schema(mode="validation") for t, cls in sorted(CATALOGUE.items())}


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return _resolve(root["$defs"][ref.rsplit("/", 1)[-1]], root)
    return schema


def _shape(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """A comparable description of a property's type (ignoring titles, descriptions, defaults)."""
    s = _resolve(schema, root)
    if "anyOf" in s:
        return ("anyOf", sorted(json.dumps(_shape(x, root), sort_keys=True) for x in s["anyOf"]))
    if s.get("type") == "object" and "properties" in s:
        return ("object", {k: _shape(v, root) for k, v in s["properties"].items()}, sorted(s.get("required", [])))
    if s.get("type") == "array":
        return ("array", _shape(s.get("items", {}), root))
    return (s.get("type"), s.get("format"), tuple(s["enum"]) if "enum" in s else None, s.get("const"))


def _enum_values(schema: dict[str, Any], root: dict[str, Any]) -> set[Any] | None:
    s = _resolve(schema, root)
    if "enum" in s:
        return set(s["enum"])
    if "anyOf" in s:
        values = [_enum_values(x, root) for x in s["anyOf"]]
        found = [v for v in values if v is not None]
        return set().union(*found) if found else None
    return None


def problems(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """Why ``new`` cannot replace ``old`` under the same event type (empty: compatible)."""
    out: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    for name, old_schema in old_props.items():
        where = f"{path}{name}"
        if name not in new_props:
            out.append(f"{where}: removed")
            continue
        new_schema = new_props[name]
        old_enum, new_enum = _enum_values(old_schema, old), _enum_values(new_schema, new)
        if old_enum is not None and new_enum is not None:
            if old_enum - new_enum:
                out.append(f"{where}: enum values removed {sorted(map(str, old_enum - new_enum))}")
            continue
        o, n = _resolve(old_schema, old), _resolve(new_schema, new)
        if o.get("type") == "object" and n.get("type") == "object" and "properties" in o and "properties" in n:
            out.extend(problems(o | {"$defs": old.get("$defs", {})}, n | {"$defs": new.get("$defs", {})}, f"{where}."))
        elif _shape(old_schema, old) != _shape(new_schema, new):
            out.append(f"{where}: type changed")
    for name in sorted(new_req - old_req):
        out.append(f"{path}{name}: newly required (records already written lack it)")
    for name in sorted(old_req - new_req):
        if name in new_props:
            out.append(f"{path}{name}: no longer required (existing consumers rely on it)")
    return out


def write_snapshots(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type, schema in current_schemas().items():
        path = directory / f"{event_type}.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    if argv[:1] != ["write"]:
        print("usage: python -m bellwether_shared.contracts write", file=sys.stderr)
        return 2
    for path in write_snapshots():
        print(path.relative_to(SCHEMA_DIR.parent.parent))
    for name in record_migrations():
        print(f"recorded migration {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
