"""Bulk import, the pure part: rows of a CSV or JSON Lines file → the messages the APIs take, each with
an id derived from the row (the same row imported twice is the same message), and the resume state.

Kinds and where their rows go (the same validation as any other caller's):

* ``accounts`` → signal account.upserted; ``contacts`` → contact.changed; ``deals`` → deal.closed_won
  (ingest ``/v1/signals``); ``contracts`` → renewals ``PUT /v1/contracts/{id}``;
* ``usage`` → track calls through ingest ``/v1/import``, keeping each row's ``timestamp``.

CSV columns are the fields' names; dotted names nest (``owners.csm``, ``qualification.champion_fit``,
``properties.format``); empty cells are left out; a cell holding a JSON array or object is read as one
(``products``). Values stay text for the API to validate, as it validates any caller's."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

KINDS = {
    "accounts": "account.upserted",
    "contacts": "contact.changed",
    "deals": "deal.closed_won",
    "contracts": "contract",
    "usage": "track",
}
USAGE_FIELDS = {"user_id": "userId", "anonymous_id": "anonymousId", "event": "event", "timestamp": "timestamp"}


class RowError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def _cell(value: str) -> Any:
    if value[:1] not in ("[", "{", " "):
        return value
    text = value.strip()
    if text[:1] in ("[", "{"):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return text
    return text


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"owners.csm": "x"}`` → ``{"owners": {"csm": "x"}}``; empty CSV cells are dropped."""
    if not any(k is None or "." in k for k in flat):  # the common case (JSON Lines, plain CSV): no groups
        return {
            k: _cell(v) if isinstance(v, str) else v
            for k, v in flat.items()
            if v is not None and not (isinstance(v, str) and not v.strip())
        }
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if key is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        node = out
        *parents, leaf = key.strip().split(".")
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise RowError(key, f"'{p}' is both a value and a group of columns")
        node[leaf] = _cell(value) if isinstance(value, str) else value
    return out


def rows(path: Path) -> Iterator[tuple[int, dict[str, Any], bytes]]:
    """(line number, row, the row's bytes) of a ``.csv`` or ``.jsonl`` file; a line that is not a JSON
    object is a row holding the error (``__error__``), reported as rejected like any invalid row."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            for n, record in enumerate(csv.DictReader(f), start=2):
                yield n, dict(record), orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        return
    with path.open("rb") as f:
        for n, line in enumerate(f, start=1):
            raw = line.strip()
            if not raw:
                continue
            try:
                doc = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield n, {"__error__": f"not JSON: {exc}"}, raw
                continue
            yield n, doc if isinstance(doc, dict) else {"__error__": "each line must be a JSON object"}, raw


def count_rows(path: Path) -> int:
    with path.open("rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return max(0, lines - (1 if path.suffix.lower() == ".csv" else 0))


def message_id(kind: str, line: int, raw: bytes) -> str:
    """A row's message id: its kind, content and line. The same file gives the same ids on every run
    (and on a resumed one); two identical rows on two lines are two events."""
    return f"import:{kind}:{hashlib.blake2b(raw, digest_size=12).hexdigest()}:{line}"


def message(kind: str, row: dict[str, Any], message_id: str) -> dict[str, Any]:
    """The API's message for one row (``RowError`` when the row cannot be one)."""
    if "__error__" in row:
        raise RowError("", str(row["__error__"]))
    doc = nest(row)
    if kind == "usage":
        out: dict[str, Any] = {"type": "track", "messageId": message_id}
        for field, wire in USAGE_FIELDS.items():
            if field in doc:
                out[wire] = doc.pop(field)
        if "account_id" in doc:
            out["context"] = {"groupId": doc.pop("account_id")}
        out["properties"] = doc.pop("properties", {}) | doc  # other columns are properties too
        if "timestamp" not in out:
            raise RowError("timestamp", "is required: historical usage keeps its time")
        return out
    if kind == "contracts":
        return doc
    return {"type": KINDS[kind], "message_id": message_id, **doc}


@dataclass
class State:
    """What a run has done, saved after each acknowledged batch (resume from ``rows_done``)."""

    fingerprint: str
    rows_done: int = 0
    accepted: int = 0
    rejected: int = 0
    finished: bool = False

    @staticmethod
    def fingerprint_of(path: Path, kind: str) -> str:
        stat = path.stat()
        with path.open("rb") as f:
            head = f.read(1 << 16)
        return f"{kind}:{stat.st_size}:{hashlib.sha256(head).hexdigest()[:16]}"

    @classmethod
    def load(cls, path: Path, fingerprint: str) -> State:
        if path.exists():
            doc = orjson.loads(path.read_bytes())
            if doc.get("fingerprint") == fingerprint:
                return cls(**doc)
        return cls(fingerprint)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(orjson.dumps(asdict(self)))
        os.replace(tmp, path)  # atomic: an interruption leaves the old state or the new one


def rejected_line(line: int, row: dict[str, Any], field: str, reason: str) -> bytes:
    return orjson.dumps({"line": line, "field": field, "reason": reason, "row": row}) + b"\n"


def csv_text(rows_: list[dict[str, Any]]) -> str:
    """A CSV of ``rows_`` (for tests and examples)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=sorted({k for r in rows_ for k in r}))
    writer.writeheader()
    writer.writerows(rows_)
    return buf.getvalue()
