"""SSH keys: stored envelope-encrypted under the tenant, never returned by any API."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from nodeplane import clock, store
from nodeplane.errors import BadRequest, Conflict, NotFound
from nodeplane.pool import items
from nodeplane.security import envelope, kms
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

_PEM_MARKERS = (
    b"-----BEGIN OPENSSH PRIVATE KEY-----",
    b"-----BEGIN RSA PRIVATE KEY-----",
    b"-----BEGIN EC PRIVATE KEY-----",
    b"-----BEGIN PRIVATE KEY-----",
)


def _context(tenant: str, key_id: str) -> dict[str, str]:
    return {"tenant": tenant, "purpose": "ssh-key", "ssh_key_id": key_id}


def decode_private_key(private_key_b64: str) -> bytes:
    try:
        raw = base64.b64decode(private_key_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("private_key_b64 is not valid base64") from exc
    if not any(marker in raw for marker in _PEM_MARKERS):
        raise BadRequest("private_key_b64 does not hold a PEM/OpenSSH private key")
    return raw


def add(tenant: str, name: str, private_key_b64: str, scope: str) -> str:
    raw = decode_private_key(private_key_b64)
    key_id = str(uuid.uuid4())
    sealed = envelope.seal(kms(), settings().kms_key_id, raw, _context(tenant, key_id))
    item = {
        "pk": items.tenant_pk(tenant),
        "sk": items.sshkey_sk(key_id),
        "entity": "ssh_key",
        "id": key_id,
        "name": name,
        "scope": scope,
        "sealed": sealed,
        "created_at": clock.iso(),
    }
    name_claim = {"pk": items.tenant_pk(tenant), "sk": items.sshkey_name_claim_sk(name), "ssh_key_id": key_id}
    try:
        store.transact(
            [
                store.put(item, condition="attribute_not_exists(pk)"),
                store.put(name_claim, condition="attribute_not_exists(pk)", label="name"),
            ]
        )
    except TransactionFailed as exc:
        raise Conflict(f"an SSH key named {name!r} already exists") from exc
    return key_id


def list_keys(tenant: str, limit: int = 100, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    found, next_cursor = store.query(
        "pk", items.tenant_pk(tenant), sk_prefix=items.SSHKEY_PREFIX, limit=limit, cursor=cursor
    )
    return [{"id": i["id"], "name": i["name"], "scope": i["scope"]} for i in found], next_cursor


def require(tenant: str, key_id: str) -> dict[str, Any]:
    item = store.get(items.tenant_pk(tenant), items.sshkey_sk(key_id))
    if not item:
        raise BadRequest(f"ssh_key_id {key_id} does not name one of your SSH keys")
    return item


def private_key(tenant: str, key_id: str) -> bytes:
    """The decrypted key, for the discovery worker only."""
    item = store.get(items.tenant_pk(tenant), items.sshkey_sk(key_id))
    if not item:
        raise NotFound(f"SSH key {key_id} not found")
    return envelope.open_sealed(kms(), item["sealed"], _context(tenant, key_id))


def delete(tenant: str, key_id: str) -> None:
    item = store.get(items.tenant_pk(tenant), items.sshkey_sk(key_id))
    if not item:
        raise NotFound(f"SSH key {key_id} not found")
    try:
        store.transact(
            [
                store.delete(items.tenant_pk(tenant), items.sshkey_sk(key_id), condition="attribute_exists(pk)"),
                store.delete(items.tenant_pk(tenant), items.sshkey_name_claim_sk(item["name"])),
            ]
        )
    except TransactionFailed as exc:
        raise NotFound(f"SSH key {key_id} not found") from exc
