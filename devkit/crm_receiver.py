"""A local CRM for write-back tests and the demo: one real HTTP server (uvicorn, in a thread, on a
loopback port) that answers as a HubSpot portal (CRM objects API, companies batch update) and as a
Salesforce org (REST sObject Collections update), checks every request against the shape the vendor
documents, and answers as the vendor does: its error shapes, 207 Multi-Status and per-record
SaveResults for partial failures, 401 for a wrong token, and 429 (HubSpot's rate-limit headers and
body) or 503 when told to. What it refused for shape is in ``violations``; a test asserts it is empty.

HubSpot: ``POST /crm/v3/objects/companies/batch/update`` ``{"inputs": [{"id", "properties"}]}`` (1 to 100,
ids unique, property values strings, every property defined in the portal).
Salesforce: ``PATCH /services/data/vNN.N/composite/sobjects`` ``{"allOrNone", "records": [{"attributes":
{"type": "Account"}, "id", <fields>}]}`` (1 to 200, 15- or 18-character ids, every field defined)."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from devkit.receiver import Receiver, Request

HUBSPOT_PATH = "/crm/v3/objects/companies/batch/update"
SALESFORCE_PATH = re.compile(r"/services/data/v\d{2,3}\.\d/composite/sobjects")
SALESFORCE_ID = re.compile(r"[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?")
Answer = tuple[int, dict[str, str], Any]


@dataclass
class CrmReceiver(Receiver):
    token: str = "crm-test-token-0001"
    hubspot_properties: set[str] = field(default_factory=set)
    salesforce_fields: set[str] = field(default_factory=set)
    companies: dict[str, dict[str, str]] = field(default_factory=dict)  # HubSpot company id → properties
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # Salesforce Account Id → fields
    deleted: set[str] = field(default_factory=set)  # records that exist no more (either CRM)
    script: list[int] = field(default_factory=list)  # statuses to answer next (429, 503), one per request
    rate_interval_ms: int = 1000
    violations: list[str] = field(default_factory=list)
    writes: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (crm, record id, values)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def respond(self, method: str, req: Request) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        status, extra, doc = self._answer(method, req.path, req.headers, req.body)
        headers = [(b"content-type", b"application/json"), *((k.encode(), v.encode()) for k, v in extra.items())]
        return status, headers, json.dumps(doc).encode()

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        hubspot = path == HUBSPOT_PATH
        if not hubspot and not SALESFORCE_PATH.fullmatch(path):
            return self._refuse(404, f"{method} {path}: no such endpoint", hubspot=False)
        if method != ("POST" if hubspot else "PATCH"):
            return self._refuse(405, f"{path}: {method} is not allowed", hubspot=hubspot)
        if headers.get("authorization") != f"Bearer {self.token}":
            return _unauthorised(hubspot)
        if not headers.get("content-type", "").startswith("application/json"):
            return self._refuse(415, "Content-Type must be application/json", hubspot=hubspot)
        if self.script:
            return _scripted(self.script.pop(0), hubspot, self.rate_interval_ms)
        try:
            doc = json.loads(body)
        except ValueError:
            return self._refuse(400, "the body is not JSON", hubspot=hubspot)
        return self._hubspot(doc) if hubspot else self._salesforce(doc)

    def _refuse(self, status: int, why: str, *, hubspot: bool, code: str = "VALIDATION_ERROR") -> Answer:
        self.violations.append(why)
        if hubspot:
            return status, {}, {"status": "error", "message": why, "correlationId": str(uuid.uuid4()), "category": code}
        return status, {}, [{"message": why, "errorCode": "JSON_PARSER_ERROR" if status == 400 else "NOT_FOUND"}]

    # ------------------------------------------------------------------------------------------- HubSpot

    def _hubspot(self, doc: Any) -> Answer:
        why = _hubspot_shape(doc)
        if why is not None:
            return self._refuse(400, why, hubspot=True)
        unknown = sorted({p for i in doc["inputs"] for p in i["properties"]} - self.hubspot_properties)
        if unknown:
            self.violations.append(f"properties not defined in the portal: {unknown}")
            errors = [
                {
                    "message": f'Property "{p}" does not exist',
                    "code": "PROPERTY_DOESNT_EXIST",
                    "context": {"propertyName": [p]},
                }
                for p in unknown
            ]
            return 400, {}, _hs_error("Property values were not valid", errors)
        results, missing = [], []
        for i in doc["inputs"]:
            rid = i["id"]
            if rid in self.deleted or rid not in self.companies:
                missing.append(rid)
                continue
            self.companies[rid].update(i["properties"])
            self.writes.append(("hubspot", rid, dict(i["properties"])))
            now = _iso()
            results.append(
                {
                    "id": rid,
                    "properties": dict(self.companies[rid]),
                    "createdAt": now,
                    "updatedAt": now,
                    "archived": False,
                }
            )
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": _iso(), "completedAt": _iso()}
        if not missing:
            return 200, {}, answer
        answer["numErrors"] = 1
        answer["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some COMPANY objects, they may be deleted or not exist. "
                "Check that ids are valid.",
                "context": {"ids": missing},
            }
        ]
        return 207, {}, answer

    # ------------------------------------------------------------------------------------------ Salesforce

    def _salesforce(self, doc: Any) -> Answer:
        why = _salesforce_shape(doc)
        if why is not None:
            return self._refuse(400, why, hubspot=False)
        for r in doc["records"]:
            unknown = sorted(set(r) - {"attributes", "id"} - self.salesforce_fields)
            if unknown:
                self.violations.append(f"fields not defined on Account: {unknown}")
                return (
                    400,
                    {},
                    [
                        {
                            "message": f"No such column '{unknown[0]}' on sobject of type Account",
                            "errorCode": "INVALID_FIELD",
                        }
                    ],
                )
        results = []
        for r in doc["records"]:
            rid = r["id"]
            values = {k: v for k, v in r.items() if k not in ("attributes", "id")}
            if rid in self.deleted:
                results.append(_save_error(rid, "ENTITY_IS_DELETED", "entity is deleted"))
            elif rid not in self.accounts:
                results.append(_save_error(rid, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"))
            else:
                self.accounts[rid].update(values)
                self.writes.append(("salesforce", rid, values))
                results.append({"id": rid, "success": True, "errors": []})
        return 200, {}, results


def _hubspot_shape(doc: Any) -> str | None:
    if not isinstance(doc, dict) or set(doc) != {"inputs"}:
        return 'the body must be {"inputs": [...]}'
    inputs = doc["inputs"]
    if not isinstance(inputs, list) or not 1 <= len(inputs) <= 100:
        return "inputs: 1 to 100 objects"
    for i in inputs:
        if not isinstance(i, dict) or not {"id", "properties"} <= set(i) <= {
            "id",
            "properties",
            "idProperty",
            "objectWriteTraceId",
        }:
            return f"inputs[]: id and properties only, not {sorted(i) if isinstance(i, dict) else i!r}"
        if not isinstance(i["id"], str) or not i["id"] or not isinstance(i["properties"], dict):
            return "inputs[]: id must be a string, properties an object"
        if not all(isinstance(v, str) for v in i["properties"].values()):
            return f"inputs[{i['id']}].properties: values are strings"
    ids = [i["id"] for i in inputs]
    if len(set(ids)) != len(ids):
        return f"Duplicate IDs found in batch input: {sorted({x for x in ids if ids.count(x) > 1})}"
    return None


def _salesforce_shape(doc: Any) -> str | None:
    if not isinstance(doc, dict) or "records" not in doc or not set(doc) <= {"allOrNone", "records"}:
        return 'the body must be {"allOrNone": bool, "records": [...]}'
    if "allOrNone" in doc and not isinstance(doc["allOrNone"], bool):
        return "allOrNone must be a boolean"
    records = doc["records"]
    if not isinstance(records, list) or not 1 <= len(records) <= 200:
        return "records: 1 to 200 sObjects"
    for r in records:
        if (
            not isinstance(r, dict)
            or not isinstance(r.get("attributes"), dict)
            or r["attributes"].get("type") != "Account"
        ):
            return "records[]: each needs attributes.type (Account here)"
        if not isinstance(r.get("id"), str) or not SALESFORCE_ID.fullmatch(r["id"]):
            return f"records[]: id must be a 15- or 18-character Salesforce id, not {r.get('id')!r}"
    return None


def _unauthorised(hubspot: bool) -> Answer:
    if hubspot:
        doc = {
            "status": "error",
            "message": "Authentication credentials not found.",
            "correlationId": str(uuid.uuid4()),
            "category": "INVALID_AUTHENTICATION",
        }
        return 401, {}, doc
    return 401, {}, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def _scripted(status: int, hubspot: bool, interval_ms: int) -> Answer:
    if status == 429 and hubspot:
        headers = {
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(interval_ms),
            "X-HubSpot-RateLimit-Max": "100",
            "X-HubSpot-RateLimit-Remaining": "0",
        }
        doc = {
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": "TEN_SECONDLY_ROLLING",
        }
        return 429, headers, doc
    if hubspot:
        return status, {}, _hs_error("internal error", [])
    return status, {}, [{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}]


def _hs_error(message: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": "VALIDATION_ERROR",
        "errors": errors,
    }


def _save_error(rid: str, code: str, message: str) -> dict[str, Any]:
    return {"id": rid, "success": False, "errors": [{"statusCode": code, "message": message, "fields": []}]}


def _iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
