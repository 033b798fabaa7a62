"""What the market's chain events (nodes, subscriptions, tasks, key rotations, stacks) do to the items nodeplane
keeps of them, and how to read events in Sui's JSON shape. The handlers are registered in network/chain_events.py,
which applies each event once.

Each handler returns the operations to write with the event's marker in one transaction, and a fallback written
instead when those fail because the effect is already there (None: nothing can already be there).
"""

from __future__ import annotations

import base64
from typing import Any

from nodeplane import clock, store
from nodeplane.chain.contract import COMPUTE_UNITS_PER_STACK, CONFIDENTIAL
from nodeplane.network import items


def small(value: Any) -> int:
    """Small ids and u64s arrive as {"inner": "12"}, "12" or 12."""
    if isinstance(value, dict):
        value = value.get("inner", value.get("id"))
    return int(value)


def _bytes_b64(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return base64.b64encode(bytes(value)).decode()


def event_name(event: dict[str, Any]) -> str:
    return str(event["type"]).rsplit("::", 1)[-1].split("<", 1)[0]


def node_registered(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], None]:
    node = small(data["node_small_id"])
    sender = str(event["sender"]).lower()
    item = {
        "pk": items.node_pk(node),
        "sk": "NODE",
        "entity": "network_node",
        "node_small_id": node,
        "badge_id": data["badge_id"],
        "sui_address": sender,
        "registered_at": clock.iso(),
        "gsi2pk": items.operator_nodes_pk(sender),
        "gsi2sk": items.small_id_sk(node),
    }
    return [store.put(item, condition="attribute_not_exists(pk)")], None


def _sub_ops(data: dict[str, Any]) -> list[store.Op]:
    node, task = small(data["node_small_id"]), small(data["task_small_id"])
    price = small(data["price_per_one_million_compute_units"])
    values = {
        ":price": price,
        ":max": small(data.get("max_num_compute_units", COMPUTE_UNITS_PER_STACK)),
        ":valid": True,
        ":task": task,
        ":node": node,
        ":gpk": items.subs_index_pk(task),
        ":gsk": items.price_key(price, node),
        ":e": "subscription",
    }
    return [
        store.update(
            items.node_pk(node),
            items.sub_sk(task),
            "SET entity = :e, task_small_id = :task, node_small_id = :node, "
            "price_per_one_million_compute_units = :price, max_num_compute_units = :max, valid = :valid, "
            "gsi1pk = :gpk, gsi1sk = :gsk",
            values=values,
        )
    ]


def subscribed(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], None]:
    return _sub_ops(data), None


def subscription_updated(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], None]:
    return _sub_ops(data), None


def unsubscribed(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], None]:
    return [store.delete(items.node_pk(small(data["node_small_id"])), items.sub_sk(small(data["task_small_id"])))], None


def task_registered(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], None]:
    task = small(data["task_small_id"])
    model = data.get("model_name")
    level = small(data.get("security_level", 0))
    item = {
        "pk": items.task_pk(task),
        "sk": "TASK",
        "entity": "task",
        "task_small_id": task,
        "task_id": data.get("task_id"),
        "role": small(data.get("role", 0)),
        "model_name": model,
        "security_level": level,
        "is_deprecated": False,
        "minimum_reputation_score": (
            small(data["minimum_reputation_score"]) if data.get("minimum_reputation_score") is not None else None
        ),
        "gsi1pk": items.TASKS,
        "gsi1sk": items.small_id_sk(task),
    }
    ops = [store.put({k: v for k, v in item.items() if v is not None})]
    if model:
        ops.append(
            store.put(
                {
                    "pk": items.model_pk(model),
                    "sk": items.model_task_sk(task),
                    "task_small_id": task,
                    "security_level": level,
                    "is_deprecated": False,
                }
            )
        )
    return ops, None


def task_deprecated(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], None]:
    task = small(data["task_small_id"])
    # take the task's subscriptions off the market first (idempotent), then mark the task
    cursor: str | None = None
    while True:
        subs, cursor = store.query(
            "gsi1pk", items.subs_index_pk(task), sk_name="gsi1sk", index="gsi1", limit=50, cursor=cursor
        )
        if subs:
            store.transact(
                [
                    store.update(s["pk"], s["sk"], "REMOVE gsi1pk, gsi1sk SET deprecated = :t", values={":t": True})
                    for s in subs
                ]
            )
        if not cursor:
            break
    item = store.get(items.task_pk(task), "TASK") or {}
    ops = [
        store.update(
            items.task_pk(task),
            "TASK",
            "SET is_deprecated = :t, deprecated_at_epoch = :e",
            values={":t": True, ":e": small(data.get("epoch", 0))},
        )
    ]
    if item.get("model_name"):
        ops.append(
            store.update(
                items.model_pk(item["model_name"]),
                items.model_task_sk(task),
                "SET is_deprecated = :t",
                values={":t": True},
            )
        )
    return ops, None


def key_rotation(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], list[store.Op]]:
    counter = small(data["key_rotation_counter"])
    return [
        store.put(
            {
                "pk": items.KEYROT,
                "sk": "CURRENT",
                "key_rotation_counter": counter,
                "epoch": small(data.get("epoch", 0)),
            },
            condition="attribute_not_exists(pk) OR key_rotation_counter < :c",
            values={":c": counter},
            label="rotation",
        )
    ], []


def public_key_committed(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], list[store.Op]]:
    node = small(data["node_id"])
    counter = small(data["key_rotation_counter"])
    return [
        store.update(
            items.node_pk(node),
            "NODE",
            "SET public_key = :pk, key_rotation_counter = :c, key_epoch = :e, device_type = :d, key_valid = :v",
            condition="attribute_exists(pk) AND "
            "(attribute_not_exists(key_rotation_counter) OR key_rotation_counter <= :c)",
            values={
                ":pk": _bytes_b64(data["new_public_key"]),
                ":c": counter,
                ":e": small(data.get("epoch", 0)),
                ":d": small(data.get("device_type", 0)),
                ":v": True,
            },
        )
    ], []


def stack_item(data: dict[str, Any], *, task: dict[str, Any] | None, user: str | None) -> dict[str, Any]:
    """A stack row from a StackCreatedEvent's fields (also used by the purchase path)."""
    stack = small(data["stack_small_id"])
    node = small(data["selected_node_id"])
    units = small(data["num_compute_units"])
    price = small(data["price_per_one_million_compute_units"])
    task_id = small(data["task_small_id"])
    item: dict[str, Any] = {
        "pk": items.stack_pk(stack),
        "sk": "STACK",
        "entity": "stack",
        "stack_small_id": stack,
        "stack_id": data.get("stack_id"),
        "owner": data.get("owner"),
        "task_small_id": task_id,
        "selected_node_id": node,
        "num_compute_units": units,
        "price_per_one_million_compute_units": price,
        "already_computed_units": 0,
        "locked_compute_units": 0,
        "available_units": units,
        "is_confidential": bool(task and task.get("security_level") == CONFIDENTIAL),
        "is_claimed": False,
        "in_settle_period": False,
        "created_at": clock.iso(),
        "gsi2pk": items.node_stacks_pk(node),
        "gsi2sk": items.small_id_sk(stack),
    }
    if user:
        item["user"] = user
        item["gsi1pk"] = items.user_stacks_pk(user, task_id)
        item["gsi1sk"] = items.price_key(price, stack)
    return item


def stack_created(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], list[store.Op]]:
    task = store.get(items.task_pk(small(data["task_small_id"])), "TASK")
    item = stack_item(data, task=task, user=None)
    return [store.put(item, condition="attribute_not_exists(pk)", label="stack")], []
