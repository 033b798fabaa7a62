"""Administrative writes that are not transactions: genesis, the faucet (local wallets need gas and USDC) and
advancing the epoch."""

from __future__ import annotations

import contextlib
from typing import Any

from nodeplane.chain.contract import SUI_COIN_TYPE, coin_type
from nodeplane.chain.ledger.store import (
    HEAD,
    SHARED,
    Conflict,
    View,
    commit,
    create_object,
    object_key,
    owner_key,
    save_object,
)
from nodeplane.chain.signatures import blake2b256

INFO_KEYS = ("package", "db_id", "db_initial_shared_version", "admin_badge", "usdc_type", "epoch")


def genesis(ddb: Any, table: str, admin: str) -> None:
    """Create the package id, the AtomaDb shared object and the admin's AtomaManagerBadge (idempotent)."""
    view = View(ddb, table)
    if view.get(*HEAD) is not None:
        return
    seed = blake2b256(b"nodeplane-local-ledger" + bytes.fromhex(admin[2:]))
    package = "0x" + blake2b256(seed + b"package").hex()
    head: dict[str, Any] = {
        "package": package,
        "usdc_type": f"{package}::usdc::USDC",
        "db_id": "0x" + blake2b256(seed + b"db").hex(),
        "db_initial_shared_version": 1,
        "admin": admin,
        "epoch": 0,
        "counters": {"node": 0, "task": 0, "stack": 0, "event": 0, "object": 0},
        "key_rotation_counter": 0,
        "key_rotation_nonce": 0,
        "treasury": 0,
    }
    create_object(view, head, "AtomaDb", SHARED, {}, object_id=head["db_id"], version=1)
    head["admin_badge"] = create_object(view, head, "AtomaManagerBadge", admin, {})
    view.put(*HEAD, head)
    with contextlib.suppress(Conflict):  # someone else ran genesis concurrently
        commit(ddb, table, view, expected_version=None)


def mint(view: View, head: dict[str, Any], address: str, *, sui: int, usdc: int) -> list[str]:
    """New SUI and/or USDC coins owned by ``address``; returns their ids."""
    ids = []
    if sui:
        ids.append(create_object(view, head, SUI_COIN_TYPE, address, {"balance": sui}))
    if usdc:
        ids.append(create_object(view, head, coin_type(head["usdc_type"]), address, {"balance": usdc}))
    return ids


def grant_admin(view: View, head: dict[str, Any], address: str) -> str:
    """Make ``address`` the ledger's admin: it receives the AtomaManagerBadge (development networks only)."""
    badge = view.get(*object_key(head["admin_badge"]))
    assert badge is not None
    view.delete(*owner_key(badge["owner"], badge["object_id"]))
    badge["owner"] = address
    badge["version"] += 1
    save_object(view, badge)
    view.put(*owner_key(address, badge["object_id"]), {"type": badge["type"]})
    head["admin"] = address
    return str(badge["object_id"])
