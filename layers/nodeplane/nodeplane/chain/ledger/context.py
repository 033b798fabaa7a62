"""What an ``atoma::db`` function sees while the ledger executes it: state, sender, events, a seeded RNG."""

from __future__ import annotations

import random
from typing import Any

from nodeplane.chain.contract import coin_type
from nodeplane.chain.ledger.store import View, create_object, object_key, owner_key, save_object
from nodeplane.chain.signatures import blake2b256, normalize_address
from nodeplane.chain.transactions import DecodedTransaction, ObjectRef


class MoveAbort(Exception):
    """A Move abort: ``reason`` is the abort constant's name (``EStackNotFound``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check(cond: bool, reason: str) -> None:
    if not cond:
        raise MoveAbort(reason)


def inner(n: int) -> dict[str, str]:
    """A one-field ``{inner: u64}`` struct (NodeSmallId, TaskSmallId, StackSmallId) as Sui JSON."""
    return {"inner": str(n)}


class Ctx:
    """Execution context of one transaction: state view, created objects, events, RNG."""

    def __init__(
        self,
        view: View,
        head: dict[str, Any],
        tx: DecodedTransaction,
        digest: str,
        *,
        cross_validation_permille: int,
    ) -> None:
        self.view, self.head, self.tx = view, head, tx
        self.cross_validation_permille = cross_validation_permille
        self.created: list[str] = []
        self.deleted: list[str] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        # Deterministic per transaction: replaying a digest always samples the same node.
        self.rng = random.Random(blake2b256(b"random" + digest.encode()))

    @property
    def sender(self) -> str:
        return self.tx.sender

    def obj(self, object_id: str) -> dict[str, Any]:
        oid = normalize_address(object_id)
        obj = self.view.get(*object_key(oid))
        assert obj is not None, oid
        return obj

    def save_obj(self, obj: dict[str, Any]) -> None:
        save_object(self.view, obj)

    def create(self, type_name: str, owner: str, fields: dict[str, Any]) -> str:
        oid = create_object(self.view, self.head, type_name, owner, fields)
        self.created.append(oid)
        return oid

    def delete(self, object_id: str) -> None:
        obj = self.obj(object_id)
        self.view.delete(*object_key(obj["object_id"]))
        self.view.delete(*owner_key(obj["owner"], obj["object_id"]))
        self.deleted.append(obj["object_id"])

    def transfer(self, obj: dict[str, Any], recipient: str) -> None:
        self.view.delete(*owner_key(obj["owner"], obj["object_id"]))
        obj["owner"] = recipient
        self.view.put(*owner_key(recipient, obj["object_id"]), {"type": obj["type"]})
        self.save_obj(obj)

    def pay_usdc(self, owner: str, amount: int) -> None:
        """Pay from the treasury as a new Coin<USDC> (no fee-withdrawal epoch delay on this ledger)."""
        if amount <= 0:
            return
        check(self.head["treasury"] >= amount, "EInsufficientTreasury")
        self.head["treasury"] -= amount
        self.create(coin_type(self.head["usdc_type"]), owner, {"balance": amount})

    def emit(self, name: str, parsed: dict[str, Any]) -> None:
        self.events.append((name, parsed))

    # ------------------------------------------------------------ lookups shared by the db functions

    def badge_node(self, badge: ObjectRef) -> dict[str, Any]:
        obj = self.obj(badge.object_id)
        check(obj["type"].endswith("::db::NodeBadge"), "ENotNodeBadge")
        node = self.view.get(f"NODE#{obj['fields']['node_small_id']}", "NODE")
        assert node is not None
        return node

    def require_admin(self, badge: ObjectRef) -> None:
        obj = self.obj(badge.object_id)
        is_badge = obj["type"].endswith("::db::AtomaManagerBadge")
        check(is_badge and self.sender == self.head["admin"], "ENotAuthorized")

    def task(self, task_small_id: int) -> dict[str, Any]:
        task = self.view.get(f"TASK#{task_small_id}", "TASK")
        check(task is not None, "ETaskNotFound")
        assert task is not None
        return task

    def stack(self, stack_small_id: int) -> dict[str, Any]:
        stack = self.view.get(f"STACK#{stack_small_id}", "STACK")
        check(stack is not None, "EStackNotFound")
        assert stack is not None
        return stack

    def ticket(self, stack_small_id: int) -> dict[str, Any]:
        ticket = self.view.get(f"STACK#{stack_small_id}", "TICKET")
        check(ticket is not None, "EStackNotInSettlement")
        assert ticket is not None
        return ticket

    def subscribers(self, task_small_id: int) -> list[dict[str, Any]]:
        return list(self.view.query(f"TASK#{task_small_id}", "SUB#").values())
