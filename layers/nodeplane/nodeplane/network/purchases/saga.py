"""One stack purchase: the debit with its intent, the chain call (its digest recorded before submission), then the
stack adopted for the user or the amount refunded; and the recovery of an intent whose outcome nobody learnt.

Every step is one transaction conditional on the intent's state (intents.py), so any of them can be retried, by
the request or by the sweeper, and none can happen twice.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nodeplane import metrics, store
from nodeplane.network import balances, chainops, items, projection
from nodeplane.network.chainops import TxOutcome
from nodeplane.network.purchases import intents
from nodeplane.network.purchases.intents import DONE, OPEN, REFUNDED, Order
from nodeplane.store.dynamo import TransactionFailed

logger = logging.getLogger("nodeplane.purchases")

CONFLICT_RETRIES = 10  # TransactionConflict: another writer was on the same item (a balance, a guard) just then
CORE_LABELS = frozenset({"intent", "balance", "stack", "claim"})

# (stack item about to be written) -> what a replay of the request answers, after adding to the item (a lock)
Shape = Callable[[dict[str, Any]], dict[str, Any] | None]
# (stack small id or None) -> operations the closing transaction also carries when they can (a purchase guard)
Extra = Callable[[int | None], list[store.Op]]


def _no_extra(stack_small_id: int | None) -> list[store.Op]:
    return []


class IntentExists(Exception):
    """The request's purchase was started before (a replay): its intent as it stands."""

    def __init__(self, intent: dict[str, Any]) -> None:
        super().__init__(f"purchase intent {intent.get('intent_id')} exists ({intent.get('state')})")
        self.intent = intent


class StackOwnedElsewhere(RuntimeError):
    """The chain says this purchase created a stack that another purchase adopted: never expected (digest claims
    make it impossible); the intent stays open so the alarm on its age shows it."""


@dataclass
class Result:
    """Where a purchase stands: Done (``stack`` written for the user), Refunded, or still open (the sweeper's)."""

    state: str
    intent: dict[str, Any]
    digest: str | None = None
    stack: dict[str, Any] | None = None
    fresh: bool = False  # the stack item was written as shaped (else it was adopted from the chain's projection)
    outcome: TxOutcome | None = None
    extras_applied: bool = False
    reason: str = ""


def transact(ops: list[store.Op], optional: Sequence[store.Op] = ()) -> bool:
    """``ops`` and, when they can go with them, ``optional`` in one transaction; True when ``optional`` was applied.

    Conflicts with concurrent writers are retried; a failed condition of ``ops`` raises TransactionFailed.
    """
    extra = list(optional)
    last: TransactionFailed | None = None
    for attempt in range(CONFLICT_RETRIES):
        try:
            store.transact([*ops, *extra])
            return bool(extra)
        except TransactionFailed as exc:
            last = exc
            conditional = [f for f in exc.failures if f.code == "ConditionalCheckFailed"]
            if not conditional:
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))  # jitter between writers that collided
                continue
            if any(f.label in {op.label for op in ops} for f in conditional) or not extra:
                raise
            extra = []  # only an optional operation's condition failed: go without it
    assert last is not None
    raise last


# --- the steps ------------------------------------------------------------------------------------------------------


def begin(order: Order, extra: Sequence[store.Op] = ()) -> None:
    """(none) → Debited: the intent and the debit in one transaction, with ``extra`` (all or nothing).

    Raises InsufficientBalance (nothing written), IntentExists (a replay), or TransactionFailed when only a
    condition of ``extra`` failed.
    """
    attempt = uuid.uuid4().hex
    ops = [intents.create(order, attempt), balances.debit_op(order.user, order.amount), *extra]
    try:
        transact(ops)
    except TransactionFailed as exc:
        existing = exc.failed("intent")
        if existing is not None and existing.code == "ConditionalCheckFailed":
            found = existing.old or intents.get(order.user, order.intent_id) or {}
            if found.get("attempt") == attempt:
                return  # this very write landed and the SDK retried it (a timeout, a 5xx): nothing happened twice
            raise IntentExists(found) from exc
        if any(f.label not in CORE_LABELS for f in exc.failures):
            raise
        raise balances.insufficient(order.amount) from exc
    metrics.add("PurchasesStarted")


def run(order: Order, *, shape: Shape | None = None, extra: Extra = _no_extra) -> Result:
    """Debited → buy on chain → Done or Refunded (or left open for the sweeper when the chain cannot tell yet)."""
    intent_id = order.intent_id
    recorded: list[str] = []

    def before_submit(digest: str) -> None:
        # if this write fails nothing is sent: the intent never points at a transaction it did not record
        previous = recorded[-1] if recorded else None
        try:
            transact(
                [intents.to_buying(order.user, intent_id, digest, previous), intents.claim_digest(digest, intent_id)]
            )
        except TransactionFailed:
            now = intents.get(order.user, intent_id) or {}
            if not (now.get("state") == intents.BUYING and now.get("digest") == digest):
                raise
            # this very write landed and the SDK retried it
        recorded.append(digest)

    try:
        outcome = chainops.ops().buy_stack(
            task_small_id=order.task_small_id,
            num_compute_units=order.num_compute_units,
            price_cap=order.price_cap,
            purchase_id=intent_id,
            before_submit=before_submit,
        )
    except Exception as exc:  # the chain client failing in any way: what happened is read back, never guessed
        logger.warning("purchase chain call failed", extra={"intentId": intent_id, "reason": str(exc)[:300]})
        return recover(order.user, intent_id, shape=shape, extra=extra)
    return finish(order.intent(), outcome, shape=shape, extra=extra)


def finish(intent: dict[str, Any], outcome: TxOutcome, *, shape: Shape | None, extra: Extra) -> Result:
    """Buying → Done with the stack the transaction created, or → Refunded when it created none."""
    data = outcome.event("StackCreatedEvent") if outcome.ok else None
    if data is None:
        return refund(intent, outcome.digest, f"the chain refused the purchase: {outcome.error}", extra=extra)
    result = adopt(intent, outcome.digest, data, shape=shape, extra=extra)
    result.outcome = outcome
    return result


def adopt(intent: dict[str, Any], digest: str, data: dict[str, Any], *, shape: Shape | None, extra: Extra) -> Result:
    """Buying(digest) → Done: the stack item for the user (and what ``shape`` adds) with the state, in one write."""
    user, intent_id = str(intent["user"]), str(intent["intent_id"])
    item = projection.stack_item(data, task={"security_level": intent.get("security_level")}, user=user)
    item |= {"purchase_intent": intent_id, "purchase_cost": int(intent["amount"]), "purchase_digest": digest}
    lock = shape(item) if shape else None
    stack_id = int(item["stack_small_id"])
    ops = [
        store.put(item, condition="attribute_not_exists(pk)", label="stack"),
        intents.to_done(user, intent_id, digest, stack_id, lock),
    ]
    try:
        applied = transact(ops, extra(stack_id))
        metrics.add("PurchasesFinished")
        return Result(DONE, intent, digest, item, fresh=True, extras_applied=applied)
    except TransactionFailed as exc:
        if exc.failed("intent") is not None and exc.failed("stack") is None:
            return current(user, intent_id)  # another path finished it first
        failure = exc.failed("stack")
        existing = (failure.old if failure else None) or store.get(items.stack_pk(stack_id), "STACK") or {}
    if existing.get("user") is not None:
        if existing.get("purchase_intent") == intent_id:
            return current(user, intent_id)
        raise StackOwnedElsewhere(f"stack {stack_id} bought by intent {intent_id} belongs to {existing.get('user')}")
    # the chain event's projection wrote the stack first: make it the user's, unlocked (the caller reserves)
    adopt_op = store.update(
        items.stack_pk(stack_id),
        "STACK",
        "SET #user = :u, gsi1pk = :g1, gsi1sk = :g1s, purchase_intent = :i, purchase_cost = :c, purchase_digest = :d",
        condition="attribute_exists(pk) AND attribute_not_exists(#user)",
        names={"#user": "user"},
        values={
            ":u": user,
            ":g1": item["gsi1pk"],
            ":g1s": item["gsi1sk"],
            ":i": intent_id,
            ":c": int(intent["amount"]),
            ":d": digest,
        },
        label="stack",
    )
    try:
        applied = transact([adopt_op, intents.to_done(user, intent_id, digest, stack_id, None)], extra(stack_id))
    except TransactionFailed:
        return current(user, intent_id)
    metrics.add("PurchasesFinished")
    return Result(DONE, intent, digest, store.get(items.stack_pk(stack_id), "STACK"), extras_applied=applied)


def refund(intent: dict[str, Any], digest: str | None, reason: str, *, extra: Extra = _no_extra) -> Result:
    """Debited (no digest) or Buying(digest) → Refunded: the amount back on the balance, in one write."""
    user, intent_id = str(intent["user"]), str(intent["intent_id"])
    ops = [intents.to_refunded(user, intent_id, digest, reason), balances.return_op(user, int(intent["amount"]))]
    try:
        applied = transact(ops, extra(None))
    except TransactionFailed:
        return current(user, intent_id)  # it moved meanwhile (finished by the other path)
    metrics.add("PurchasesRefunded")
    logger.info("purchase refunded", extra={"intentId": intent_id, "reason": reason})
    return Result(REFUNDED, intent, digest, extras_applied=applied, reason=reason)


def current(user: str, intent_id: str) -> Result:
    intent = intents.get(user, intent_id) or {"user": user, "intent_id": intent_id, "state": "Missing"}
    stack = None
    if intent.get("state") == DONE and intent.get("stack_small_id") is not None:
        stack = store.get(items.stack_pk(int(intent["stack_small_id"])), "STACK")
    return Result(str(intent["state"]), intent, intent.get("digest"), stack, reason=str(intent.get("reason", "")))


# --- recovery -------------------------------------------------------------------------------------------------------


def recover(user: str, intent_id: str, *, shape: Shape | None = None, extra: Extra = _no_extra) -> Result:
    """Finish an open intent from what the chain says of its recorded digest (the request's error path and the
    sweeper): executed → Done; aborted or never executable, or no digest → Refunded; unknown yet → left open."""
    intent = intents.get(user, intent_id)
    if intent is None or intent.get("state") not in OPEN:
        return current(user, intent_id)
    digest = intent.get("digest")
    if digest is None:
        return refund(intent, None, "the chain call ended before a transaction was submitted", extra=extra)
    try:
        answer = chainops.ops().lookup(str(digest))
    except Exception as exc:  # the chain is unreachable: the sweeper asks again on its next run
        logger.warning(
            "purchase lookup failed", extra={"intentId": intent_id, "digest": digest, "reason": str(exc)[:300]}
        )
        return Result(str(intent["state"]), intent, str(digest), reason=str(exc))
    if answer.outcome is not None:
        return finish(intent, answer.outcome, shape=shape, extra=extra)
    if answer.final:
        return refund(intent, str(digest), "the purchase transaction can never execute", extra=extra)
    return Result(str(intent["state"]), intent, str(digest), reason="the chain has no final answer yet")
