"""The purchase intent item and its transitions, each a store operation conditional on the state it leaves (the
state table is in purchases/__init__.py). The saga puts them in transactions with the money they move."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from nodeplane import clock, store
from nodeplane.network import items
from nodeplane.settings import settings

DEBITED, BUYING, DONE, REFUNDED = "Debited", "Buying", "Done", "Refunded"
OPEN = (DEBITED, BUYING)


@dataclass(frozen=True)
class Order:
    """What a purchase buys and what it costs the user: everything the intent records before money moves."""

    user: str
    task_small_id: int
    price_cap: int  # per one million compute units
    num_compute_units: int
    amount: int  # USDC base units debited from the user's balance
    request_id: str
    security_level: int  # of the task: the stack item records whether it is confidential

    @property
    def intent_id(self) -> str:
        """One intent per (user, request): the same request processed twice is the same purchase."""
        raw = f"{self.user}\x00{self.request_id}".encode()
        return hashlib.blake2b(raw, digest_size=16).hexdigest()

    def intent(self) -> dict[str, Any]:
        """The intent's fields the later steps need, without reading the item back."""
        return {
            "user": self.user,
            "intent_id": self.intent_id,
            "amount": self.amount,
            "security_level": self.security_level,
        }


def key(user: str, intent_id: str) -> tuple[str, str]:
    return items.balance_pk(user), items.intent_sk(intent_id)


def get(user: str, intent_id: str) -> dict[str, Any] | None:
    return store.get(*key(user, intent_id))


def create(order: Order, attempt: str) -> store.Op:
    """(none) → Debited: the intent, written in the debit's transaction. ``attempt`` names this write, so a
    request that finds the intent already there can tell its own write (an SDK retry) from an earlier one."""
    now = clock.now()
    due = now + settings().purchase_lease_seconds
    item = {
        "pk": items.balance_pk(order.user),
        "sk": items.intent_sk(order.intent_id),
        "entity": "purchase_intent",
        "intent_id": order.intent_id,
        "user": order.user,
        "task_small_id": order.task_small_id,
        "price_cap": order.price_cap,
        "num_compute_units": order.num_compute_units,
        "amount": order.amount,
        "request_id": order.request_id,
        "security_level": order.security_level,
        "state": DEBITED,
        "attempt": attempt,
        "created_at": now,
        "due_at": due,
        "updated_at": clock.iso(now),
        "gsi3pk": items.PURCHASES,
        "gsi3sk": items.purchase_due_sk(due, order.intent_id),
    }
    return store.put(item, condition="attribute_not_exists(pk)", label="intent")


def to_buying(user: str, intent_id: str, digest: str, previous: str | None) -> store.Op:
    """Debited → Buying with ``digest``; or, for a resubmission, Buying(previous) → Buying(digest)."""
    if previous is None:
        condition, values = "#st = :debited AND attribute_not_exists(digest)", {":debited": DEBITED}
    else:
        condition, values = "#st = :buying AND digest = :prev", {":buying": BUYING, ":prev": previous}
    return store.update(
        *key(user, intent_id),
        "SET #st = :buying, digest = :d, updated_at = :t ADD digests :ds",
        condition=condition,
        names={"#st": "state"},
        values=values | {":buying": BUYING, ":d": digest, ":t": clock.iso(), ":ds": {digest}},
        label="intent",
    )


def claim_digest(digest: str, intent_id: str) -> store.Op:
    """A transaction digest belongs to one intent: two purchases can never both adopt what it bought."""
    return store.put(
        {"pk": items.purchase_tx_pk(digest), "sk": "CLAIM", "entity": "purchase_claim", "intent_id": intent_id},
        condition="attribute_not_exists(pk) OR intent_id = :me",
        values={":me": intent_id},
        label="claim",
    )


def _close(state: str, extra: str, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The update that ends an intent: its final state, out of the sweeper's index."""
    expression = "SET #st = :final, updated_at = :t, finished_at = :now" + extra + " REMOVE gsi3pk, gsi3sk"
    return expression, {":final": state, ":t": clock.iso(), ":now": clock.now(), **values}


def to_done(user: str, intent_id: str, digest: str, stack_small_id: int, lock: dict[str, Any] | None) -> store.Op:
    """Buying(digest) → Done, in the transaction that writes the stack for the user."""
    extra, values = ", stack_small_id = :s", {":s": stack_small_id, ":buying": BUYING, ":d": digest}
    if lock is not None:
        extra += ", #lock = :lock"  # what a replay of the request answers
        values[":lock"] = lock
    expression, values = _close(DONE, extra, values)
    return store.update(
        *key(user, intent_id),
        expression,
        condition="#st = :buying AND digest = :d",
        names={"#st": "state", **({"#lock": "lock"} if lock is not None else {})},
        values=values,
        label="intent",
    )


def to_refunded(user: str, intent_id: str, digest: str | None, reason: str) -> store.Op:
    """Debited (no digest) or Buying(digest) → Refunded, in the transaction that returns the amount."""
    if digest is None:
        condition, values = "#st = :debited AND attribute_not_exists(digest)", {":debited": DEBITED}
    else:
        condition, values = "#st = :buying AND digest = :d", {":buying": BUYING, ":d": digest}
    expression, values = _close(REFUNDED, ", reason = :why", values | {":why": reason[:500]})
    return store.update(
        *key(user, intent_id), expression, condition=condition, names={"#st": "state"}, values=values, label="intent"
    )


def open_intents(*, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Intents not yet Done or Refunded, the one the sweeper may act on first first (gsi3, eventually consistent)."""
    return store.query("gsi3pk", items.PURCHASES, sk_name="gsi3sk", index="gsi3", limit=limit, cursor=cursor)


def user_intents(user: str) -> list[dict[str, Any]]:
    """Every purchase intent of a user (the invariant's "charged": the amounts of the Done ones)."""
    out: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        rows, cursor = store.query(
            "pk", items.balance_pk(user), sk_prefix=items.INTENT_PREFIX, limit=100, cursor=cursor, consistent=True
        )
        out += rows
        if not cursor:
            return out
