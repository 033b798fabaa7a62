"""Seeds 000 and 001 (the Atoma proxy's node operations), line by line where nodeplane used to differ, and the
replay-proof addresses of issue 15. Each test quotes the line it checks. Handlers run in-process with real API
Gateway events, on moto and on DynamoDB Local."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from nodeplane import clock, store
from nodeplane.chain.keys import Keypair
from nodeplane.chain.signatures import blake2b256, registration_digest
from nodeplane.network import balances, chain_events, chainops, items
from nodeplane.network.locks import purchase
from nodeplane_local.harness.fakes import FakeChain
from nodeplane_local.harness.lambda_events import Reply, http_event, invoke
from nodeplane_local.harness.network import chain_event, inner, node_key, seed_market, subscriber_at_cap

URL = "https://node.example:3000"


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeChain]:
    fake = FakeChain(first_stack=1000, select=subscriber_at_cap)
    chainops.use(fake)
    monkeypatch.setattr(purchase, "sleep", clock.advance)
    yield fake
    chainops.use(None)


def atoma_error(reply: Reply, status: int, code: str) -> str:
    assert reply.status == status, reply.body
    assert set(reply.body) == {"error"} and reply.body["error"]["code"] == code
    return str(reply.body["error"]["message"])


def registered_node(node: int = 7, scheme: str = "ed25519") -> Keypair:
    """A node registered on chain by ``key`` (the NodeRegisteredEvent's sender)."""
    key = Keypair.generate(scheme)
    registered = {"badge_id": f"0xbadge{node}", "node_small_id": inner(node)}
    chain_events.apply([chain_event("NodeRegisteredEvent", registered, sender=key.address)])
    return key


def node_record(node: int = 7) -> dict[str, Any]:
    item = store.get(items.node_pk(node), "NODE")
    assert item is not None
    return item


def register(data: dict[str, Any], signature: str, raw: str | None = None) -> Reply:
    body = None if raw is not None else {"data": data, "signature": signature}
    return invoke("proxy_register_node", http_event("POST", "/proxy/v1/nodes", body=body, raw_body=raw, tenant=None))


def signed(key: Keypair, node: int, address: str, country: str, timestamp: int | None = None) -> str:
    return key.sign_hashed(registration_digest(node, address, country, timestamp))


def legacy(raw: str, signature: str | None) -> Reply:
    headers = {"X-Signature": signature} if signature is not None else {}
    event = http_event("POST", "/proxy/node/registration", raw_body=raw, tenant=None, headers=headers)
    return invoke("proxy_node_registration", event)


# --- seed 001: the public key by GET ---------------------------------------------------------------------------


def test_select_node_public_key_answers_a_get_with_a_json_body(aws_env, chain):
    # seed 001, select_node_public_key: "`request`: JSON payload containing the requested model name", sent by
    # the seed's client as GET /v1/encryption/public-key (404 before)
    seed_market()
    balances.credit("tenant-a", 1_000)
    event = http_event("GET", "/proxy/v1/encryption/public-key", body={"model_name": "llama"}, tenant="tenant-a")
    reply = invoke("proxy_public_key", event)
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"public_key", "node_small_id", "stack_entry_digest", "stack_small_id"}
    assert base64.b64decode(reply.body["public_key"]) == node_key(reply.body["node_small_id"])
    # the POST form is kept
    event = http_event("POST", "/proxy/v1/encryption/public-key", body={"model_name": "llama"}, tenant="tenant-a")
    again = invoke("proxy_public_key", event)
    assert again.status == 200 and again.body["stack_small_id"] == reply.body["stack_small_id"]
    # seed 001: "`SERVICE_UNAVAILABLE` - No nodes available for confidential compute"
    event = http_event("GET", "/proxy/v1/encryption/public-key", body={"model_name": "nope"}, tenant="tenant-a")
    atoma_error(invoke("proxy_public_key", event), 503, "SERVICE_UNAVAILABLE")


# --- seed 000, create: the first registration form ------------------------------------------------------------


def test_legacy_registration_signs_the_raw_body_and_answers_null(aws_env):
    # seed 000, create: "This endpoint allows nodes to register or update their public address in the system."
    # in its first form: the signature in a header, over the raw body bytes (whitespace and key order included)
    key = registered_node()
    raw = '{ "country": "PT",  "public_address": "https://node.example:3000", "node_small_id": 7 }'
    reply = legacy(raw, key.sign_hashed(blake2b256(raw.encode())))
    assert reply.status == 200 and reply.body is None and reply.headers["Content-Type"] == "application/json"
    node = node_record()
    assert node["public_address"] == URL and node["country"] == "PT"
    # the same node record as POST /proxy/v1/nodes: the newer form updates what the first form wrote
    later = register({"node_small_id": 7, "public_address": URL + "/v2", "country": "PT"}, "")
    assert later.status == 400  # (unsigned)
    ok = register(
        {"node_small_id": 7, "public_address": URL + "/v2", "country": "DE"}, signed(key, 7, URL + "/v2", "DE")
    )
    assert ok.status == 200 and node_record()["public_address"] == URL + "/v2"


def test_legacy_registration_missing_header(aws_env):
    # seed 000, create: "`MissingHeader` - If the signature header is missing"
    registered_node()
    atoma_error(
        legacy(json.dumps({"node_small_id": 7, "public_address": URL, "country": "PT"}), None), 400, "MissingHeader"
    )


@pytest.mark.parametrize("header", ["not base64!", base64.b64encode(b"\x09" * 97).decode(), "AAAA"])
def test_legacy_registration_invalid_header(aws_env, header):
    # seed 000, create: "`InvalidHeader` - If the signature header is malformed"
    registered_node()
    raw = json.dumps({"node_small_id": 7, "public_address": URL, "country": "PT"})
    atoma_error(legacy(raw, header), 400, "InvalidHeader")


def test_legacy_registration_invalid_body(aws_env):
    # seed 000, create: "`InvalidBody` - If: The request body cannot be read / The signature is invalid / The body
    # cannot be parsed / The sui address doesn't match the signature"
    key = registered_node()
    good = json.dumps({"node_small_id": 7, "public_address": URL, "country": "PT"})
    unparsable = '{"node_small_id": 7,'
    missing = json.dumps({"node_small_id": 7, "public_address": URL})
    for raw in (unparsable, missing):
        atoma_error(legacy(raw, key.sign_hashed(blake2b256(raw.encode()))), 400, "InvalidBody")
    # a valid signature, but over other bytes
    atoma_error(legacy(good, key.sign_hashed(blake2b256(good.encode() + b" "))), 400, "InvalidBody")
    stranger = Keypair.generate("secp256k1")
    message = atoma_error(legacy(good, stranger.sign_hashed(blake2b256(good.encode()))), 400, "InvalidBody")
    assert "does not match" in message
    assert "public_address" not in node_record()


def test_legacy_registration_unknown_node_is_404(aws_env):
    # reference, first form: "404 unknown node"
    key = Keypair.generate("ed25519")
    raw = json.dumps({"node_small_id": 4242, "public_address": URL, "country": "PT"})
    atoma_error(legacy(raw, key.sign_hashed(blake2b256(raw.encode()))), 404, "NOT_FOUND")


# --- seed 000, create: POST /proxy/v1/nodes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"data": {"node_small_id": 7, "public_address": "https://n.example", "country": "PT"}',  # does not parse
        '{"data": {"node_small_id": 7, "public_address": "https://n.example"}, "signature": "x"}',  # no country
        '{"data": {"node_small_id": -1, "public_address": "https://n.example", "country": "PT"}, "signature": "x"}',
        '{"signature": "x"}',
    ],
)
def test_a_registration_body_that_does_not_parse_is_400_invalid_body(aws_env, raw):
    # seed 000, create: "`InvalidBody` - If: ... The body cannot be parsed" (a 422 before)
    registered_node()
    atoma_error(register({}, "", raw=raw), 400, "InvalidBody")


# --- replay-proof addresses (issue 15) --------------------------------------------------------------------------


def test_a_replayed_registration_cannot_roll_an_address_back(aws_env):
    # issue 15: "when present it must be newer than the last accepted one"
    key = registered_node()
    now = int(clock.now())
    old = {"node_small_id": 7, "public_address": URL + "/old", "country": "PT", "timestamp": now - 60}
    new = {"node_small_id": 7, "public_address": URL + "/new", "country": "PT", "timestamp": now}
    old_signature = signed(key, 7, old["public_address"], "PT", old["timestamp"])
    assert register(old, old_signature).status == 200
    assert register(new, signed(key, 7, new["public_address"], "PT", new["timestamp"])).status == 200
    message = atoma_error(register(old, old_signature), 400, "InvalidBody")
    assert "replayed" in message and node_record()["public_address"] == URL + "/new"
    # a timestamp is signed: changing it breaks the signature
    forged = {**old, "timestamp": now + 1}
    atoma_error(register(forged, old_signature), 400, "InvalidBody")
    future = {**new, "timestamp": now + 3600}
    atoma_error(register(future, signed(key, 7, new["public_address"], "PT", now + 3600)), 400, "InvalidBody")


def test_without_a_timestamp_atoma_sdk_nodes_still_register_unless_the_operator_requires_one(aws_env):
    # issue 15: "an address change without a timestamp is still accepted for atoma-sdk 0.1.3 unless the operator
    # required timestamps"
    key = Keypair.generate("ed25519")
    imported = invoke(
        "daemon_keys", http_event("POST", "/daemon/keys", body={"keystore": key.to_keystore()}, tenant="op-1")
    )
    assert imported.status == 201, imported.body
    registered = {"badge_id": "0xbadge7", "node_small_id": inner(7)}
    chain_events.apply([chain_event("NodeRegisteredEvent", registered, sender=key.address)])
    plain = {"node_small_id": 7, "public_address": URL, "country": "PT"}
    assert register(plain, signed(key, 7, URL, "PT")).status == 200

    def policy(method: str, body: Any = None) -> Reply:
        event = http_event(method, "/daemon/registration_policy", body=body, tenant="op-1")
        return invoke("daemon_registration_policy", event)

    assert policy("GET").body == {"require_timestamp": False}
    assert policy("POST", {"require_timestamp": True}).body == {"require_timestamp": True}
    assert policy("GET").body == {"require_timestamp": True}
    moved = {**plain, "public_address": URL + "/moved"}
    message = atoma_error(register(moved, signed(key, 7, moved["public_address"], "PT")), 400, "InvalidBody")
    assert "requires a signed timestamp" in message
    stamped = {**moved, "timestamp": int(clock.now())}
    stamped_signature = signed(key, 7, moved["public_address"], "PT", stamped["timestamp"])
    assert register(stamped, stamped_signature).status == 200
    # another operator's tenant cannot change it: it holds no key
    other = invoke("daemon_registration_policy", http_event("GET", "/daemon/registration_policy", tenant="op-2"))
    assert other.status == 403 and set(other.body) == {"error"}


@pytest.mark.parametrize(
    "address",
    [
        "",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:3000",
        "http://10.0.0.5",
        "http://[::1]:3000",
        "http://localhost:3000",
        "gopher://node.example",
        "https://node.example/" + "a" * 2048,
    ],
)
def test_addresses_are_public_http_urls(aws_env, address):
    # issue 15: "Addresses must be `http`/`https` URLs of at most 2,048 characters; private, loopback and
    # link-local hosts are refused unless the deployment allows them"
    key = registered_node()
    data = {"node_small_id": 7, "public_address": address, "country": "PT"}
    reply = register(data, signed(key, 7, address, "PT")) if len(address) <= 2048 else register(data, "x")
    atoma_error(reply, 400, "InvalidBody")
    assert "public_address" not in node_record()


def test_private_addresses_where_the_deployment_allows_them(aws_env, monkeypatch):
    # issue 15: "the local runtime allows them, so a node on 127.0.0.1 can be tried out"
    from nodeplane import settings

    monkeypatch.setenv("ALLOW_PRIVATE_NODE_ADDRESSES", "true")
    settings.settings.cache_clear()
    key = registered_node()
    address = "http://127.0.0.1:3000"
    assert (
        register({"node_small_id": 7, "public_address": address, "country": "PT"}, signed(key, 7, address, "PT")).status
        == 200
    )
    settings.settings.cache_clear()


@pytest.mark.parametrize("country", ["Andorra", "pt", "XX", "PRT", ""])
def test_country_is_an_iso_3166_alpha_2_code(aws_env, country):
    # issue 15: "`country` is an ISO 3166-1 alpha-2 code" (seed 000's example sends "Andorra": refused)
    key = registered_node()
    data = {"node_small_id": 7, "public_address": URL, "country": country}
    atoma_error(register(data, signed(key, 7, URL, country)), 400, "InvalidBody")
    assert register({**data, "country": "AD"}, signed(key, 7, URL, "AD")).status == 200
