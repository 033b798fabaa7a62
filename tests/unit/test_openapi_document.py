"""The merged OpenAPI document of all three APIs says what a client needs: every operation its description, its
success response with a schema, its errors in the API's own envelope; an example per request body; the enums
and integer ids as such; the headers the answers carry; the package version. (What the answers really are is
checked against this document in tests/e2e/test_zz_openapi_conformance.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENVELOPES = {"/v1/": "ProblemResponse", "/proxy/": "AtomaError", "/daemon/": "DaemonError"}


@cache
def document() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "nodeplane_local", "openapi", "--template", str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(out.stdout))


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in document()["paths"].items() for method, op in ops.items()]


def schema(ref: dict[str, Any]) -> dict[str, Any]:
    name = ref["$ref"].rsplit("/", 1)[-1]
    return dict(document()["components"]["schemas"][name])


def test_info_version_is_the_package_version():
    assert document()["info"]["version"] == version("nodeplane")


@pytest.mark.parametrize("path,method,operation", operations(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_operation_is_documented(path, method, operation):
    # issue 15: "every operation documents its success response and schema ... a description per operation"
    assert operation.get("description"), "no description"
    successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
    assert len(successes) == 1, operation["responses"].keys()
    ((status, success),) = successes.items()
    assert success["description"] not in ("Successful Response", "Undocumented")
    if status != "204":
        assert success["content"]["application/json"]["schema"], "no success schema"
    envelope = next(name for prefix, name in ENVELOPES.items() if path.startswith(prefix))
    for status, answer in operation["responses"].items():
        if status.startswith("2") or answer["content"].get("application/json", {}).get("schema", {}).get(
            "$ref", ""
        ).endswith("GatewayError"):
            continue
        (media,) = answer["content"].values()
        assert media["schema"]["$ref"].endswith(f"/{envelope}"), (status, media)
    assert "500" in operation["responses"]
    body = operation.get("requestBody")
    if body:
        (media,) = body["content"].values()
        target = media["schema"]
        target = schema(target) if "$ref" in target else target
        if "anyOf" in target:
            target = schema(target["anyOf"][0])
        assert "example" in media or "examples" in target, "no example for the request body"


def test_enums_and_integer_ids():
    schemas = document()["components"]["schemas"]
    assert schemas["ClaimedStack"]["properties"]["attestation_status"]["enum"] == ["Pending", "Complete", "Failed"]
    statuses = ["PENDING", "DISCOVERING", "AVAILABLE", "ADDED", "DEPLOYED", "FAILED", "WARNING"]
    assert schemas["CloudNode"]["properties"]["node_status"]["enum"] == statuses
    assert schemas["CloudNode"]["properties"]["node_type"]["const"] == "CLOUD"
    list_nodes = document()["paths"]["/v1/nodes"]["get"]
    (node_type,) = [p for p in list_nodes["parameters"] if p["name"] == "node_type"]
    assert node_type["schema"]["anyOf"][0]["enum"] == ["CLOUD", "SELF_MANAGED"]
    for path in ("/daemon/claimed_stacks/{node_small_id}", "/daemon/nodes/{node_small_id}/public_key"):
        (operation,) = document()["paths"][path].values()
        (param,) = [p for p in operation["parameters"] if p["in"] == "path"]
        assert param["schema"]["type"] == "integer"


def test_headers_the_answers_carry():
    list_nodes = document()["paths"]["/v1/nodes"]["get"]["responses"]["200"]
    assert "X-Total-Count" in list_nodes["headers"]
    lock = document()["paths"]["/proxy/v1/nodes/lock"]["post"]["responses"]["200"]
    assert {"X-Lock-Id", "X-Lock-Units", "X-Lock-Expires-At"} <= set(lock["headers"])


def test_the_seed_operations_are_there():
    paths = document()["paths"]
    assert {"get", "post"} <= set(paths["/proxy/v1/encryption/public-key"])
    assert "post" in paths["/proxy/node/registration"]
    signature = [p for p in paths["/proxy/node/registration"]["post"]["parameters"] if p["in"] == "header"]
    assert signature[0]["name"].lower() == "x-signature"  # header names are case-insensitive
