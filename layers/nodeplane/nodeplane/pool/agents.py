"""Node agents: node access tokens (short-lived, rotating, good for one node) and self-registration
with one-time register tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from nodeplane import clock, store
from nodeplane.errors import Conflict, Forbidden, NotFound, Unauthorized
from nodeplane.pool import keys
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

NODE_TOKEN_PREFIX = "npn_"
REGISTER_TOKEN_PREFIX = "npr_"
REGISTER_TOKEN_TTL_SECONDS = 24 * 3600


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_pk(digest: str) -> str:
    return f"NODETOKEN#{digest}"


def rotate_token_ops(tenant: str, node_id: str, previous_hash: str | None) -> tuple[dict[str, Any], list[store.Op]]:
    """A new node token: the reply fields and the writes that store it and retire the previous one."""
    token = NODE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    ttl = settings().node_token_ttl_seconds
    expires = int(clock.now() + ttl)
    digest = _hash(token)
    ops = [
        store.put(
            {
                "pk": _token_pk(digest),
                "sk": "TOKEN",
                "tenant": tenant,
                "node_id": node_id,
                "expires_at": expires,
                "ttl": expires + 3600,
            }
        )
    ]
    if previous_hash:
        ops.append(store.delete(_token_pk(previous_hash), "TOKEN"))
    reply = {
        "next_access_token": token,
        "next_access_token_expires_in": ttl,
        "next_access_token_type": "Bearer",
    }
    return {"reply": reply, "hash": digest, "expires": expires}, ops


def node_of_token(token: str, node_id: str) -> str:
    """The tenant owning ``node_id`` if ``token`` is that node's current, unexpired access token."""
    item = store.get(_token_pk(_hash(token)), "TOKEN")
    if not item or float(item.get("expires_at", 0)) <= clock.now():
        raise Unauthorized("node access token is invalid or expired")
    if item["node_id"] != node_id:
        raise Forbidden("this node access token belongs to another node")
    return str(item["tenant"])


def _register_pk(digest: str) -> str:
    return f"REGTOKEN#{digest}"


def new_register_token(tenant: str) -> str:
    """A fresh one-time register token for the tenant; the previous unused one stops working."""
    current = store.get(keys.tenant_pk(tenant), "REGTOKEN")
    token = REGISTER_TOKEN_PREFIX + secrets.token_urlsafe(24)
    expires = int(clock.now() + REGISTER_TOKEN_TTL_SECONDS)
    ops = [
        store.put(
            {
                "pk": keys.tenant_pk(tenant),
                "sk": "REGTOKEN",
                "register_token": token,
                "expires_at": expires,
                "ttl": expires,
            }
        ),
        store.put(
            {
                "pk": _register_pk(_hash(token)),
                "sk": "REGTOKEN",
                "tenant": tenant,
                "expires_at": expires,
                "ttl": expires,
            }
        ),
    ]
    if current:
        ops.append(store.delete(_register_pk(_hash(current["register_token"])), "REGTOKEN"))
    store.transact(ops)
    return token


def current_register_token(tenant: str) -> str:
    item = store.get(keys.tenant_pk(tenant), "REGTOKEN")
    if not item or float(item.get("expires_at", 0)) <= clock.now():
        raise NotFound("no register token; create one with POST /management/self-register-token")
    return str(item["register_token"])


def consume_register_token_op(token: str) -> tuple[str, list[store.Op]]:
    """The tenant a register token belongs to, and the writes that use it up (in the caller's transaction)."""
    digest = _hash(token)
    item = store.get(_register_pk(digest), "REGTOKEN")
    if not item or float(item.get("expires_at", 0)) <= clock.now():
        raise Unauthorized("register token is invalid, expired or already used")
    tenant = str(item["tenant"])
    return tenant, [
        store.delete(_register_pk(digest), "REGTOKEN", condition="attribute_exists(pk)", label="register_token"),
        store.delete(
            keys.tenant_pk(tenant),
            "REGTOKEN",
            condition="register_token = :t",
            values={":t": token},
            label="register_token_owner",
        ),
    ]


def raise_register_failure(exc: TransactionFailed) -> None:
    if exc.failed("register_token") or exc.failed("register_token_owner"):
        raise Unauthorized("register token was already used") from exc
    hosts = [f.label for f in exc.failures if f.label.startswith("host:")]
    if hosts:
        raise Conflict(f"a node with hostname {hosts[0].split(':', 1)[1]!r} already exists") from exc
    raise exc
