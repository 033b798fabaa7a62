"""What the money tests check, computed from DynamoDB alone (a Scan of the table: tests may, request paths never).

For every user, at a quiescent point (no purchase in flight):

    credited = balance + charged - refunded

``credited`` and ``refunded`` are the running totals on the balance item, ``charged`` the ``purchase_cost`` of the
stacks written for the user. Beside it: every Done intent has exactly its stack, every stack bought for a user
has exactly one Done intent (no user charged without a stack, no stack adopted twice), no Refunded intent left a
stack behind, and no stack holds more units than it has.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from nodeplane.network import items
from nodeplane.network.purchases.intents import BUYING, DEBITED, DONE, REFUNDED
from nodeplane.store.attributes import deserialize


def scan(client: Any, table: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        out += [deserialize(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@dataclass
class Books:
    """The table's money, per user."""

    balances: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: list[dict[str, Any]] = field(default_factory=list)
    stacks: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(cls, rows: list[dict[str, Any]]) -> Books:
        books = cls()
        for row in rows:
            pk, sk = str(row["pk"]), str(row["sk"])
            if pk.startswith(items.balance_pk("")) and sk == items.BALANCE_SK:
                books.balances[pk.removeprefix(items.balance_pk(""))] = row
            elif sk.startswith(items.INTENT_PREFIX):
                books.intents.append(row)
            elif sk == "STACK":
                books.stacks.append(row)
        return books

    def states(self) -> Counter[str]:
        return Counter(str(i["state"]) for i in self.intents)

    def open_intents(self) -> list[dict[str, Any]]:
        return [i for i in self.intents if i["state"] in (DEBITED, BUYING)]

    def per_user(self) -> dict[str, dict[str, int]]:
        users: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("credited", "balance", "charged"), 0))
        for user, item in self.balances.items():
            for k in ("credited", "balance", "refunded"):
                users[user][k] = int(item.get(k, 0))
        for stack in self.stacks:
            if stack.get("user") is not None and stack.get("purchase_cost") is not None:
                users[str(stack["user"])]["charged"] += int(stack["purchase_cost"])
            if stack.get("user") is not None:
                row = users[str(stack["user"])]
                row["credited_on_stacks"] = row.get("credited_on_stacks", 0) + int(stack.get("user_refund_credited", 0))
        return dict(users)

    def check(self, *, quiescent: bool = True) -> None:
        """Every promise about money and units, with what broke it in the message."""
        if quiescent:
            assert self.open_intents() == [], f"purchases still in flight: {self.open_intents()}"
        broken = {
            user: row
            for user, row in self.per_user().items()
            if row["credited"] != row["balance"] + row["charged"] - row.get("refunded", 0)
        }
        assert broken == {}, f"credited != balance + charged - refunded for {broken}"
        # each refund on the balance is one stack's refund, credited once
        assert {u: r.get("refunded", 0) for u, r in self.per_user().items()} == {
            u: r.get("credited_on_stacks", 0) for u, r in self.per_user().items()
        }
        assert all(int(b.get("balance", 0)) >= 0 for b in self.balances.values())
        self._check_stacks()

    def _check_stacks(self) -> None:
        by_intent = Counter(str(s["purchase_intent"]) for s in self.stacks if s.get("purchase_intent"))
        assert [i for i, n in by_intent.items() if n > 1] == [], "an intent adopted two stacks"
        stacks = {str(s["purchase_intent"]): s for s in self.stacks if s.get("purchase_intent")}
        for intent in self.intents:
            stack = stacks.get(str(intent["intent_id"]))
            if intent["state"] == DONE:
                assert stack is not None, f"charged without a stack: {intent}"
                assert stack["user"] == intent["user"] and int(stack["purchase_cost"]) == int(intent["amount"])
                assert int(stack["stack_small_id"]) == int(intent["stack_small_id"])
            elif intent["state"] == REFUNDED:
                assert stack is None, f"refunded but a stack was adopted: {intent}"
        intent_ids = {str(i["intent_id"]) for i in self.intents if i["state"] == DONE}
        for stack in self.stacks:
            if stack.get("purchase_intent"):
                assert str(stack["purchase_intent"]) in intent_ids, f"a stack without its Done intent: {stack}"
            held = sum(int(lk["units"]) for lk in (stack.get("locks") or {}).values())
            assert int(stack["locked_compute_units"]) == held, f"locks and locked units disagree: {stack}"
            available = int(stack["num_compute_units"]) - int(stack["already_computed_units"]) - held
            assert int(stack["available_units"]) == available >= 0, f"overcommitted: {stack}"
