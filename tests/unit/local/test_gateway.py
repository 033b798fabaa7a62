"""API Gateway HTTP API behaviour: route selection, payload 2.0 events, response mapping."""

from __future__ import annotations

import base64
import json

import pytest

from nodeplane_local.gateway import Match, build_event, map_result, match_route
from nodeplane_local.template import HttpRoute

ROUTES = [
    HttpRoute("List", "GET", "/v1/nodes", "Jwt"),
    HttpRoute("Describe", "GET", "/v1/node/{node_id}", "Jwt"),
    HttpRoute("Import", "POST", "/v1/node/import/ssh", "Jwt"),
    HttpRoute("Discover", "POST", "/v1/node/{node_id}/discover", "Jwt"),
    HttpRoute("Any", "ANY", "/v1/node/{node_id}", "Jwt"),
    HttpRoute("Proxy", "ANY", "/files/{proxy+}", None),
]


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("GET", "/v1/nodes", "List", {}),
        ("GET", "/v1/node/n-1", "Describe", {"node_id": "n-1"}),
        ("DELETE", "/v1/node/n-1", "Any", {"node_id": "n-1"}),  # ANY when no exact method
        ("POST", "/v1/node/import/ssh", "Import", {}),  # a literal beats {node_id}
        ("POST", "/v1/node/n-2/discover", "Discover", {"node_id": "n-2"}),
        ("GET", "/files/a/b/c.txt", "Proxy", {"proxy": "a/b/c.txt"}),
    ],
)
def test_routes_match_like_api_gateway(method: str, path: str, function: str, params: dict[str, str]) -> None:
    match = match_route(ROUTES, method, path)
    assert match is not None
    assert (match.route.function, match.path_parameters) == (function, params)


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v1/nodes/extra"), ("POST", "/v1/nodes"), ("GET", "/v1/node/"), ("GET", "/files")]
)
def test_no_route_means_none(method: str, path: str) -> None:
    assert match_route(ROUTES, method, path) is None


def _event(**kw: object) -> dict:
    args: dict = {
        "method": "POST",
        "raw_path": "/v1/node/n-1",
        "raw_query": "a=1&b=x%20y&a=2&empty=",
        "headers": [
            ("Host", "127.0.0.1:3000"),
            ("Content-Type", "application/json"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Cookie", "s=1; t=2"),
            ("User-Agent", "curl/8"),
        ],
        "body": b'{"x": 1}',
        "source_ip": "127.0.0.1",
        "match": Match(HttpRoute("Describe", "POST", "/v1/node/{node_id}", "Jwt"), {"node_id": "n-1"}),
        "authorizer": {"jwt": {"claims": {"sub": "alice"}, "scopes": None}},
        "now": 1700000000.123,
    }
    args.update(kw)
    return build_event(**args)


def test_event_is_payload_format_2() -> None:
    event = _event()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/node/{node_id}"
    assert event["rawPath"] == "/v1/node/n-1"
    assert event["rawQueryString"] == "a=1&b=x%20y&a=2&empty="
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y", "empty": ""}
    assert event["pathParameters"] == {"node_id": "n-1"}
    assert event["headers"]["x-multi"] == "one,two"
    assert event["headers"]["content-type"] == "application/json"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["body"] == '{"x": 1}' and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["http"] == {
        "method": "POST",
        "path": "/v1/node/n-1",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8",
    }
    assert ctx["stage"] == "$default"
    assert ctx["routeKey"] == event["routeKey"]
    assert ctx["timeEpoch"] == 1700000000123
    assert ctx["time"] == "14/Nov/2023:22:13:20 +0000"
    assert ctx["authorizer"]["jwt"]["claims"]["sub"] == "alice"
    assert ctx["accountId"] and ctx["apiId"] and ctx["requestId"]


def test_binary_bodies_are_base64_and_empty_parts_are_omitted() -> None:
    event = _event(
        headers=[("Content-Type", "application/octet-stream")], body=b"\x00\xff", raw_query="", authorizer=None
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff"
    assert "queryStringParameters" not in event
    assert "cookies" not in event
    assert "authorizer" not in event["requestContext"]
    assert "body" not in _event(body=b"")


def test_a_dict_with_status_code_maps_to_http() -> None:
    result = map_result(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/problem+json", "Link": ["<a>", "<b>"]},
            "cookies": ["a=1", "b=2"],
            "body": '{"ok": true}',
        }
    )
    assert result.status == 201
    assert ("Content-Type", "application/problem+json") in result.headers
    assert ("Link", "<a>,<b>") in result.headers
    assert [v for k, v in result.headers if k == "set-cookie"] == ["a=1", "b=2"]
    assert json.loads(result.body) == {"ok": True}


def test_base64_bodies_are_decoded_and_plain_values_are_json_200() -> None:
    assert map_result(
        {"statusCode": 200, "body": base64.b64encode(b"\x01").decode(), "isBase64Encoded": True}
    ).body == (b"\x01")
    plain = map_result({"hello": "world"})
    assert plain.status == 200 and json.loads(plain.body) == {"hello": "world"}
