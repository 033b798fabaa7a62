"""The `/v1` pool API as the tests drive it: handlers invoked in-process with real HTTP API events."""

from __future__ import annotations

import base64
from typing import Any

from nodeplane_local.harness.lambda_events import Reply, http_event, invoke

KEY_PEM = b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"


def call(fn: str, method: str, route: str, params: dict[str, str] | None = None, **kw: Any) -> Reply:
    """Invoke functions/<fn> with the event API Gateway sends for ``method route`` (see ``http_event``)."""
    return invoke(fn, http_event(method, route, params, **kw))


def assert_problem(reply: Reply, status: int) -> None:
    """The reply is an error in the `/v1` envelope: an RFC 9457 problem nested under ``detail``."""
    assert reply.status == status, reply.body
    problem = reply.body["detail"]
    assert set(problem) == {"type", "title", "status", "detail", "instance"}
    assert problem["status"] == status and problem["detail"]


def first_offer(**query: Any) -> dict[str, Any]:
    reply = call("pool_offers_list", "GET", "/v1/offers", query=query)
    assert reply.status == 200, reply.body
    return reply.body["offers"][0]


def import_offer(tenant: str = "tenant-a", amount: int = 1, hostname: str | None = None) -> list[str]:
    offer = first_offer(gpu_vendor="NVIDIA")
    reply = call(
        "pool_node_import_offer",
        "POST",
        "/v1/node/import/offer/{offer_id}",
        {"offer_id": offer["id"]},
        query={"amount": amount, "hostname": hostname},
        tenant=tenant,
        raw_body=None,
    )
    assert reply.status == 201, reply.body
    return reply.body["node_ids"]


def add_key(tenant: str = "tenant-a", name: str = "k1", key: bytes = KEY_PEM) -> str:
    reply = call(
        "pool_ssh_key_add",
        "POST",
        "/v1/management/ssh-keys",
        tenant=tenant,
        body={"name": name, "private_key_b64": base64.b64encode(key).decode()},
    )
    assert reply.status == 201, reply.body
    return reply.body["ssh_key_id"]


def ssh_node(
    tenant: str = "tenant-a",
    hostname: str = "box",
    *,
    endpoint: str = "h:22",
    username: str = "u",
    key: bytes = KEY_PEM,
) -> str:
    """A self-managed node imported over SSH (PENDING, its discovery job queued), with its own SSH key."""
    key_id = add_key(tenant, name=f"k-{hostname}", key=key)
    reply = call(
        "pool_node_import_ssh",
        "POST",
        "/v1/node/import/ssh",
        tenant=tenant,
        body={"hostname": hostname, "endpoint": endpoint, "username": username, "ssh_key_id": key_id},
    )
    assert reply.status == 201, reply.body
    return reply.body["node_ids"][0]


def describe_node(node_id: str, tenant: str = "tenant-a") -> dict[str, Any]:
    reply = call("pool_node_describe", "GET", "/v1/node/{node_id}", {"node_id": node_id}, tenant=tenant)
    assert reply.status == 200, reply.body
    return reply.body
