"""Buying a stack for a lock request (step 2): from the cheapest offer, paid from the user's balance through the
purchase saga (network/purchases/), one purchase per (user, task) at a time so concurrent requests reuse one new
stack instead of each buying their own.

The guard is taken in the transaction that debits and writes the intent, and given back in the one that adopts
the stack (or refunds): a purchase costs no more DynamoDB calls than when the guard was written on its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from nodeplane import clock, store
from nodeplane.chain.contract import COMPUTE_UNITS_PER_STACK, CONFIDENTIAL, stack_cost
from nodeplane.errors import DomainError, Unavailable
from nodeplane.network import items
from nodeplane.network.locks import selection
from nodeplane.network.locks.plan import Grant, LockFailed, NewLock, valid_key
from nodeplane.network.locks.reserve import reserve
from nodeplane.network.purchases import intents, saga
from nodeplane.network.purchases.intents import DONE, REFUNDED, Order
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

logger = logging.getLogger("nodeplane.locks")

STACK_SIZE = COMPUTE_UNITS_PER_STACK  # compute units bought per stack (STACK_SIZE_TO_BUY of the proxy)
# As long as the Lambda's 30 s timeout: a purchaser that dies mid-purchase frees the guard by expiry.
GUARD_LEASE_SECONDS = 30
# How long a request waits for another request's purchase before answering 429 (about 2.5 s in all).
GUARD_WAITS = (0.15, 0.3, 0.6, 1.2)
SWEEPER_PERIOD_SECONDS = 60  # PurchaseSweeperFunction's schedule (tests/unit/test_purchase_bounds.py)

# Replaced by tests so waiting for a purchase in flight costs no wall-clock time.
sleep: Callable[[float], None] = time.sleep


class PurchaseInFlight(DomainError):
    """Another request of the same user is buying a stack for this task; retrying shortly will reuse it."""

    status, title, code = 429, "Too Many Requests", "TOO_MANY_REQUESTS"


def _take_guard(user: str, task: int, holder: str) -> store.Op:
    now = clock.now()
    return store.update(
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
        label="guard",
    )


def _free_guard(user: str, task: int, holder: str, stack_small_id: int | None) -> store.Op:
    values: dict[str, Any] = {":h": holder, ":zero": 0}
    expression = "SET lease_until = :zero"
    if stack_small_id is not None:
        expression += ", last_stack_small_id = :s"
        values[":s"] = stack_small_id
    return store.update(
        items.purchase_guard_pk(user, task), "GUARD", expression, condition="holder = :h", values=values, label="guard"
    )


def buy(
    user: str, model: str, tasks: list[int], rotation: int, new: NewLock, tried: set[int], request_id: str
) -> Grant:
    """Step 2: buy a stack from the cheapest node, one purchase per (user, task) at a time."""
    offer = selection.cheapest_offer(tasks, rotation)
    if offer is None:
        raise Unavailable(f"No node found for model {model} with confidential compute enabled")
    rotation = selection.current_rotation() or rotation  # as cheapest_offer just read it with the nodes
    task, price = offer
    cost = stack_cost(price, STACK_SIZE, CONFIDENTIAL)
    order = Order(user, task, price, STACK_SIZE, cost, request_id, CONFIDENTIAL)
    holder = order.intent_id
    for wait in (0.0, *GUARD_WAITS):
        if wait:
            sleep(wait)
            grant = selection.reuse(user, [task], rotation, new, tried)
            if grant:
                return grant
        guard = store.get(items.purchase_guard_pk(user, task), "GUARD")
        last = guard.get("last_stack_small_id") if guard else None
        if last is not None and int(last) not in tried:
            # the index may not show a stack bought a moment ago yet; the guard names it, consistently
            tried.add(int(last))
            grant = selection.reuse_one(user, int(last), rotation, new)
            if grant:
                return grant
        if guard and float(guard.get("lease_until", 0)) >= clock.now():
            continue
        try:
            saga.begin(order, [_take_guard(user, task, holder)])  # the guard, the intent and the debit: one write
        except TransactionFailed:
            continue  # another request took the guard first
        except saga.IntentExists as exc:
            return _replayed(exc.intent, rotation)
        break
    else:
        raise PurchaseInFlight("another lock request of this user is buying a stack for this model; retry in a moment")

    def extra(stack_small_id: int | None) -> list[store.Op]:
        return [_free_guard(user, task, holder, stack_small_id)]

    result: saga.Result | None = None
    keys: dict[int, str | None] = {}
    try:
        result = saga.run(order, shape=_reserving(new, rotation, keys), extra=extra)
        return _granted(result, new, rotation, keys)
    finally:
        if result is None or not result.extras_applied:
            stack = int(result.stack["stack_small_id"]) if result and result.stack else None
            try:
                saga.transact(extra(stack))
            except TransactionFailed:
                logger.warning("purchase guard of %s/%s expired before the purchase finished", user, task)


def _reserving(new: NewLock, rotation: int, keys: dict[int, str | None]) -> saga.Shape:
    """The stack is written already holding the request's lock, when its node has a key to encrypt for (the key
    read is kept in ``keys`` for the answer)."""

    def shape(item: dict[str, Any]) -> dict[str, Any] | None:
        stack_id, node_id = int(item["stack_small_id"]), int(item["selected_node_id"])
        item["locks"] = {}
        keys[node_id] = valid_key(store.get(items.node_pk(node_id), "NODE"), rotation)
        if not keys[node_id]:
            return None
        # the row and the reservation are one write: the stack never exists unreserved-then-raced
        item["available_units"] = int(item["available_units"]) - new.units
        item["locked_compute_units"] = new.units
        item["locks"] = {new.lock_id: {"units": new.units, "expires_at": new.expires_at}}
        item["lock_version"] = 1
        item["gsi3pk"] = items.lock_expiry_pk(stack_id)
        item["gsi3sk"] = items.lock_expiry_sk(new.expires_at, stack_id)
        return {"lock_id": new.lock_id, "units": new.units, "expires_at": new.expires_at, "node_small_id": node_id}

    return shape


def _granted(result: saga.Result, new: NewLock, rotation: int, keys: dict[int, str | None]) -> Grant:
    if result.state == REFUNDED:
        raise LockFailed("Failed to acquire a new stack on chain; your balance was refunded, retry later")
    if result.state != DONE or result.stack is None:
        # the sweeper acts once the lease ends and runs every minute (network/purchases/__init__.py)
        raise Unavailable(
            "The stack purchase is not confirmed yet; it is completed or refunded within "
            f"{settings().purchase_lease_seconds + SWEEPER_PERIOD_SECONDS} seconds, retry then"
        )
    stack = result.stack
    stack_id, node_id = int(stack["stack_small_id"]), int(stack["selected_node_id"])
    if node_id not in keys:  # finished by another path: this request did not read the node
        keys[node_id] = valid_key(store.get(items.node_pk(node_id), "NODE", consistent=False), rotation)
    key = keys[node_id]
    held = new.lock_id in (stack.get("locks") or {})
    if key and not held and not result.fresh:
        held = reserve(store.get(items.stack_pk(stack_id), "STACK") or {}, new, str(stack["user"]))
    if not key or not held:
        raise LockFailed(
            f"The network assigned the new stack {stack_id} to node {node_id}, which has no valid public key "
            f"at key rotation {rotation}; nothing was locked and the stack stays yours for later requests"
        )
    return Grant(node_id, key, stack_id, result.digest, new.lock_id, new.units, new.expires_at)


def _replayed(intent: dict[str, Any], rotation: int) -> Grant:
    """The same request again: the answer its purchase gave, never a second purchase."""
    state = intent.get("state")
    if state in intents.OPEN:
        raise PurchaseInFlight("this request's stack purchase is still in flight; retry in a moment")
    lock = intent.get("lock")
    if state == DONE and lock:
        node_id = int(lock["node_small_id"])
        key = valid_key(store.get(items.node_pk(node_id), "NODE", consistent=False), rotation)
        if key:
            stack_id = int(intent["stack_small_id"])
            units, expires = int(lock["units"]), int(lock["expires_at"])
            return Grant(node_id, key, stack_id, intent.get("digest"), str(lock["lock_id"]), units, expires)
    if state == REFUNDED:
        raise LockFailed("Failed to acquire a new stack on chain; your balance was refunded, retry later")
    raise LockFailed(f"this request's stack {intent.get('stack_small_id')} holds no lock for it")
