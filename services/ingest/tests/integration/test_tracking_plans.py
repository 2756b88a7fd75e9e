"""Tracking plans against a real ingest, Kafka and PostgreSQL: observe counts and annotates, enforce
rejects (kept in the rejected list with the reason)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from typer.testing import CliRunner

from bellwether_shared import topics
from conftest import ADMIN_TOKEN, create_source
from devkit.kafka import TopicTail
from tools.plans import app

PLAN: dict[str, Any] = {
    "mode": "observe",
    "events": {
        "Report Exported": {
            "type": "object",
            "properties": {"format": {"type": "string", "enum": ["pdf", "csv"]}, "pages": {"type": "integer"}},
            "required": ["format"],
        }
    },
}


def track(run_id: str, tag: str, event: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "userId": "u",
        "event": event,
        "properties": props,
        "messageId": f"{tag}-{run_id}",
        "context": {"groupId": f"a-{run_id}"},
    }


async def test_observe_counts_and_annotates_enforce_rejects(ingest, admin_headers, kafka_bootstrap, run_id) -> None:
    src = create_source(ingest.url)
    plan_url = f"{ingest.url}/v1/sources/{src.id}/tracking-plan"
    async with httpx.AsyncClient() as http:
        r = await http.put(plan_url, json=PLAN, headers=admin_headers)
        assert r.status_code == 200, r.text
        batch = [
            track(run_id, "ok", "Report Exported", format="pdf", pages=2),
            track(run_id, "typo", "Report Exported", format="pdf", pages="2", colour="red"),
            track(run_id, "missing", "Report Exported"),
            track(run_id, "unplanned", "Report Printed"),
        ]
        async with TopicTail(kafka_bootstrap, topics.USAGE) as tail:
            r = await http.post(f"{ingest.url}/v1/batch", json={"batch": batch}, auth=(src.write_key, ""))
            assert (r.status_code, r.json()["accepted"]) == (200, 4), r.text  # observe: every event goes on
            got = await tail.collect(lambda rs: sum(run_id in x.payload["message_id"] for x in rs) == 4)
        seen = {x.payload["message_id"].split("-")[0]: x.payload.get("plan_violations", []) for x in got}
        assert seen["ok"] == []
        assert {(v["kind"], v["field"]) for v in seen["typo"]} == {
            ("wrong_type", "properties.pages"),
            ("extra_property", "properties.colour"),
        }
        assert [v["kind"] for v in seen["missing"]] == ["missing_property"]
        assert [v["kind"] for v in seen["unplanned"]] == ["unplanned_event"]
        r = await http.post(f"{ingest.url}/v1/batch", json={"batch": batch[2:3]}, auth=(src.write_key, ""))
        counts = (await http.get(f"{plan_url}/violations", headers=admin_headers)).json()["items"]
        by_key = {(c["event"], c["kind"], c["field"]): c["count"] for c in counts}
        assert by_key == {
            ("Report Exported", "wrong_type", "properties.pages"): 1,
            ("Report Exported", "extra_property", "properties.colour"): 1,
            ("Report Exported", "missing_property", "properties.format"): 2,
            ("Report Printed", "unplanned_event", "event"): 1,
        }
        only = await http.get(f"{plan_url}/violations", params={"event": "Report Printed"}, headers=admin_headers)
        assert [c["kind"] for c in only.json()["items"]] == ["unplanned_event"]

        r = await http.put(plan_url, json=PLAN | {"mode": "enforce"}, headers=admin_headers)
        assert r.status_code == 200
        single = await http.post(
            f"{ingest.url}/v1/track", json=batch[3] | {"messageId": f"e1-{run_id}"}, auth=(src.write_key, "")
        )
        assert (single.status_code, single.json()["code"], single.json()["field"]) == (400, "plan_violation", "event")
        r = await http.post(f"{ingest.url}/v1/batch", json={"batch": batch[:2]}, auth=(src.write_key, ""))
        assert r.json()["accepted"] == 1
        assert [(x["index"], x["field"]) for x in r.json()["rejected"]] == [(1, "properties.pages")]
        assert "1 more: extra_property" in r.json()["rejected"][0]["reason"]
        kept = await http.get(f"{ingest.url}/v1/rejected", params={"source_id": src.id}, headers=admin_headers)
        assert {x["message_id"] for x in kept.json()["items"]} == {f"e1-{run_id}", f"typo-{run_id}"}

        assert (await http.get(plan_url, headers=admin_headers)).json()["mode"] == "enforce"
        assert (await http.delete(plan_url, headers=admin_headers)).status_code == 204
        r = await http.post(f"{ingest.url}/v1/batch", json={"batch": batch}, auth=(src.write_key, ""))
        assert r.json()["accepted"] == 4, "without a plan nothing is checked"


async def test_a_bad_plan_is_422_naming_the_event(ingest, source, admin_headers) -> None:
    url = f"{ingest.url}/v1/sources/{source.id}/tracking-plan"
    async with httpx.AsyncClient() as http:
        r = await http.put(url, json={"events": {"Signed Up": {"type": "bogus"}}}, headers=admin_headers)
        assert (r.status_code, r.json()["field"]) == (422, "events.Signed Up")
        r = await http.put(url, json={"events": {"E": {"$ref": "http://127.0.0.1:1/x.json"}}}, headers=admin_headers)
        assert r.status_code == 422 and "$ref" in r.json()["message"]
        r = await http.put(f"{ingest.url}/v1/sources/src_nope/tracking-plan", json=PLAN, headers=admin_headers)
        assert r.status_code == 404
        # a lone surrogate in a property name was a 500 (schemathesis found it): PostgreSQL cannot store it
        lone = b'{"events": {"E": {"properties": {"\\ud800p": {"type": "string"}}}}}'
        json_headers = {**admin_headers, "Content-Type": "application/json"}
        r = await http.put(url, content=lone, headers=json_headers)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "events.E.properties.\\ud800p" and "surrogate" in r.text
        pair = b'{"events": {"E": {"properties": {"\\ud83d\\ude00": {"type": "string"}}}}}'
        assert (await http.put(url, content=pair, headers=json_headers)).status_code == 200, "a pair is a character"
        assert (await http.delete(url, headers=admin_headers)).status_code == 204
        assert (await http.get(url, headers=admin_headers)).status_code == 404


SEGMENT_EXPORT = {  # the shape of a Segment Protocols tracking plan (rules.events[].rules: the whole event)
    "tracking_plan": {
        "display_name": "Product",
        "rules": {
            "events": [
                {
                    "name": "Report Exported",
                    "version": 1,
                    "rules": {
                        "$schema": "http://json-schema.org/draft-07/schema#",
                        "type": "object",
                        "properties": {
                            "properties": {
                                "type": "object",
                                "properties": {"format": {"type": "string"}},
                                "required": ["format"],
                            }
                        },
                    },
                }
            ]
        },
    }
}


async def test_plans_import_from_a_file_in_either_form(ingest, source, admin_headers, tmp_path) -> None:
    ours, theirs = tmp_path / "plan.json", tmp_path / "segment.json"
    ours.write_text(json.dumps(PLAN))
    theirs.write_text(json.dumps(SEGMENT_EXPORT))
    common = ["--source", source.id, "--url", ingest.url, "--token", ADMIN_TOKEN]
    url = f"{ingest.url}/v1/sources/{source.id}/tracking-plan"
    runner = CliRunner()
    done = runner.invoke(app, ["import", str(ours), *common])
    assert done.exit_code == 0, done.output
    async with httpx.AsyncClient() as http:
        assert (await http.get(url, headers=admin_headers)).json() == PLAN
        done = runner.invoke(app, ["import", str(theirs), "--mode", "enforce", *common])
        assert done.exit_code == 0, done.output
        plan = (await http.get(url, headers=admin_headers)).json()
    assert plan["mode"] == "enforce"
    assert plan["events"]["Report Exported"]["required"] == ["format"]
    theirs.write_text('{"rules": {"events": [{"name": "E", "rules": {"properties": {"properties": {"type": 5}}}}]}}')
    refused = runner.invoke(app, ["import", str(theirs), *common])
    assert refused.exit_code == 1 and "events.E" in refused.output
