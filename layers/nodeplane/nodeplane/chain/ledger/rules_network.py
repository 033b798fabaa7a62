"""``atoma::db`` functions for nodes, tasks and subscriptions (the network's membership)."""

from __future__ import annotations

from typing import Any

from nodeplane.chain.contract import (
    COMPUTE_UNITS_PER_STACK,
    INITIAL_REPUTATION,
    MAX_DEVICE_TYPE,
    MAX_REPUTATION,
    MAX_TASK_ROLE,
    SecurityLevel,
)
from nodeplane.chain.ledger.context import Ctx, check, inner
from nodeplane.chain.transactions import ObjectRef, SharedObject


def register_node_entry(ctx: Ctx) -> None:
    ctx.head["counters"]["node"] += 1
    small_id = ctx.head["counters"]["node"]
    badge = ctx.create("NodeBadge", ctx.sender, {"node_small_id": small_id})
    node = {
        "node_small_id": small_id,
        "badge_id": badge,
        "sui_address": ctx.sender,
        "reputation": INITIAL_REPUTATION,
        "keys": {},
    }
    ctx.view.put(f"NODE#{small_id}", "NODE", node)
    ctx.emit("NodeRegisteredEvent", {"badge_id": badge, "node_small_id": inner(small_id)})


def rotate_node_public_key(
    ctx: Ctx, badge: ObjectRef, public_key: bytes, evidence: bytes, counter: int, device_type: int
) -> None:
    node = ctx.badge_node(badge)
    check(device_type <= MAX_DEVICE_TYPE, "EInvalidDeviceType")
    check(counter == ctx.head["key_rotation_counter"], "EInvalidKeyRotationCounter")
    previous = node["keys"].get(str(counter))
    # At the same counter a further device must commit to the same key.
    check(previous is None or previous["public_key"] == public_key.hex(), "EPublicKeyMismatch")
    devices = sorted({*(previous or {}).get("devices", []), device_type})
    node["keys"][str(counter)] = {"public_key": public_key.hex(), "devices": devices}
    ctx.view.put(f"NODE#{node['node_small_id']}", "NODE", node)
    ctx.emit(
        "NodePublicKeyCommittmentEvent",
        {
            "epoch": str(ctx.head["epoch"]),
            "key_rotation_counter": str(counter),
            "node_id": inner(node["node_small_id"]),
            "new_public_key": list(public_key),
            "device_type": device_type,
            "evidence_bytes": list(evidence),
        },
    )


def create_task_entry(
    ctx: Ctx,
    badge: ObjectRef,
    role: int,
    model_name: str | None,
    security_level: int | None,
    minimum_reputation_score: int | None,
    is_public: bool,
) -> None:
    ctx.require_admin(badge)
    check(role <= MAX_TASK_ROLE, "EInvalidTaskRole")
    level = SecurityLevel.NONE if security_level is None else security_level
    check(level in tuple(SecurityLevel), "EInvalidSecurityLevel")
    check(
        minimum_reputation_score is None or minimum_reputation_score <= MAX_REPUTATION,
        "EInvalidMinimumReputationScore",
    )
    ctx.head["counters"]["task"] += 1
    small_id = ctx.head["counters"]["task"]
    task_badge = ctx.create("TaskBadge", ctx.sender, {"task_small_id": small_id})
    task = {
        "task_small_id": small_id,
        "task_id": task_badge,
        "role": role,
        "model_name": model_name,
        "security_level": int(level),
        "minimum_reputation_score": minimum_reputation_score,
        "is_public": is_public,
        "whitelist": [],
        "deprecated_at_epoch": None,
    }
    ctx.view.put(f"TASK#{small_id}", "TASK", task)
    ctx.emit(
        "TaskRegisteredEvent",
        {
            "task_id": task_badge,
            "task_small_id": inner(small_id),
            "role": {"inner": role},
            "model_name": model_name,
            "security_level": {"inner": int(level)},
            "minimum_reputation_score": minimum_reputation_score,
        },
    )


def deprecate_task(ctx: Ctx, badge: ObjectRef) -> None:
    obj = ctx.obj(badge.object_id)
    check(obj["type"].endswith("::db::TaskBadge"), "ENotTaskOwner")
    task = ctx.task(obj["fields"]["task_small_id"])
    check(task["deprecated_at_epoch"] is None, "ETaskDeprecated")
    task["deprecated_at_epoch"] = ctx.head["epoch"]
    ctx.view.put(f"TASK#{task['task_small_id']}", "TASK", task)
    ctx.emit(
        "TaskDeprecationEvent",
        {"task_id": task["task_id"], "task_small_id": inner(task["task_small_id"]), "epoch": str(ctx.head["epoch"])},
    )


def new_network_key_rotation(ctx: Ctx, badge: ObjectRef, _random: SharedObject) -> None:
    ctx.require_admin(badge)
    ctx.head["key_rotation_counter"] += 1
    nonce = ctx.rng.getrandbits(64)
    ctx.head["key_rotation_nonce"] = nonce
    ctx.emit(
        "NewKeyRotationEvent",
        {
            "key_rotation_counter": str(ctx.head["key_rotation_counter"]),
            "epoch": str(ctx.head["epoch"]),
            "nonce": str(nonce),
        },
    )


def _subscription_key(task_small_id: int, node_small_id: int) -> tuple[str, str]:
    return f"TASK#{task_small_id}", f"SUB#{node_small_id:020d}"


def _subscription_event(node_id: int, task_id: int, price: int) -> dict[str, Any]:
    return {
        "task_small_id": inner(task_id),
        "node_small_id": inner(node_id),
        "price_per_one_million_compute_units": str(price),
        "max_num_compute_units": str(COMPUTE_UNITS_PER_STACK),
    }


def subscribe_node_to_task(ctx: Ctx, badge: ObjectRef, task_small_id: int, price: int) -> None:
    node = ctx.badge_node(badge)
    task = ctx.task(task_small_id)
    min_rep = task["minimum_reputation_score"]
    check(min_rep is None or node["reputation"] >= min_rep, "ENodeReputationTooLow")
    check(task["is_public"] or node["node_small_id"] in task["whitelist"], "ENodeNotWhitelisted")
    check(task["deprecated_at_epoch"] is None, "ETaskDeprecated")
    key = _subscription_key(task_small_id, node["node_small_id"])
    check(ctx.view.get(*key) is None, "EAlreadySubscribed")
    check(price > 0, "EInvalidPrice")
    ctx.view.put(*key, {"node_small_id": node["node_small_id"], "price": price, "max_units": COMPUTE_UNITS_PER_STACK})
    ctx.emit("NodeSubscribedToTaskEvent", _subscription_event(node["node_small_id"], task_small_id, price))


def update_node_subscription(ctx: Ctx, badge: ObjectRef, task_small_id: int, price: int) -> None:
    node = ctx.badge_node(badge)
    check(price > 0, "EInvalidPrice")
    task = ctx.task(task_small_id)
    key = _subscription_key(task_small_id, node["node_small_id"])
    sub = ctx.view.get(*key)
    check(sub is not None, "ENotSubscribed")
    check(task["deprecated_at_epoch"] is None, "ETaskDeprecated")
    assert sub is not None
    sub["price"] = price
    ctx.view.put(*key, sub)
    ctx.emit("NodeSubscriptionUpdatedEvent", _subscription_event(node["node_small_id"], task_small_id, price))


def unsubscribe_node_from_task(ctx: Ctx, badge: ObjectRef, task_small_id: int) -> None:
    node = ctx.badge_node(badge)
    task = ctx.task(task_small_id)
    key = _subscription_key(task_small_id, node["node_small_id"])
    check(ctx.view.get(*key) is not None, "ENotSubscribed")
    check(task["deprecated_at_epoch"] is None, "ETaskDeprecated")
    ctx.view.delete(*key)
    ctx.emit(
        "NodeUnsubscribedFromTaskEvent",
        {"task_small_id": inner(task_small_id), "node_small_id": inner(node["node_small_id"])},
    )
