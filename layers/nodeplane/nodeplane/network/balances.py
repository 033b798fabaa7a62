"""USDC balances that pay for the stacks nodeplane buys on a user's behalf (item ``BALANCE#<user>`` / ``USDC``, see
items.py), in USDC base units.

Every change is a conditional write (alone, or inside the transaction of the step it belongs to), so two Lambdas
spending the same balance cannot overdraw it. Besides ``balance`` the item keeps two running totals, so that the
invariant the tests check can be computed from DynamoDB alone, for every user at any quiescent moment:

    credited = balance + charged - refunded

``credited`` sums the top-ups (admin credits), ``refunded`` the unused units of claimed stacks paid back by the
chain, and "charged" is the cost of the stacks bought for the user (``purchase_cost`` on each stack item, equal
to the amount of its Done purchase intent). A purchase that did not happen is refunded by its saga
(network/purchases/), which puts the amount back without touching either total.
"""

from __future__ import annotations

from typing import Any

from nodeplane import clock, store
from nodeplane.errors import BadRequest, PaymentRequired
from nodeplane.network import items

SK = items.BALANCE_SK


class InsufficientBalance(PaymentRequired):
    pass


def balance(user: str) -> int:
    """The user's USDC balance in base units (0 when the user never had one)."""
    item = store.get(items.balance_pk(user), SK)
    return int(item["balance"]) if item else 0


def account(user: str) -> dict[str, int]:
    """The balance and its running totals (zeros for a user who never had a balance)."""
    item = store.get(items.balance_pk(user), SK) or {}
    return {k: int(item.get(k, 0)) for k in ("balance", "credited", "refunded")}


def credit(user: str, amount: int) -> int:
    """Add ``amount`` base units (an admin top-up); returns the new balance."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise BadRequest("amount must be a positive integer number of USDC base units")
    store.transact(
        [
            store.update(
                items.balance_pk(user),
                SK,
                "ADD balance :a, credited :a SET updated_at = :t, entity = :e",
                values={":a": amount, ":t": clock.iso(), ":e": "balance"},
            )
        ]
    )
    return balance(user)


def debit_op(user: str, amount: int) -> store.Op:
    """Take ``amount`` base units, only if the balance covers it (decided by DynamoDB, not by a read)."""
    return store.update(
        items.balance_pk(user),
        SK,
        "SET balance = balance - :a, updated_at = :t",
        condition="balance >= :a",
        values={":a": amount, ":t": clock.iso()},
        label="balance",
    )


def insufficient(amount: int) -> InsufficientBalance:
    return InsufficientBalance(f"Insufficient balance: a new stack costs {amount} USDC base units")


def return_op(user: str, amount: int) -> store.Op:
    """Give back a debit whose purchase did not happen (inside the saga's refund transaction)."""
    return store.update(
        items.balance_pk(user),
        SK,
        "ADD balance :a SET updated_at = :t",
        values={":a": amount, ":t": clock.iso()},
        label="balance",
    )


def claim_refund_op(user: str, amount: int) -> store.Op:
    """Credit the unused units of a claimed stack (inside the transaction of the chain event that paid them)."""
    values: dict[str, Any] = {":a": amount, ":t": clock.iso(), ":e": "balance"}
    return store.update(
        items.balance_pk(user),
        SK,
        "ADD balance :a, refunded :a SET updated_at = :t, entity = :e",
        values=values,
        label="refund",
    )
