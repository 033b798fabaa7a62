"""USDC balances that pay for the stacks nodeplane buys on a user's behalf (item ``BALANCE#<user>`` / ``USDC``, see
items.py), in USDC base units.

Every change is one conditional UpdateItem, so two Lambdas spending the same balance cannot overdraw it.
"""

from __future__ import annotations

from nodeplane import clock, store
from nodeplane.errors import BadRequest, PaymentRequired
from nodeplane.network import items
from nodeplane.store.dynamo import TransactionFailed

SK = "USDC"


class InsufficientBalance(PaymentRequired):
    pass


def balance(user: str) -> int:
    """The user's USDC balance in base units (0 when the user never had one)."""
    item = store.get(items.balance_pk(user), SK)
    return int(item["balance"]) if item else 0


def credit(user: str, amount: int) -> int:
    """Add ``amount`` base units (admin top-up, or a refund); returns the new balance."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise BadRequest("amount must be a positive integer number of USDC base units")
    store.transact(
        [
            store.update(
                items.balance_pk(user),
                SK,
                "ADD balance :a SET updated_at = :t, entity = :e",
                values={":a": amount, ":t": clock.iso(), ":e": "balance"},
            )
        ]
    )
    return balance(user)


def debit(user: str, amount: int) -> None:
    """Take ``amount`` base units, only if the balance covers it (decided by DynamoDB, not by a read)."""
    if amount <= 0:
        return
    try:
        store.transact(
            [
                store.update(
                    items.balance_pk(user),
                    SK,
                    "SET balance = balance - :a, updated_at = :t",
                    condition="balance >= :a",
                    values={":a": amount, ":t": clock.iso()},
                    label="balance",
                )
            ]
        )
    except TransactionFailed as exc:
        raise InsufficientBalance(f"Insufficient balance: a new stack costs {amount} USDC base units") from exc


def refund(user: str, amount: int) -> None:
    """Give back a debit whose purchase did not happen."""
    if amount > 0:
        credit(user, amount)
