"""Node agents: node access tokens (short-lived, rotating, good for one node) and self-registration
with one-time register tokens.

No token is stored in the clear: every lookup goes by the token's SHA-256, and the tenant's current register
token (which GET /management/self-register-token shows again) is kept envelope-encrypted beside its hash.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from nodeplane import clock, store
from nodeplane.errors import Conflict, Forbidden, NotFound, Unauthorized
from nodeplane.pool import items
from nodeplane.security import envelope, kms
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

NODE_TOKEN_PREFIX = "npn_"
REGISTER_TOKEN_PREFIX = "npr_"
REGISTER_TOKEN_TTL_SECONDS = 24 * 3600


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rotate_token_ops(tenant: str, node_id: str, previous_hash: str | None) -> tuple[dict[str, Any], list[store.Op]]:
    """A new node token: the reply fields and the writes that store it and retire the previous one."""
    token = NODE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    ttl = settings().node_token_ttl_seconds
    expires = int(clock.now() + ttl)
    digest = _hash(token)
    ops = [
        store.put(
            {
                "pk": items.node_token_pk(digest),
                "sk": items.NODE_TOKEN,
                "tenant": tenant,
                "node_id": node_id,
                "expires_at": expires,
                "ttl": expires + 3600,
            }
        )
    ]
    if previous_hash:
        ops.append(store.delete(items.node_token_pk(previous_hash), items.NODE_TOKEN))
    reply = {
        "next_access_token": token,
        "next_access_token_expires_in": ttl,
        "next_access_token_type": "Bearer",
    }
    return {"reply": reply, "hash": digest, "expires": expires}, ops


def node_of_token(token: str, node_id: str) -> str:
    """The tenant owning ``node_id`` if ``token`` is that node's current, unexpired access token."""
    item = store.get(items.node_token_pk(_hash(token)), items.NODE_TOKEN)
    if not item or float(item.get("expires_at", 0)) <= clock.now():
        raise Unauthorized("node access token is invalid or expired")
    if item["node_id"] != node_id:
        raise Forbidden("this node access token belongs to another node")
    return str(item["tenant"])


def _register_context(tenant: str) -> dict[str, str]:
    return {"tenant": tenant, "purpose": "register-token"}


def new_register_token(tenant: str) -> str:
    """A fresh one-time register token for the tenant; the previous unused one stops working."""
    current = store.get(items.tenant_pk(tenant), items.REGISTER_TOKEN)
    token = REGISTER_TOKEN_PREFIX + secrets.token_urlsafe(24)
    digest = _hash(token)
    expires = int(clock.now() + REGISTER_TOKEN_TTL_SECONDS)
    sealed = envelope.seal(kms(), settings().kms_key_id, token.encode(), _register_context(tenant))
    ops = [
        store.put(
            {
                "pk": items.tenant_pk(tenant),
                "sk": items.REGISTER_TOKEN,
                "token_hash": digest,
                "sealed": sealed,
                "expires_at": expires,
                "ttl": expires,
            }
        ),
        store.put(
            {
                "pk": items.register_token_pk(digest),
                "sk": items.REGISTER_TOKEN,
                "tenant": tenant,
                "expires_at": expires,
                "ttl": expires,
            }
        ),
    ]
    if current and current.get("token_hash"):
        ops.append(store.delete(items.register_token_pk(current["token_hash"]), items.REGISTER_TOKEN))
    store.transact(ops)
    return token


def current_register_token(tenant: str) -> str:
    item = store.get(items.tenant_pk(tenant), items.REGISTER_TOKEN)
    if not item or "sealed" not in item or float(item.get("expires_at", 0)) <= clock.now():
        raise NotFound("no register token; create one with POST /management/self-register-token")
    return envelope.open_sealed(kms(), item["sealed"], _register_context(tenant)).decode()


def consume_register_token_op(token: str) -> tuple[str, list[store.Op]]:
    """The tenant a register token belongs to, and the writes that use it up (in the caller's transaction)."""
    digest = _hash(token)
    item = store.get(items.register_token_pk(digest), items.REGISTER_TOKEN)
    if not item or float(item.get("expires_at", 0)) <= clock.now():
        raise Unauthorized("register token is invalid, expired or already used")
    tenant = str(item["tenant"])
    return tenant, [
        store.delete(
            items.register_token_pk(digest),
            items.REGISTER_TOKEN,
            condition="attribute_exists(pk)",
            label="register_token",
        ),
        store.delete(
            items.tenant_pk(tenant),
            items.REGISTER_TOKEN,
            condition="token_hash = :h",
            values={":h": digest},
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
