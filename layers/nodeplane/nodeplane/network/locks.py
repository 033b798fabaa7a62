"""Confidential-compute node locks (`POST /proxy/v1/nodes/lock`) that never overcommit a stack.

A lock reserves ``max_num_tokens`` compute units of a stack for ``timeout`` seconds and answers with the
public key of the node that serves the stack. Selection, as the Atoma proxy does it (reference §2.2):

1. reuse one of the caller's stacks of a confidential task of the model: cheapest *stack* price first
   (gsi1 ``USTACK#<user>#<task>``), node key valid at the current rotation, not claimed or locked, capacity;
2. otherwise buy a stack: cheapest *subscription* price first (gsi1 ``SUBS#<task>``) among nodes with a
   valid current key, capped at that price. The contract draws the node among subscribers at or below the
   cap, so the answer names the node the StackCreatedEvent selected, not necessarily the cheapest.

Layout added to the stack item (``STACK#<stack>`` / ``STACK``, see items.py) and next to it:

| what           | where                                    | attributes                                        |
|----------------|------------------------------------------|---------------------------------------------------|
| lock           | stack item, map ``locks.<lock id>``      | ``{units, expires_at}`` (epoch ms), lock_version  |
| expiry index   | stack item, gsi3 ``LOCKEXP#<stack % 4>`` | gsi3sk ``<ms:015>#<stack:012>`` <= every expiry   |
| purchase guard | ``PURCHASE#<user>#<task>`` / ``GUARD``   | holder, lease_until, last_stack_small_id, ttl     |

``lock_version`` grows with every change of the lock map; gsi3sk is never later than the earliest expiry of
the stack's locks, so the sweeper sees every stack in time (visiting one early is harmless).

Locks live on the stack item so reserving is ONE conditional UpdateItem on one item: DynamoDB serialises
concurrent reservations of a stack instead of cancelling transactions that touch it, and
``available_units >= n`` (available = total - already computed - locked) is checked by DynamoDB itself.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nodeplane import clock, store
from nodeplane.errors import DomainError, Unavailable, Unprocessable
from nodeplane.network import balances, chainops, items, projection
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed, deserialize, serialize

logger = logging.getLogger("nodeplane.locks")

DEFAULT_MAX_NUM_TOKENS = 8192  # MAX_NUM_TOKENS_FOR_CONFIDENTIAL_COMPUTE of the proxy
MAX_NUM_TOKENS = 1_000_000  # a stack holds 1,000,000 units: a bigger lock could never be served
# 60 s by default (the proxy's 5 s expires before a slow client has even encrypted its request) and at most
# an hour: long enough for any single confidential request, short enough that abandoned locks return soon.
DEFAULT_TIMEOUT_SECONDS = 60
MAX_TIMEOUT_SECONDS = 3600
STACK_SIZE = 1_000_000  # compute units bought per stack (STACK_SIZE_TO_BUY of the proxy)
# Live locks per stack; bounds the stack item's size (and so the write cost of every reservation).
MAX_LOCKS_PER_STACK = 128
MODEL_TASKS_LIMIT = 20
USER_STACKS_LIMIT = 25
SUBSCRIPTIONS_LIMIT = 10
MAX_DROPS_PER_UPDATE = 40  # keeps one update expression far below DynamoDB's 4 KB limit
RESERVE_ATTEMPTS = 6  # each failed attempt means another reservation won: bounded, rarely reached
# Longer than a Lambda's 15 s timeout: a purchaser that dies mid-purchase frees the guard by expiry.
GUARD_LEASE_SECONDS = 30
# How long a request waits for another request's purchase before answering 429 (about 2.5 s in all).
GUARD_WAITS = (0.15, 0.3, 0.6, 1.2)
CONFIDENTIAL = projection.CONFIDENTIAL

# Replaced by tests so waiting for a purchase in flight costs no wall-clock time.
sleep: Callable[[float], None] = time.sleep


class PurchaseInFlight(DomainError):
    """Another request of the same user is buying a stack for this task; retrying shortly will reuse it."""

    status, title, code = 429, "Too Many Requests", "TOO_MANY_REQUESTS"


@dataclass(frozen=True)
class Grant:
    """A reservation: what the lock endpoint answers, plus the lock's identity for release."""

    node_small_id: int
    public_key: str
    stack_small_id: int
    stack_entry_digest: str | None
    lock_id: str
    units: int
    expires_at: int  # epoch milliseconds


@dataclass(frozen=True)
class NewLock:
    lock_id: str
    units: int
    expires_at: int  # epoch milliseconds


@dataclass
class Plan:
    """How to reserve ``units`` on a stack as last read: which expired locks to drop first, if any."""

    ok: bool
    drop: dict[str, int] = field(default_factory=dict)

    @property
    def freed(self) -> int:
        return sum(self.drop.values())


def now_ms() -> int:
    return int(clock.now() * 1000)


def bounded(value: int | None, default: int, low: int, high: int, name: str) -> int:
    """Defaults for nulls; out-of-range values are the caller's mistake (422), never clamped silently."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Unprocessable(f"{name} must be an integer from {low} to {high}")
    return value


def usable(stack: dict[str, Any]) -> bool:
    """A stack that may take new locks at all (claimed or locked stacks never come back)."""
    return not (stack.get("is_claimed") or stack.get("is_locked") or stack.get("is_locked_for_claim"))


def plan(stack: dict[str, Any], units: int, at_ms: int) -> Plan:
    """Decide from one read of the stack whether ``units`` fit, releasing expired locks only when needed."""
    if not usable(stack):
        return Plan(False)
    locks: dict[str, Any] = stack.get("locks") or {}
    available = int(stack.get("available_units", 0))
    if available >= units and len(locks) < MAX_LOCKS_PER_STACK:
        return Plan(True)
    expired = sorted(
        ((lid, int(lock["units"]), int(lock["expires_at"])) for lid, lock in locks.items()),
        key=lambda t: t[2],
    )
    drop = {lid: n for lid, n, exp in expired if exp <= at_ms}
    drop = dict(list(drop.items())[:MAX_DROPS_PER_UPDATE])
    ok = available + sum(drop.values()) >= units and len(locks) - len(drop) < MAX_LOCKS_PER_STACK
    return Plan(ok, drop if ok else {})


def valid_key(node: dict[str, Any] | None, rotation: int) -> str | None:
    """The node's base64 X25519 key if it is valid at the current rotation and really 32 bytes."""
    if not node or node.get("key_valid") is not True or node.get("key_rotation_counter") != rotation:
        return None
    key = node.get("public_key")
    if not isinstance(key, str):
        return None
    try:
        if len(base64.b64decode(key, validate=True)) != 32:
            return None
    except (binascii.Error, ValueError):
        return None
    return key


# --- reads -------------------------------------------------------------------------------------------


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


# --- writes ------------------------------------------------------------------------------------------


def _reserve_op(stack: dict[str, Any], lock: NewLock, user: str, step: Plan) -> store.Op:
    stack_id = int(stack["stack_small_id"])
    new_sk = items.lock_expiry_sk(lock.expires_at, stack_id)
    delta = lock.units - step.freed
    names = {"#locks": "locks", "#new": lock.lock_id, "#user": "user"}
    values: dict[str, Any] = {
        ":lock": {"units": lock.units, "expires_at": lock.expires_at},
        ":delta": delta,
        ":user": user,
        ":t": True,
        ":one": 1,
        ":zero": 0,
        ":cap": MAX_LOCKS_PER_STACK + len(step.drop),
        ":g3sk": new_sk,
    }
    sets = [
        "available_units = available_units - :delta",
        "locked_compute_units = locked_compute_units + :delta",
        "lock_version = if_not_exists(lock_version, :zero) + :one",
    ]
    conds = [
        "#user = :user",
        "available_units >= :delta",
        "NOT is_claimed = :t",
        "(attribute_not_exists(is_locked) OR NOT is_locked = :t)",
        "(attribute_not_exists(is_locked_for_claim) OR NOT is_locked_for_claim = :t)",
    ]
    if "locks" in stack:
        sets.append("#locks.#new = :lock")
        conds.append("size(#locks) < :cap")
    else:
        # a stack written without a lock map (e.g. by the projection) gets its first one here
        sets.append("#locks = :first")
        values[":first"] = {lock.lock_id: values[":lock"]}
        conds.append("attribute_not_exists(#locks)")
        del values[":lock"], values[":cap"]
        names.pop("#new")
    removes = []
    for i, lid in enumerate(step.drop):
        names[f"#d{i}"] = lid
        removes.append(f"#locks.#d{i}")
        conds.append(f"attribute_exists(#locks.#d{i})")
    # keep gsi3sk at or before the earliest expiry: lower it to this lock's expiry, or check it already is
    current_sk = stack.get("gsi3sk")
    if isinstance(current_sk, str) and current_sk <= new_sk:
        conds.append("gsi3sk <= :g3sk")
    else:
        sets += ["gsi3pk = :g3pk", "gsi3sk = :g3sk"]
        values[":g3pk"] = items.lock_expiry_pk(stack_id)
        conds.append("(attribute_not_exists(gsi3sk) OR gsi3sk >= :g3sk)")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return store.update(
        items.stack_pk(stack_id),
        "STACK",
        expression,
        condition=" AND ".join(conds),
        names=names,
        values=values,
        label="reserve",
    )


def reserve(stack: dict[str, Any], lock: NewLock, user: str) -> bool:
    """Reserve ``lock.units`` on a stack of ``user`` with one conditional update; False when it does not fit.

    ``stack`` may be stale (read from an index): a failed condition hands back the current item, and the
    plan is made again from it, a bounded number of times.
    """
    item: dict[str, Any] | None = stack
    for _ in range(RESERVE_ATTEMPTS):
        if item is None or item.get("user") != user:
            return False
        step = plan(item, lock.units, now_ms())
        if not step.ok:
            return False
        try:
            store.transact([_reserve_op(item, lock, user, step)])
        except TransactionFailed as exc:
            failure = exc.failed("reserve")
            stack_pk = items.stack_pk(int(item["stack_small_id"]))
            item = failure.old if failure and failure.old else store.get(stack_pk, "STACK")
            continue
        if step.drop:
            logger.info("released %d expired locks of stack %s at read time", len(step.drop), item["stack_small_id"])
        return True
    return False


def release(stack_small_id: int, lock_id: str) -> int:
    """Give back exactly the units of one lock, once; returns them (0 when it was already released)."""
    stack = store.get(items.stack_pk(stack_small_id), "STACK")
    lock = ((stack or {}).get("locks") or {}).get(lock_id)
    if not lock:
        return 0
    units = int(lock["units"])
    try:
        store.transact(
            [
                store.update(
                    items.stack_pk(stack_small_id),
                    "STACK",
                    "REMOVE #locks.#id SET available_units = available_units + :n, "
                    "locked_compute_units = locked_compute_units - :n, "
                    "lock_version = if_not_exists(lock_version, :zero) + :one",
                    condition="#locks.#id.units = :n",
                    names={"#locks": "locks", "#id": lock_id},
                    values={":n": units, ":one": 1, ":zero": 0},
                )
            ]
        )
    except TransactionFailed:
        return 0  # released by someone else in between
    return units


def release_expired(stack_small_id: int, at_ms: int | None = None) -> int:
    """Release every expired lock of one stack and move its expiry-index entry; returns the units freed."""
    at_ms = now_ms() if at_ms is None else at_ms
    freed_total = 0
    for _ in range(RESERVE_ATTEMPTS):
        stack = store.get(items.stack_pk(stack_small_id), "STACK")
        if not stack:
            return freed_total
        locks: dict[str, Any] = stack.get("locks") or {}
        if not locks and "gsi3pk" not in stack:
            return freed_total
        expired = {lid: int(lk["units"]) for lid, lk in locks.items() if int(lk["expires_at"]) <= at_ms}
        expired = dict(list(expired.items())[:MAX_DROPS_PER_UPDATE])
        remaining = [int(lk["expires_at"]) for lid, lk in locks.items() if lid not in expired]
        version = stack.get("lock_version", 0)
        names: dict[str, str] = {"#v": "lock_version"}
        values: dict[str, Any] = {":zero": 0, ":one": 1}
        removes = []
        for i, lid in enumerate(expired):
            names[f"#l{i}"] = lid
            removes.append(f"#locks.#l{i}")
        if expired:
            names["#locks"] = "locks"
        freed = sum(expired.values())
        sets = ["#v = if_not_exists(#v, :zero) + :one"]
        if freed:
            sets += ["available_units = available_units + :f", "locked_compute_units = locked_compute_units - :f"]
            values[":f"] = freed
        if remaining:
            sets += ["gsi3pk = :g3pk", "gsi3sk = :g3sk"]
            values[":g3pk"] = items.lock_expiry_pk(stack_small_id)
            values[":g3sk"] = items.lock_expiry_sk(min(remaining), stack_small_id)
            if stack.get("gsi3sk") == values[":g3sk"] and not expired:
                return freed_total
        else:
            removes += ["gsi3pk", "gsi3sk"]
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        # conditional on the lock map not having changed since the read, so the index entry stays correct
        condition = "attribute_not_exists(#v)"
        if "lock_version" in stack:
            condition = "#v = :v"
            values[":v"] = version
        try:
            store.transact(
                [
                    store.update(
                        items.stack_pk(stack_small_id),
                        "STACK",
                        expression,
                        condition=condition,
                        names=names,
                        values=values,
                    )
                ]
            )
        except TransactionFailed:
            continue
        freed_total += freed
        if len(expired) < MAX_DROPS_PER_UPDATE:
            return freed_total
    return freed_total


def sweep(*, page_size: int = 100, max_pages: int = 10) -> dict[str, int]:
    """Release expired locks of every stack whose earliest expiry has passed (the scheduled sweeper)."""
    at_ms = now_ms()
    stacks = released = 0
    for shard in range(items.LOCK_EXPIRY_SHARDS):
        cursor: str | None = None
        for _ in range(max_pages):
            rows, cursor = store.query(
                "gsi3pk",
                items.lock_expiry_shard_pk(shard),
                sk_name="gsi3sk",
                sk_between=("0", items.lock_expiry_until(at_ms)),
                index="gsi3",
                limit=page_size,
                cursor=cursor,
            )
            for row in rows:
                stacks += 1
                released += release_expired(int(row["stack_small_id"]), at_ms)
            if not cursor:
                break
    return {"stacks": stacks, "released_units": released}


# --- the lock ----------------------------------------------------------------------------------------


def lock(user: str, model: str, max_num_tokens: int | None = None, timeout: int | None = None) -> Grant:
    """Reserve compute units on a confidential stack for ``model`` (reusing or buying one)."""
    units = bounded(max_num_tokens, DEFAULT_MAX_NUM_TOKENS, 1, MAX_NUM_TOKENS, "max_num_tokens")
    seconds = bounded(timeout, DEFAULT_TIMEOUT_SECONDS, 1, MAX_TIMEOUT_SECONDS, "timeout")
    new = NewLock(uuid.uuid4().hex[:16], units, now_ms() + seconds * 1000)
    rotation = current_rotation()
    tasks = confidential_tasks(model)
    if rotation is None or not tasks:
        raise Unavailable(f"No node found for model {model} with confidential compute enabled")
    tried: set[int] = set()
    grant = _reuse(user, tasks, rotation, new, tried)
    return grant or _buy(user, model, tasks, rotation, new, tried)


def _reuse(user: str, tasks: list[int], rotation: int, new: NewLock, tried: set[int]) -> Grant | None:
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


def _reuse_one(user: str, stack_small_id: int, rotation: int, new: NewLock) -> Grant | None:
    stack = store.get(items.stack_pk(stack_small_id), "STACK")
    if not stack or not plan(stack, new.units, now_ms()).ok:
        return None
    node_id = int(stack["selected_node_id"])
    key = valid_key(store.get(items.node_pk(node_id), "NODE", consistent=False), rotation)
    if key and reserve(stack, new, user):
        return Grant(node_id, key, stack_small_id, None, new.lock_id, new.units, new.expires_at)
    return None


def _cheapest_offer(tasks: list[int], rotation: int) -> tuple[int, int] | None:
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


def _take_guard(user: str, task: int, holder: str) -> bool:
    now = clock.now()
    try:
        store.transact(
            [
                store.update(
                    items.purchase_guard_pk(user, task),
                    "GUARD",
                    "SET holder = :h, lease_until = :until, #ttl = :ttl, entity = :e",
                    condition="attribute_not_exists(pk) OR lease_until < :now",
                    names={"#ttl": "ttl"},
                    values={
                        ":h": holder,
                        ":until": now + GUARD_LEASE_SECONDS,
                        ":ttl": int(now) + 86400,
                        ":now": now,
                        ":e": "purchase_guard",
                    },
                )
            ]
        )
    except TransactionFailed:
        return False
    return True


def _free_guard(user: str, task: int, holder: str, stack_small_id: int | None) -> None:
    values: dict[str, Any] = {":h": holder, ":zero": 0}
    expression = "SET lease_until = :zero"
    if stack_small_id is not None:
        expression += ", last_stack_small_id = :s"
        values[":s"] = stack_small_id
    try:
        store.transact(
            [
                store.update(
                    items.purchase_guard_pk(user, task), "GUARD", expression, condition="holder = :h", values=values
                )
            ]
        )
    except TransactionFailed:
        logger.warning("purchase guard of %s/%s expired before the purchase finished", user, task)


def _buy(user: str, model: str, tasks: list[int], rotation: int, new: NewLock, tried: set[int]) -> Grant:
    """Step 2: buy a stack from the cheapest node, one purchase per (user, task) at a time."""
    offer = _cheapest_offer(tasks, rotation)
    if offer is None:
        raise Unavailable(f"No node found for model {model} with confidential compute enabled")
    task, price = offer
    holder = new.lock_id
    for wait in (0.0, *GUARD_WAITS):
        if wait:
            sleep(wait)
            grant = _reuse(user, [task], rotation, new, tried)
            if grant:
                return grant
        guard = store.get(items.purchase_guard_pk(user, task), "GUARD")
        last = guard.get("last_stack_small_id") if guard else None
        if last is not None and int(last) not in tried:
            # the index may not show a stack bought a moment ago yet; the guard names it, consistently
            tried.add(int(last))
            grant = _reuse_one(user, int(last), rotation, new)
            if grant:
                return grant
        if guard and float(guard.get("lease_until", 0)) >= clock.now():
            continue
        if _take_guard(user, task, holder):
            break
    else:
        raise PurchaseInFlight("another lock request of this user is buying a stack for this model; retry in a moment")
    stack_small_id: int | None = None
    try:
        grant, stack_small_id = _purchase(user, task, price, rotation, new)
        return grant
    finally:
        _free_guard(user, task, holder, stack_small_id)


def _purchase(user: str, task: int, price: int, rotation: int, new: NewLock) -> tuple[Grant, int]:
    cost = price * STACK_SIZE // 1_000_000
    balances.debit(user, cost)  # 402 before anything is spent on chain
    digest: str | None = None
    try:
        outcome = chainops.ops().buy_stack(task_small_id=task, num_compute_units=STACK_SIZE, price_cap=price)
        data = outcome.event("StackCreatedEvent") if outcome.ok else None
        digest, error = outcome.digest, outcome.error
    except Exception as exc:  # the chain client failing in any way must not keep the user's money
        logger.exception("stack purchase raised")
        data, error = None, str(exc) or type(exc).__name__
    if data is None:
        balances.refund(user, cost)
        logger.warning("stack purchase for task %s failed: %s", task, error)
        raise Unavailable("Failed to acquire a new stack on chain; your balance was refunded, retry later")
    stack_small_id = projection.small(data["stack_small_id"])
    node_id = projection.small(data["selected_node_id"])
    key = valid_key(store.get(items.node_pk(node_id), "NODE"), rotation)
    item = projection.stack_item(data, task={"security_level": CONFIDENTIAL}, user=user)
    item["purchase_digest"] = digest
    if key:
        # the row and the reservation are one write: the stack never exists unreserved-then-raced
        item["available_units"] = int(item["available_units"]) - new.units
        item["locked_compute_units"] = new.units
        item["locks"] = {new.lock_id: {"units": new.units, "expires_at": new.expires_at}}
        item["lock_version"] = 1
        item["gsi3pk"] = items.lock_expiry_pk(stack_small_id)
        item["gsi3sk"] = items.lock_expiry_sk(new.expires_at, stack_small_id)
    else:
        item["locks"] = {}
    try:
        store.transact([store.put(item, condition="attribute_not_exists(pk)", label="stack")])
    except TransactionFailed:
        _adopt(stack_small_id, item, user)
        if key and not reserve(store.get(items.stack_pk(stack_small_id), "STACK") or {}, new, user):
            key = None
    if not key:
        raise Unavailable(
            f"The network assigned the new stack {stack_small_id} to node {node_id}, which has no valid public key "
            f"at key rotation {rotation}; nothing was locked and the stack stays yours for later requests"
        )
    return Grant(node_id, key, stack_small_id, digest, new.lock_id, new.units, new.expires_at), stack_small_id


def _adopt(stack_small_id: int, item: dict[str, Any], user: str) -> None:
    """The projection wrote the stack first (from the chain event): make it the buyer's."""
    try:
        store.transact(
            [
                store.update(
                    items.stack_pk(stack_small_id),
                    "STACK",
                    "SET #user = :u, gsi1pk = :g1, gsi1sk = :g1s, purchase_digest = :d",
                    condition="attribute_not_exists(#user) OR #user = :u",
                    names={"#user": "user"},
                    values={":u": user, ":g1": item["gsi1pk"], ":g1s": item["gsi1sk"], ":d": item["purchase_digest"]},
                )
            ]
        )
    except TransactionFailed:
        logger.error("stack %s bought for %s is owned by someone else", stack_small_id, user)
