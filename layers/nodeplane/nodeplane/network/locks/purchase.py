"""Buying a stack for a lock request (step 2): from the cheapest offer, paid from the user's balance, one purchase
per (user, task) at a time so concurrent requests reuse one new stack instead of each buying their own."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from nodeplane import clock, metrics, store
from nodeplane.chain.contract import COMPUTE_UNITS_PER_STACK, CONFIDENTIAL, stack_cost
from nodeplane.errors import DomainError, Unavailable
from nodeplane.network import balances, chainops, items, projection
from nodeplane.network.locks import selection
from nodeplane.network.locks.plan import Grant, LockFailed, NewLock, valid_key
from nodeplane.network.locks.reserve import reserve
from nodeplane.store.dynamo import TransactionFailed

logger = logging.getLogger("nodeplane.locks")

STACK_SIZE = COMPUTE_UNITS_PER_STACK  # compute units bought per stack (STACK_SIZE_TO_BUY of the proxy)
# Longer than a Lambda's 15 s timeout: a purchaser that dies mid-purchase frees the guard by expiry.
GUARD_LEASE_SECONDS = 30
# How long a request waits for another request's purchase before answering 429 (about 2.5 s in all).
GUARD_WAITS = (0.15, 0.3, 0.6, 1.2)

# Replaced by tests so waiting for a purchase in flight costs no wall-clock time.
sleep: Callable[[float], None] = time.sleep


class PurchaseInFlight(DomainError):
    """Another request of the same user is buying a stack for this task; retrying shortly will reuse it."""

    status, title, code = 429, "Too Many Requests", "TOO_MANY_REQUESTS"


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


def buy(user: str, model: str, tasks: list[int], rotation: int, new: NewLock, tried: set[int]) -> Grant:
    """Step 2: buy a stack from the cheapest node, one purchase per (user, task) at a time."""
    offer = selection.cheapest_offer(tasks, rotation)
    if offer is None:
        raise Unavailable(f"No node found for model {model} with confidential compute enabled")
    task, price = offer
    holder = new.lock_id
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
    cost = stack_cost(price, STACK_SIZE, CONFIDENTIAL)
    balances.debit(user, cost)  # 402 before anything is spent on chain
    metrics.add("PurchasesStarted")
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
        metrics.add("PurchasesRefunded")
        logger.warning("stack purchase for task %s failed: %s", task, error)
        raise LockFailed("Failed to acquire a new stack on chain; your balance was refunded, retry later")
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
    metrics.add("PurchasesFinished")
    if not key:
        raise LockFailed(
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
