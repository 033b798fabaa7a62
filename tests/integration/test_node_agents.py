"""Node agents: rotating node access tokens on PATCH, self-registration with one-time tokens, staleness."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nodeplane import clock
from tests.support.pool import add_key, assert_problem, call, ssh_node


def patch_as_node(node_id: str, token: str | None, body=None):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return call(
        "pool_node_patch",
        "PATCH",
        "/v1/node/{node_id}",
        {"node_id": node_id},
        tenant=None,
        headers=headers,
        body=body,
        raw_body=None if body is not None else "",
    )


def test_node_token_is_rotating_short_lived_and_node_scoped(aws_env):
    node_id = ssh_node()
    other = ssh_node(hostname="other")
    first = call("pool_node_patch", "PATCH", "/v1/node/{node_id}", {"node_id": node_id}, raw_body="").body
    token = first["next_access_token"]
    assert first["next_access_token_type"] == "Bearer" and first["next_access_token_expires_in"] > 0
    # the node uses its own token; each use hands out the next one and retires the previous
    second = patch_as_node(node_id, token)
    assert second.status == 200 and second.body["next_access_token"] != token
    assert_problem(patch_as_node(node_id, token), 401)
    fresh = second.body["next_access_token"]
    # good for that node only
    assert_problem(patch_as_node(other, fresh), 403)
    assert_problem(patch_as_node(node_id, None), 401)
    assert_problem(patch_as_node(node_id, "npn_forged"), 401)
    # short-lived
    clock.advance(3601)
    assert_problem(patch_as_node(node_id, fresh), 401)


def test_heartbeat_staleness_shows_without_changing_status(aws_env):
    node_id = ssh_node()
    call("pool_node_patch", "PATCH", "/v1/node/{node_id}", {"node_id": node_id}, raw_body="")
    node = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": node_id}).body
    assert node["heartbeat_stale"] is False
    clock.advance(301)
    node = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": node_id}).body
    assert node["heartbeat_stale"] is True and node["node_status"] == "PENDING"
    listed = call("pool_nodes_list", "GET", "/v1/nodes").body["nodes"]
    assert listed[0]["heartbeat_stale"] is True


def test_self_register_with_a_one_time_token(aws_env):
    key_id = add_key()
    assert_problem(call("pool_register_token_get", "GET", "/v1/management/self-register-token"), 404)
    token = call("pool_register_token_create", "POST", "/v1/management/self-register-token").body["register_token"]
    assert call("pool_register_token_get", "GET", "/v1/management/self-register-token").body["register_token"] == token
    body = {
        "register_token": token,
        "hostname": "agent-1",
        "endpoint": "10.1.0.9:22",
        "username": "ubuntu",
        "ssh_key_id": key_id,
        "hardware": {"gpu_count": 4, "gpu_type": "H100"},
        "system": {"os": "Ubuntu"},
    }
    reply = call("pool_node_self_register", "POST", "/v1/node/self-register", tenant=None, body=body)
    assert reply.status == 201 and reply.body["next_access_token"]
    node = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": reply.body["node_id"]}).body
    assert node["node_type"] == "SELF_MANAGED" and node["hardware"]["gpu_count"] == 4
    # one-time: a second use fails and writes nothing
    again = call(
        "pool_node_self_register",
        "POST",
        "/v1/node/self-register",
        tenant=None,
        body=body | {"hostname": "agent-2"},
    )
    assert_problem(again, 401)
    assert call("pool_nodes_list", "GET", "/v1/nodes").body["total"] == 1
    # the returned token drives heartbeats
    assert patch_as_node(reply.body["node_id"], reply.body["next_access_token"]).status == 200


@pytest.mark.parametrize("token", ["", "npr_unknown"])
def test_self_register_rejects_bad_tokens(aws_env, token):
    body = {"register_token": token, "hostname": "x", "endpoint": "h:22", "username": "u", "ssh_key_id": "k"}
    reply = call("pool_node_self_register", "POST", "/v1/node/self-register", tenant=None, body=body)
    assert reply.status in (401, 422)


@pytest.fixture
def user_issuer(aws_env, tmp_path, monkeypatch):
    """An OpenID issuer serving its JWKS over HTTP, configured as the deployment's JWT_ISSUER / JWT_AUDIENCE."""
    from nodeplane import settings
    from nodeplane_local.issuer import Issuer

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/issuer/.well-known/jwks.json"
            body = json.dumps(issuer.jwks() if found else {}).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    issuer = Issuer(tmp_path, f"http://127.0.0.1:{server.server_port}/issuer", audience="nodeplane")
    monkeypatch.setenv("JWT_ISSUER", issuer.url + "/")  # a trailing slash names the same issuer
    monkeypatch.setenv("JWT_AUDIENCE", "nodeplane")
    settings.settings.cache_clear()
    yield issuer
    server.shutdown()
    server.server_close()


def test_a_user_jwt_on_the_node_route_is_verified_against_the_configured_issuer(user_issuer):
    node_id = ssh_node()
    mine = patch_as_node(node_id, user_issuer.token("tenant-a"))
    assert mine.status == 200 and mine.body["next_access_token"].startswith("npn_")
    # the subject is the tenant: another tenant's JWT does not see the node
    assert_problem(patch_as_node(node_id, user_issuer.token("tenant-b")), 404)
    assert_problem(patch_as_node(node_id, user_issuer.token("tenant-a", aud="someone-else")), 401)
    assert_problem(patch_as_node(node_id, user_issuer.token("tenant-a", iss="http://127.0.0.1:9/other")), 401)


def test_without_a_configured_issuer_no_user_jwt_is_accepted(user_issuer, monkeypatch):
    from nodeplane import settings

    node_id = ssh_node()
    monkeypatch.delenv("JWT_ISSUER")
    settings.settings.cache_clear()
    refused = patch_as_node(node_id, user_issuer.token("tenant-a"))
    assert_problem(refused, 401)
    assert "accepts no user tokens" in refused.body["detail"]["detail"]


def test_a_cognito_access_token_names_its_audience_in_client_id(user_issuer):
    node_id = ssh_node()
    # no aud, the app client in client_id: accepted, as API Gateway's JWT authorizer accepts it
    cognito = user_issuer.token("tenant-a", aud=None, client_id="nodeplane", token_use="access")
    accepted = patch_as_node(node_id, cognito)
    assert accepted.status == 200, accepted.body
    # client_id counts only without aud; another client is refused
    for claims in ({"aud": None, "client_id": "another-app"}, {"aud": "someone-else", "client_id": "nodeplane"}):
        refused = patch_as_node(node_id, user_issuer.token("tenant-a", **claims))
        assert_problem(refused, 401)
        assert refused.body["detail"]["detail"] == "the bearer token is not valid for this API"


def test_refusals_carry_no_jwt_library_text(user_issuer):
    import jwt

    node_id = ssh_node()
    expired = user_issuer.token("tenant-a", ttl_seconds=-60)
    forged = jwt.encode({"sub": "tenant-a", "exp": 4_000_000_000}, "k" * 32, "HS256", headers={"kid": "x"})
    wrong_issuer = user_issuer.token("tenant-a", iss="http://127.0.0.1:9/other")
    messages = set()
    for token in (expired, forged, wrong_issuer, user_issuer.token("tenant-a")[:-4] + "AAAA", "not.a.jwt"):
        reply = patch_as_node(node_id, token)
        assert_problem(reply, 401)
        messages.add(reply.body["detail"]["detail"])
    assert messages <= {
        "the bearer token has expired",
        "the bearer token is not valid for this API",
        "the bearer token could not be verified",
    }, messages


def _stored_text() -> str:
    """Every item of the table as text (what a leaked backup or a stray read would show)."""
    import os

    import boto3

    ddb = boto3.client("dynamodb")
    pages = ddb.get_paginator("scan").paginate(TableName=os.environ["TABLE_NAME"])
    return json.dumps([page["Items"] for page in pages])


def test_register_tokens_are_stored_only_as_a_hash_and_sealed(aws_env):
    import hashlib

    first = call("pool_register_token_create", "POST", "/v1/management/self-register-token").body["register_token"]
    token = call("pool_register_token_create", "POST", "/v1/management/self-register-token").body["register_token"]
    stored = _stored_text()
    for issued in (first, token):
        assert issued not in stored and issued.removeprefix("npr_") not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert hashlib.sha256(first.encode()).hexdigest() not in stored  # the replaced token's lookup is gone
    # the tenant still sees its current token, and another tenant sees none
    assert call("pool_register_token_get", "GET", "/v1/management/self-register-token").body["register_token"] == token
    assert_problem(call("pool_register_token_get", "GET", "/v1/management/self-register-token", tenant="b"), 404)
