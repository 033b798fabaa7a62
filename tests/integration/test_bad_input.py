"""Requests nobody should send get a 4xx in their API's envelope, never a 500, on moto and on DynamoDB Local.

One test per class of request that used to reach a handler as a 500: unreadable bodies (invalid UTF-8, base64
that does not decode), JSON nested past the parser's depth, bodies sent without `application/json`, path ids
longer than a DynamoDB key holds, numbers a DynamoDB number cannot hold (`1e400`), and integers past Sui's u64
(prices on `/daemon/task_*`, a 5,000-digit `node_small_id`). Nothing is written by any of them.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from nodeplane.network import chain_events, chain_impl, chainops
from nodeplane_local.harness.lambda_events import Reply, http_event, invoke
from tests.support.pool import add_key, assert_problem, call

U64_MAX = 2**64 - 1

# one body-taking route of each API family: (function, route, a valid body, the family's envelope)
BODY_ROUTES = [
    ("pool_cluster_create", "/v1/clusters", {"name": "c", "cluster_type": "REMOTE"}, "problem"),
    ("proxy_lock", "/proxy/v1/nodes/lock", {"model": "llama"}, "atoma"),
    ("daemon_keys", "/daemon/keys", {"keystore": "x" * 44}, "daemon"),
]


def assert_envelope(reply: Reply, status: int, envelope: str) -> str:
    """The reply is ``status`` in the family's envelope; returns its message."""
    assert reply.status == status, (reply.status, reply.body)
    if envelope == "problem":
        assert_problem(reply, status)
        return str(reply.body["detail"]["detail"])
    if envelope == "atoma":
        assert set(reply.body) == {"error"} and set(reply.body["error"]) == {"code", "message"}
        return str(reply.body["error"]["message"])
    assert set(reply.body) == {"error"} and isinstance(reply.body["error"], str)
    return str(reply.body["error"])


def post(function: str, route: str, raw: bytes | str, *, content_type: str | None = "application/json") -> Reply:
    """POST ``raw`` as sent: bytes go base64-encoded, as API Gateway hands over a body that is not text."""
    headers = {"content-type": content_type or ""}
    event = http_event("POST", route, raw_body="{}", headers=headers)
    if content_type is None:
        event["headers"].pop("content-type")
    if isinstance(raw, bytes):
        event |= {"body": base64.b64encode(raw).decode(), "isBase64Encoded": True}
    else:
        event |= {"body": raw, "isBase64Encoded": False}
    return invoke(function, event)


def assert_nothing_written() -> None:
    listing = call("pool_clusters_list", "GET", "/v1/clusters")
    assert listing.status == 200 and listing.body["total"] == 0


@pytest.mark.parametrize(("function", "route", "valid", "envelope"), BODY_ROUTES)
def test_invalid_utf8_and_broken_base64_are_400(aws_env, function, route, valid, envelope):
    text = json.dumps(valid).encode()
    bad_utf8 = text[:-2] + b'\xff"}'
    assert "UTF-8" in assert_envelope(post(function, route, bad_utf8), 400, envelope)
    assert "UTF-8" in assert_envelope(post(function, route, b"\xc3\x28"), 400, envelope)
    event = http_event("POST", route, raw_body="{}") | {"body": "!!not base64!!", "isBase64Encoded": True}
    assert "base64" in assert_envelope(invoke(function, event), 400, envelope)
    assert_nothing_written()


@pytest.mark.parametrize(("function", "route", "valid", "envelope"), BODY_ROUTES)
@pytest.mark.parametrize("depth", [1_000, 5_000, 40_000])
def test_json_nested_past_the_parser_is_400(aws_env, function, route, valid, envelope, depth):
    for nested in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        message = assert_envelope(post(function, route, nested), 400, envelope)
        assert "JSON" in message
    assert_nothing_written()


@pytest.mark.parametrize(("function", "route", "valid", "envelope"), BODY_ROUTES)
def test_a_body_not_sent_as_json_is_415_naming_the_type(aws_env, function, route, valid, envelope):
    form = "&".join(f"{k}={v}" for k, v in valid.items())
    as_curl_sends_it = post(function, route, form, content_type="application/x-www-form-urlencoded")
    assert "application/json" in assert_envelope(as_curl_sends_it, 415, envelope)
    for content_type in (None, "", "text/plain", "application/xml", "multipart/form-data; boundary=x"):
        reply = post(function, route, json.dumps(valid), content_type=content_type)
        assert "application/json" in assert_envelope(reply, 415, envelope)
    assert_nothing_written()
    # the same JSON with its type (parameters and case aside) is read
    reply = post(function, route, json.dumps(valid), content_type="Application/JSON; charset=utf-8")
    assert reply.status != 415


@pytest.mark.parametrize(
    ("function", "method", "route", "param"),
    [
        ("pool_node_describe", "GET", "/v1/node/{node_id}", "node_id"),
        ("pool_node_delete", "DELETE", "/v1/node/{node_id}", "node_id"),
        ("pool_node_patch", "PATCH", "/v1/node/{node_id}", "node_id"),
        ("pool_node_rediscover", "POST", "/v1/node/{node_id}/discover", "node_id"),
        ("pool_node_import_offer", "POST", "/v1/node/import/offer/{offer_id}", "offer_id"),
        ("pool_cluster_describe", "GET", "/v1/cluster/{cluster_id}", "cluster_id"),
        ("pool_cluster_deploy", "POST", "/v1/cluster/{cluster_id}/deploy", "cluster_id"),
        ("pool_cluster_delete", "DELETE", "/v1/cluster/{cluster_id}", "cluster_id"),
        ("pool_cluster_nodes_get", "GET", "/v1/cluster/{cluster_id}/nodes", "cluster_id"),
        ("pool_ssh_key_delete", "DELETE", "/v1/management/ssh-key/{ssh_key_id}", "ssh_key_id"),
    ],
)
def test_path_ids_longer_than_a_key_are_refused(aws_env, function, method, route, param):
    for long_id in ("x" * 2_000, "é" * 600, "n" * 129):
        reply = call(function, method, route, {param: long_id})
        assert 400 <= reply.status < 500, reply.body
        assert_problem(reply, reply.status)
    two_ids = call(
        "pool_cluster_node_remove",
        "DELETE",
        "/v1/cluster/{cluster_id}/nodes/{node_id}",
        {"cluster_id": "c", "node_id": "x" * 2_000},
    )
    assert 400 <= two_ids.status < 500


def test_prices_a_dynamodb_number_cannot_hold_are_refused(aws_env):
    key = add_key()
    base = {"hostname": "h", "endpoint": "203.0.113.7:22", "username": "u", "ssh_key_id": key}
    for raw_price in ("1e400", "-1e400", "1e300", "NaN", "Infinity"):
        raw = json.dumps(base)[:-1] + f', "price_per_hour": {raw_price}}}'
        reply = post("pool_node_import_ssh", "/v1/node/import/ssh", raw)
        assert 400 <= reply.status < 500, (raw_price, reply.body)
        assert_problem(reply, reply.status)
    assert call("pool_nodes_list", "GET", "/v1/nodes").body["total"] == 0
    # a price too small for a DynamoDB number is rounded, not refused
    tiny = call("pool_node_import_ssh", "POST", "/v1/node/import/ssh", body=base | {"price_per_hour": 1e-300})
    assert tiny.status == 201, tiny.body
    node = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": tiny.body["node_ids"][0]})
    assert node.body["price_per_hour"] == 0


@pytest.fixture
def ledger(aws_env):
    chain_impl.default_ops.cache_clear()
    chainops.use(None)
    yield chainops.ops()
    chainops.use(None)
    chain_impl.default_ops.cache_clear()


def daemon(function: str, method: str, route: str, body: Any = None, **kw: Any) -> Reply:
    return invoke(function, http_event(method, route, body=body, tenant="op-1", **kw))


def test_integers_past_u64_are_refused(ledger):
    from nodeplane.chain.keys import Keypair

    assert ledger.admin_call("create_task_entry", [0, "llama", 1, None, True]).ok
    chain_events.poll(ledger)
    key = Keypair.generate("ed25519")
    assert daemon("daemon_keys", "POST", "/daemon/keys", {"keystore": key.to_keystore()}).status == 201
    node = daemon("daemon_node_register", "POST", "/daemon/nodes/register").body["node_small_id"]
    too_big = [2**64, 2**70, 10**40]
    fields = [
        "price_per_one_million_compute_units",
        "price_per_compute_unit",
        "max_num_compute_units",
        "gas_budget",
        "gas_price",
        "task_small_id",
        "node_small_id",
    ]
    for function in ("daemon_task_subscribe", "daemon_task_update_subscription", "daemon_task_unsubscribe"):
        route = "/" + function.replace("daemon_", "daemon/")
        for field in fields:
            for value in too_big:
                body = {"task_small_id": 1, "node_small_id": node, "price_per_one_million_compute_units": 5}
                reply = daemon(function, "POST", route, body | {field: value})
                assert 400 <= reply.status < 500, (function, field, value, reply.body)
                assert_envelope(reply, reply.status, "daemon")
    assert daemon("daemon_subscriptions", "GET", "/daemon/subscriptions").body == []
    # the largest u64 is a valid price: the chain takes it
    top = {"task_small_id": 1, "node_small_id": node, "price_per_one_million_compute_units": U64_MAX}
    assert daemon("daemon_task_subscribe", "POST", "/daemon/task_subscribe", top).status == 200

    # 5,000 digits: in a path, in a query, in a signed body
    digits = "9" * 5_000
    for function, route, params, body in (
        ("daemon_node_public_key", "/daemon/nodes/{node_small_id}/public_key", {"node_small_id": digits}, {}),
        ("daemon_claimed_stacks_node", "/daemon/claimed_stacks/{node_small_id}", {"node_small_id": digits}, None),
        ("daemon_node_public_key", "/daemon/nodes/{node_small_id}/public_key", {"node_small_id": str(2**64)}, {}),
        ("daemon_node_public_key", "/daemon/nodes/{node_small_id}/public_key", {"node_small_id": "²"}, {}),
    ):
        body = {"public_key": base64.b64encode(bytes(32)).decode()} if body is not None else None
        method = "GET" if body is None else "POST"
        reply = invoke(function, http_event(method, route, params, body=body, tenant="op-1"))
        assert reply.status == 400, reply.body
        assert "node_small_id" in assert_envelope(reply, 400, "daemon")
    query = invoke(
        "daemon_subscriptions", http_event("GET", "/daemon/subscriptions", query={"node_small_id": digits}, tenant="a")
    )
    assert 400 <= query.status < 500 and "error" in query.body
    usage = '{"data":{"stack_small_id":1,"node_small_id":%s,"num_compute_units":1,"request_id":"r"},"signature":"x"}'
    reply = post("proxy_usage_report", "/proxy/v1/stacks/usage", usage % digits)
    assert_envelope(reply, 400, "atoma")
    reply = post("proxy_usage_report", "/proxy/v1/stacks/usage", usage % (2**64))
    assert 400 <= reply.status < 500 and set(reply.body["error"]) == {"code", "message"}
