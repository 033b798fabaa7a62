"""Which stack a lock request gets: one of the caller's stacks with room (step 1), or the offer to buy from (step 2).

Only nodes with a valid key at the current key rotation are chosen, so the answer's key can encrypt the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nodeplane import store
from nodeplane.chain.contract import CONFIDENTIAL
from nodeplane.network import items
from nodeplane.network.locks.plan import Grant, NewLock, now_ms, plan, valid_key
from nodeplane.network.locks.reserve import reserve
from nodeplane.settings import settings
from nodeplane.store.dynamo import deserialize, serialize

MODEL_TASKS_LIMIT = 20
USER_STACKS_LIMIT = 25
SUBSCRIPTIONS_LIMIT = 10


def current_rotation() -> int | None:
    item = store.get(items.KEYROT, "CURRENT", consistent=False)
    return int(item["key_rotation_counter"]) if item else None


def confidential_tasks(model: str) -> list[int]:
    rows, _ = store.query("pk", items.model_pk(model), sk_prefix=items.MODEL_TASK_PREFIX, limit=MODEL_TASKS_LIMIT)
    return [
        int(r["task_small_id"]) for r in rows if r.get("security_level") == CONFIDENTIAL and not r.get("is_deprecated")
    ]


def get_nodes(node_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The few candidate nodes in one BatchGetItem (the store has no batch read yet)."""
    ids = sorted(set(node_ids))
    found: dict[int, dict[str, Any]] = {}
    table = settings().table_name
    client = store.dynamodb()
    for start in range(0, len(ids), 100):
        request: dict[str, Any] = {
            table: {"Keys": [serialize({"pk": items.node_pk(i), "sk": "NODE"}) for i in ids[start : start + 100]]}
        }
        for _ in range(5):  # unprocessed keys come back under throttling only
            response = client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(table, []):
                item = deserialize(raw)
                found[int(item["node_small_id"])] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
    return found


def user_stacks(user: str, task_small_id: int) -> list[dict[str, Any]]:
    rows, _ = store.query(
        "gsi1pk", items.user_stacks_pk(user, task_small_id), sk_name="gsi1sk", index="gsi1", limit=USER_STACKS_LIMIT
    )
    return rows


def reuse(user: str, tasks: list[int], rotation: int, new: NewLock, tried: set[int]) -> Grant | None:
    """Step 1: the caller's cheapest stack with room, on a node whose key is valid now."""
    candidates = [s for task in tasks for s in user_stacks(user, task)]
    at = now_ms()
    candidates = [s for s in candidates if plan(s, new.units, at).ok]
    if not candidates:
        return None
    candidates.sort(key=lambda s: (int(s["price_per_one_million_compute_units"]), int(s["stack_small_id"])))
    nodes = get_nodes(int(s["selected_node_id"]) for s in candidates)
    for stack in candidates:
        node_id = int(stack["selected_node_id"])
        key = valid_key(nodes.get(node_id), rotation)
        if key is None:
            continue
        tried.add(int(stack["stack_small_id"]))
        if reserve(stack, new, user):
            return Grant(node_id, key, int(stack["stack_small_id"]), None, new.lock_id, new.units, new.expires_at)
    return None


def reuse_one(user: str, stack_small_id: int, rotation: int, new: NewLock) -> Grant | None:
    stack = store.get(items.stack_pk(stack_small_id), "STACK")
    if not stack or not plan(stack, new.units, now_ms()).ok:
        return None
    node_id = int(stack["selected_node_id"])
    key = valid_key(store.get(items.node_pk(node_id), "NODE", consistent=False), rotation)
    if key and reserve(stack, new, user):
        return Grant(node_id, key, stack_small_id, None, new.lock_id, new.units, new.expires_at)
    return None


def cheapest_offer(tasks: list[int], rotation: int) -> tuple[int, int] | None:
    """(task, price) of the cheapest subscription on a node with a valid key at the current rotation."""
    offers: list[dict[str, Any]] = []
    for task in tasks:
        rows, _ = store.query(
            "gsi1pk", items.subs_index_pk(task), sk_name="gsi1sk", index="gsi1", limit=SUBSCRIPTIONS_LIMIT
        )
        offers += [r for r in rows if r.get("valid", True) and not r.get("deprecated")]
    if not offers:
        return None
    offers.sort(key=lambda r: (int(r["price_per_one_million_compute_units"]), int(r["node_small_id"])))
    nodes = get_nodes(int(r["node_small_id"]) for r in offers)
    for offer in offers:
        if valid_key(nodes.get(int(offer["node_small_id"])), rotation):
            return int(offer["task_small_id"]), int(offer["price_per_one_million_compute_units"])
    return None
