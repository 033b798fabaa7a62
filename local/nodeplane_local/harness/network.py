"""Builders for the inference network's tests and benches: chain events in Sui's JSON shape, the market as the
chain would report it (applied through nodeplane's own chain-event registry), stacks, operators, lock requests."""

from __future__ import annotations

import itertools
from typing import Any

from nodeplane import store
from nodeplane.network import chain_events, items, projection
from nodeplane_local.harness.lambda_events import Reply, http_event, invoke

PKG = "0x" + "ab" * 32
_tx = itertools.count(1)


def inner(n: int) -> dict[str, str]:
    """A small id as Sui's JSON shows it."""
    return {"inner": str(n)}


def chain_event(
    name: str,
    data: dict[str, Any],
    *,
    tx: str | None = None,
    seq: int = 0,
    sender: str = "0x" + "11" * 32,
    timestamp_ms: int = 1795000000000,
) -> dict[str, Any]:
    """One `atoma::db` event as the chain's event log returns it (a fresh digest unless ``tx`` names one)."""
    return {
        "id": {"txDigest": tx or f"Tx{next(_tx)}", "eventSeq": str(seq)},
        "packageId": PKG,
        "transactionModule": "db",
        "sender": sender,
        "type": f"{PKG}::db::{name}",
        "parsedJson": data,
        "timestampMs": str(timestamp_ms),
    }


# --- the market, as the chain reports it ---------------------------------------------------------------------------


def node_key(node: int) -> bytes:
    """The X25519 key node ``node`` commits (recognisable in answers)."""
    return bytes([node]) * 32


def add_task(task: int, model: str = "llama", level: int = 1) -> None:
    data = {
        "task_id": f"0xtask{task}",
        "task_small_id": inner(task),
        "role": inner(0),
        "model_name": model,
        "security_level": inner(level),
        "minimum_reputation_score": None,
    }
    chain_events.apply([chain_event("TaskRegisteredEvent", data)])


def add_node(node: int, *, task: int = 1, price: int = 100, counter: int | None = 1, sender: str | None = None) -> None:
    """A registered node subscribed to ``task``, with a key committed at rotation ``counter`` (None: no key),
    registered by ``sender`` (the node's operator address; a made-up one by default)."""
    registered = {"badge_id": f"0xbadge{node}", "node_small_id": inner(node)}
    chain_events.apply([chain_event("NodeRegisteredEvent", registered, sender=sender or f"0x{node:064x}")])
    subscribe(node, task, price)
    if counter is not None:
        commit_key(node, counter)


def commit_key(node: int, counter: int) -> None:
    data = {
        "epoch": "1",
        "key_rotation_counter": str(counter),
        "node_id": inner(node),
        "new_public_key": list(node_key(node)),
        "device_type": 300,
        "evidence_bytes": [],
    }
    chain_events.apply([chain_event("NodePublicKeyCommittmentEvent", data)])


def subscribe(node: int, task: int, price: int) -> None:
    data = {
        "task_small_id": inner(task),
        "node_small_id": inner(node),
        "price_per_one_million_compute_units": str(price),
        "max_num_compute_units": "1000000",
    }
    chain_events.apply([chain_event("NodeSubscribedToTaskEvent", data)])


def rotate(counter: int) -> None:
    data = {"key_rotation_counter": str(counter), "epoch": "1", "nonce": "7"}
    chain_events.apply([chain_event("NewKeyRotationEvent", data)])


def seed_market(prices: dict[int, int] | None = None, *, model: str = "llama", task: int = 1) -> None:
    """One confidential task of ``model``; nodes {id: price}, each with a valid key at rotation 1."""
    rotate(1)
    add_task(task, model)
    for node, price in (prices or {1: 300, 2: 100, 3: 200}).items():
        add_node(node, task=task, price=price)


def subscriber_at_cap(task: int, price_cap: int) -> int:
    """A deterministic stand-in for the contract's draw among subscribers at or below the cap: the one at the cap."""
    subs, _ = store.query("gsi1pk", items.subs_index_pk(task), sk_name="gsi1sk", index="gsi1")
    return next(int(s["node_small_id"]) for s in subs if s["price_per_one_million_compute_units"] == price_cap)


# --- stacks and operators ------------------------------------------------------------------------------------------


def user_stack(
    stack_small_id: int, *, units: int, node: int, price: int = 100, user: str = "tenant-a", task: int = 1
) -> dict[str, Any]:
    """The item of a confidential stack bought for ``user`` (not written)."""
    data = {
        "stack_small_id": stack_small_id,
        "selected_node_id": node,
        "num_compute_units": units,
        "price_per_one_million_compute_units": price,
        "task_small_id": task,
    }
    return projection.stack_item(data, task={"security_level": 1}, user=user)


def register_operator(tenant: str, address: str) -> None:
    """``tenant`` operates the nodes ``address`` registers (what importing its key records)."""
    store.transact([store.put({"pk": items.operator_pk(tenant), "sk": "SUI", "sui_address": address})])


def hold_operator_key(address: str) -> None:
    """nodeplane holds the key of ``address`` (a stand-in: only a fake chain ever signs with it)."""
    store.transact([store.put({"pk": items.operator_key_pk(address), "sk": "KEY"})])


def assert_units(item: dict[str, Any]) -> None:
    """The stack's accounting adds up: available = total - computed - locked = total - sum of its locks."""
    held = sum(int(lk["units"]) for lk in (item.get("locks") or {}).values())
    assert item["locked_compute_units"] == held
    assert item["available_units"] == item["num_compute_units"] - item["already_computed_units"] - held
    assert item["available_units"] >= 0


def post_lock(tenant: str = "tenant-a", **body: Any) -> Reply:
    """POST /proxy/v1/nodes/lock through its handler (model "llama" unless given)."""
    body.setdefault("model", "llama")
    return invoke("proxy_lock", http_event("POST", "/proxy/v1/nodes/lock", body=body, tenant=tenant))
