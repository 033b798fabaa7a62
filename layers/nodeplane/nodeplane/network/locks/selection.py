"""Which stack a lock request gets: one of the caller's stacks with room (step 1), or the offer to buy from (step 2).

Only nodes with a valid key at the current key rotation are chosen, so the answer's key can encrypt the request.

A model's tasks and the current key rotation change a few times a day, so each container keeps them for
``CACHE_SECONDS``. A stale copy never picks an invalid key: the key rotation is read again, in the same
BatchGetItem as the candidate nodes, and each node's key is judged against that fresh value (a stale list of
tasks can at most offer a deprecated task's stack, which stays lockable, or miss a task created in the last
``CACHE_SECONDS``). A lock on one of the caller's stacks is therefore three calls: the caller's stacks of the
model's task (Query), the candidate nodes with the rotation (BatchGetItem), the reservation (UpdateItem).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from nodeplane import store
from nodeplane.chain.contract import COMPUTE_UNITS_PER_STACK, CONFIDENTIAL
from nodeplane.network import items
from nodeplane.network.locks.plan import Grant, NewLock, now_ms, plan, valid_key
from nodeplane.network.locks.reserve import reserve
from nodeplane.settings import settings
from nodeplane.store.dynamo import deserialize, serialize

MODEL_TASKS_LIMIT = 20
USER_STACKS_LIMIT = 25
SUBSCRIPTIONS_LIMIT = 10
STACK_UNITS = COMPUTE_UNITS_PER_STACK  # the size of the stacks a purchase buys


def accepts(subscription: dict[str, Any], units: int) -> bool:
    """Whether a subscription takes a stack of ``units``: the chain's limit, lowered by the operator's own
    (``max_num_compute_units`` of ``/daemon/task_subscribe``)."""
    limits = [subscription.get("max_num_compute_units"), subscription.get("operator_max_num_compute_units")]
    return all(int(limit) >= units for limit in limits if limit is not None)


CACHE_SECONDS = 30  # how long a container keeps a model's tasks and the current key rotation

_rotations: dict[str, tuple[float, int]] = {}  # table -> (when read, current key rotation)
_tasks: dict[tuple[str, str], tuple[float, list[int]]] = {}  # (table, model) -> (when read, confidential tasks)


def _fresh(read_at: float) -> bool:
    return time.monotonic() - read_at < CACHE_SECONDS


def current_rotation() -> int | None:
    """The current key rotation, as this container last read it (at most CACHE_SECONDS ago)."""
    hit = _rotations.get(settings().table_name)
    if hit and _fresh(hit[0]):
        return hit[1]
    item = store.get(items.KEYROT, "CURRENT", consistent=False)
    if not item:
        return None
    return _saw_rotation(int(item["key_rotation_counter"]))


def _saw_rotation(counter: int) -> int:
    table = settings().table_name
    hit = _rotations.get(table)
    counter = max(counter, hit[1]) if hit else counter  # rotations only ever grow
    _rotations[table] = (time.monotonic(), counter)
    return counter


def confidential_tasks(model: str) -> list[int]:
    """The model's confidential tasks that are not deprecated, as this container last read them (an empty answer
    is never kept: a task registered a moment ago is found on the next request)."""
    key = (settings().table_name, model)
    hit = _tasks.get(key)
    if hit and _fresh(hit[0]):
        return hit[1]
    rows, _ = store.query("pk", items.model_pk(model), sk_prefix=items.MODEL_TASK_PREFIX, limit=MODEL_TASKS_LIMIT)
    tasks = [
        int(r["task_small_id"]) for r in rows if r.get("security_level") == CONFIDENTIAL and not r.get("is_deprecated")
    ]
    if tasks:
        _tasks[key] = (time.monotonic(), tasks)
    return tasks


def get_nodes(node_ids: Iterable[int]) -> tuple[dict[int, dict[str, Any]], int | None]:
    """The few candidate nodes and the current key rotation, read together in one BatchGetItem (the store has no
    batch read yet): each node's key is judged against a rotation read no earlier than the node itself."""
    ids = sorted(set(node_ids))
    found: dict[int, dict[str, Any]] = {}
    rotation: int | None = None
    table = settings().table_name
    client = store.dynamodb()
    for start in range(0, len(ids), 99):
        keys = [serialize({"pk": items.node_pk(i), "sk": "NODE"}) for i in ids[start : start + 99]]
        keys.append(serialize({"pk": items.KEYROT, "sk": "CURRENT"}))
        request: dict[str, Any] = {table: {"Keys": keys}}
        for _ in range(5):  # unprocessed keys come back under throttling only
            response = client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(table, []):
                item = deserialize(raw)
                if item["pk"] == items.KEYROT:
                    rotation = _saw_rotation(int(item["key_rotation_counter"]))
                else:
                    found[int(item["node_small_id"])] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
    return found, rotation


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
    nodes, current = get_nodes(int(s["selected_node_id"]) for s in candidates)
    if current is None:
        return None
    for stack in candidates:
        node_id = int(stack["selected_node_id"])
        key = valid_key(nodes.get(node_id), current)
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


def cheapest_offer(tasks: list[int], rotation: int, units: int = STACK_UNITS) -> tuple[int, int] | None:
    """(task, price) of the cheapest subscription on a node with a valid key at the current rotation whose
    ``max_num_compute_units`` accepts a stack of ``units``."""
    offers: list[dict[str, Any]] = []
    for task in tasks:
        rows, _ = store.query(
            "gsi1pk", items.subs_index_pk(task), sk_name="gsi1sk", index="gsi1", limit=SUBSCRIPTIONS_LIMIT
        )
        offers += [r for r in rows if r.get("valid", True) and not r.get("deprecated") and accepts(r, units)]
    if not offers:
        return None
    offers.sort(key=lambda r: (int(r["price_per_one_million_compute_units"]), int(r["node_small_id"])))
    nodes, current = get_nodes(int(r["node_small_id"]) for r in offers)
    if current is None:
        return None
    for offer in offers:
        if valid_key(nodes.get(int(offer["node_small_id"])), current):
            return int(offer["task_small_id"]), int(offer["price_per_one_million_compute_units"])
    return None
