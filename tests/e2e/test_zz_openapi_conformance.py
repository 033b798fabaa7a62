"""The OpenAPI document describes what the API really answers: every response the end-to-end tests received
from the shared local runtime (the published clients, exls, httpx) is checked against ``/openapi.json``: its
status is documented for its operation, in the documented content type, its body validates against the
documented schema, and every ``X-`` header it carries is documented.

This module runs after the other end-to-end modules of the ``runtime`` group (it sorts last), so it sees their
responses; it also makes a few requests of its own, so it never checks nothing.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from typing import Any

import httpx
import jsonschema
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]  # the shared runtime, after the other modules


def own_requests(runtime: Any) -> None:
    token = {"Authorization": f"Bearer {runtime.token('conformance')}"}
    base = runtime.base_url
    httpx.get(f"{base}/v1/nodes", headers=token)
    httpx.get(f"{base}/v1/nodes", params={"node_type": "cloud"}, headers=token)
    httpx.get(f"{base}/v1/node/missing", headers=token)
    httpx.get(f"{base}/v1/nodes")
    httpx.post(f"{base}/v1/node/import/offer/missing", params={"amount": 0}, headers=token)
    httpx.post(f"{base}/proxy/v1/nodes", content=b'{"data": {')
    httpx.post(f"{base}/proxy/node/registration", content=b"{}")
    httpx.get(f"{base}/daemon/claimed_stacks/not-a-number", headers=token)
    httpx.post(f"{base}/daemon/task_subscribe", json={"task_small_id": 1, "price_per_compute_unit": 0}, headers=token)


def content_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip()


def test_every_response_the_e2e_tests_received_is_documented(runtime):
    own_requests(runtime)
    doc = httpx.get(f"{runtime.base_url}/openapi.json").json()
    assert doc["info"]["version"] == version("nodeplane")
    records = [json.loads(line) for line in runtime.responses_path.read_text().splitlines()]
    problems: list[str] = []
    seen: set[tuple[str, str, int]] = set()
    for r in records:
        operation = doc["paths"].get(r["route"], {}).get(r["method"].lower())
        where = f"{r['method']} {r['route']} {r['status']}"
        if operation is None:
            problems.append(f"{where}: operation not documented")
            continue
        seen.add((r["method"], r["route"], r["status"]))
        answer = operation["responses"].get(str(r["status"]))
        if answer is None:
            problems.append(f"{where}: status not documented ({r['body'][:120]})")
            continue
        documented_headers = {h.lower() for h in answer.get("headers", {})}
        extra = {h for h in r["headers"] if h.startswith("x-")} - documented_headers
        if extra:
            problems.append(f"{where}: headers {sorted(extra)} not documented")
        content = answer.get("content") or {}
        if not content:
            if r["body"]:
                problems.append(f"{where}: a body where none is documented")
            continue
        media = content.get(content_type(r["headers"]))
        if media is None:
            problems.append(f"{where}: content type {content_type(r['headers'])} not in {sorted(content)}")
            continue
        schema = {**media.get("schema", {}), "components": doc["components"]}
        try:
            jsonschema.validate(json.loads(r["body"]), schema, cls=jsonschema.Draft202012Validator)
        except (jsonschema.ValidationError, json.JSONDecodeError) as exc:
            problems.append(f"{where}: body does not match the schema: {str(exc).splitlines()[0]}")
    assert len(seen) >= 9, seen
    assert problems == [], "\n".join(sorted(set(problems)))
