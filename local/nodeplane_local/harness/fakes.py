"""A fake ChainOps that keeps the `atoma::db` contract's rules well enough for nodeplane's tests and benches.

Events come out in Sui's JSON shape (small ids as {"inner": "12"}, bytes as lists of numbers) in one ordered log
that ``events_since`` pages through like the real chain client; a test may also append events to ``log`` itself.
Every call is counted and every payment and purchase recorded, so tests can prove nothing ran or paid twice.
``crash_after[name] = k`` makes the next k calls of ``name`` apply their effects and then raise, like a Lambda
killed after its transaction landed. Its own rules are checked in tests/unit/test_settlement_fakechain.py.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nodeplane.network.chainops import BeforeSubmit, GasOptions, Guard, Lookup, PureArg, TxOutcome, guarded
from nodeplane_local.harness.network import chain_event, inner


def _h(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


@dataclass
class FakeChain:
    epoch: int = 1
    epoch_seconds: int | None = None  # when set, epochs also advance with nodeplane's clock
    sample: list[int] = field(default_factory=list)  # attestation nodes try_settle will "draw"
    first_stack: int = 1  # small id of the first stack created
    nodes: dict[int, str] = field(default_factory=dict)  # small id -> registering address
    tasks: dict[int, int] = field(default_factory=dict)  # small id -> security level
    stacks: dict[int, dict[str, Any]] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    payments: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, stack, units)
    purchases: list[dict[str, int]] = field(default_factory=list)  # buy_stack's arguments, in order
    crash_after: Counter[str] = field(default_factory=Counter)
    # buy_stack: "raise" (the client fails) or "abort" (the chain refuses); None buys
    fail: str | None = None
    # buy_stack's draw of the node among subscribers at or below the cap (default: the first node registered)
    select: Callable[[int, int], int] | None = None
    before: Callable[[], None] | None = None  # runs inside buy_stack (to interleave requests)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._tx = 0
        self._stack_ids = itertools.count(self.first_stack)

    def current_epoch(self) -> int:
        from nodeplane import clock

        return self.epoch + (int(clock.now() // self.epoch_seconds) if self.epoch_seconds else 0)

    # --- plumbing -----------------------------------------------------------------------------------------------

    def _digest(self) -> str:
        with self._lock:
            self._tx += 1
            return f"FakeTx{self._tx:06d}"

    def _emit(self, sender: str, events: list[tuple[str, dict[str, Any]]], digest: str | None = None) -> TxOutcome:
        digest = digest or self._digest()
        timestamp = 1795000000000 + int(digest.removeprefix("FakeTx"))
        out = [
            chain_event(name, data, tx=digest, seq=seq, sender=sender, timestamp_ms=timestamp)
            for seq, (name, data) in enumerate(events)
        ]
        with self._lock:
            self.log.extend(out)
        return TxOutcome(digest=digest, events=out)

    def _abort(self, code: str) -> TxOutcome:
        return TxOutcome(digest=self._digest(), ok=False, error=code)

    def _maybe_crash(self, name: str) -> None:
        if self.crash_after[name] > 0:
            self.crash_after[name] -= 1
            raise ConnectionError(f"{name}: connection reset after submission")

    def lookup(self, digest: str) -> Lookup:
        with self._lock:
            events = [e for e in self.log if e["id"]["txDigest"] == digest]
        return Lookup(TxOutcome(digest=digest, events=events) if events else None, final=True)

    def events_since(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        start = int(cursor or 0)
        page = self.log[start : start + limit]
        return page, str(start + len(page))

    # --- set-up (what other transactions would have done) -----------------------------------------------------

    def add_node(self, address: str) -> int:
        """Register a node for ``address``; its small id."""
        outcome = self.register_node(address)
        return int(outcome.events[0]["parsedJson"]["node_small_id"]["inner"])

    def create_task(self, level: int) -> int:
        task = len(self.tasks) + 1
        self.tasks[task] = level
        data = {
            "task_id": f"0xtask{task}",
            "task_small_id": inner(task),
            "role": inner(0),
            "model_name": f"model-{task}",
            "security_level": inner(level),
            "minimum_reputation_score": None,
        }
        self._emit("0xadmin", [("TaskRegisteredEvent", data)])
        return task

    def create_stack(self, task: int, node: int, units: int = 1000, price: int = 1000, owner: str = "0xproxy") -> int:
        return self._create_stack(task, node, units, price, owner)[0]

    def _create_stack(
        self, task: int, node: int, units: int, price: int, owner: str, digest: str | None = None
    ) -> tuple[int, TxOutcome]:
        with self._lock:
            stack = next(self._stack_ids)
            self.stacks[stack] = {"task": task, "node": node, "units": units, "price": price, "claimed": False}
        data = {
            "owner": owner,
            "stack_id": f"0xstack{stack}",
            "stack_small_id": inner(stack),
            "task_small_id": inner(task),
            "selected_node_id": inner(node),
            "num_compute_units": str(units),
            "price_per_one_million_compute_units": str(price),
        }
        return stack, self._emit(owner, [("StackCreatedEvent", data)], digest)

    # --- the ChainOps port ------------------------------------------------------------------------------------

    def register_node(self, operator: str, gas: GasOptions | None = None) -> TxOutcome:
        with self._lock:
            node = len(self.nodes) + 1
            self.nodes[node] = operator
        return self._emit(
            operator, [("NodeRegisteredEvent", {"badge_id": f"0xbadge{node}", "node_small_id": inner(node)})]
        )

    def operator_calls(
        self,
        operator: str,
        node_small_ids: list[int],
        function: str,
        pure: Sequence[PureArg],
        gas: GasOptions | None = None,
    ) -> TxOutcome:
        self.calls[function] += 1
        # subscriptions are seeded as events (nodeplane_local/harness/network.py)
        return self._abort("ENotModelledByTheFake")

    def admin_call(self, function: str, pure: Sequence[PureArg]) -> TxOutcome:
        self.calls[function] += 1
        return self._abort("ENotModelledByTheFake")  # tasks are created with create_task

    def buy_stack(
        self,
        *,
        task_small_id: int,
        num_compute_units: int,
        price_cap: int,
        purchase_id: str | None = None,
        before_submit: BeforeSubmit | None = None,
    ) -> TxOutcome:
        with self._lock:
            self.calls["buy_stack"] += 1
            self.purchases.append({"task": task_small_id, "units": num_compute_units, "price_cap": price_cap})
        if self.before:
            self.before()
        if self.fail == "raise":
            raise RuntimeError("sui rpc unreachable")
        digest = self._digest()
        if before_submit is not None:
            before_submit(digest)  # raising here sends nothing, as the port promises
        if self.fail == "abort":
            return TxOutcome(digest=digest, ok=False, error="MoveAbort(312012005)")
        node = self.select(task_small_id, price_cap) if self.select else next(iter(self.nodes))
        outcome = self._create_stack(task_small_id, node, num_compute_units, price_cap, "0x" + "99" * 32, digest)[1]
        self._maybe_crash("buy_stack")
        return outcome

    def claim_funds_for_stacks(
        self,
        *,
        operator: str,
        node_small_id: int,
        stack_small_ids: list[int],
        units: list[int],
        guard: Guard | None = None,
    ) -> TxOutcome:
        if guard is not None:  # the guard's writes around the call, as the real port writes them with its leases
            return guarded(
                guard,
                lambda: self.claim_funds_for_stacks(
                    operator=operator, node_small_id=node_small_id, stack_small_ids=stack_small_ids, units=units
                ),
            )
        self.calls["claim_funds_for_stacks"] += 1
        if len(stack_small_ids) != len(units):
            return self._abort("EVectorLengthMismatch")
        if self.nodes.get(node_small_id) != operator:
            return self._abort("ENotBadgeOwner")
        for stack, claimed in zip(stack_small_ids, units, strict=True):
            s = self.stacks[stack]
            if s["node"] != node_small_id or s["claimed"] or claimed > s["units"] or self.tasks[s["task"]] != 1:
                return self._abort("EStackNotClaimable")
        events = []
        for stack, claimed in zip(stack_small_ids, units, strict=True):
            s = self.stacks[stack]
            s["claimed"] = True
            refund = (s["units"] - claimed) * s["price"] // 1_000_000
            self.payments.append(("claim_funds_for_stacks", stack, claimed))
            events.append(
                (
                    "ClaimedStackEvent",
                    {
                        "stack_small_id": inner(stack),
                        "selected_node_id": inner(node_small_id),
                        "num_claimed_compute_units": str(claimed),
                        "user_refund_amount": str(refund),
                    },
                )
            )
        outcome = self._emit(operator, events)
        self._maybe_crash("claim_funds_for_stacks")
        return outcome

    def try_settle_stack(
        self,
        *,
        operator: str,
        node_small_id: int,
        stack_small_id: int,
        units: int,
        proof: bytes,
        leaf: bytes,
        guard: Guard | None = None,
    ) -> TxOutcome:
        if guard is not None:
            return guarded(
                guard,
                lambda: self.try_settle_stack(
                    operator=operator,
                    node_small_id=node_small_id,
                    stack_small_id=stack_small_id,
                    units=units,
                    proof=proof,
                    leaf=leaf,
                ),
            )
        self.calls["try_settle_stack"] += 1
        s = self.stacks.get(stack_small_id)
        if not s or s["node"] != node_small_id or self.nodes.get(node_small_id) != operator:
            return self._abort("ENotStackOwner")
        if units > s["units"] or stack_small_id in self.tickets or len(proof) != 32 or len(leaf) != 32:
            return self._abort("ETicketExistsOrBadProof")
        requested = list(self.sample) if self.tasks[s["task"]] == 2 else []
        n = len(requested)
        self.tickets[stack_small_id] = {
            "node": node_small_id,
            "units": units,
            "requested": requested,
            "proof": bytes(proof),
            "leaves": bytearray(bytes(leaf) + bytes(32 * n)),  # 32·(1+n)
            "attested": [],
            "dispute_epoch": self.current_epoch() + 1,
            "in_dispute": False,
            "claimed": False,
        }
        outcome = self._emit(
            operator,
            [
                (
                    "StackTrySettleEvent",
                    {
                        "stack_small_id": inner(stack_small_id),
                        "selected_node_id": inner(node_small_id),
                        "requested_attestation_nodes": [inner(r) for r in requested],
                        "committed_stack_proof": list(proof),
                        "stack_merkle_leaf": list(leaf),
                        "num_claimed_compute_units": str(units),
                    },
                )
            ],
        )
        self._maybe_crash("try_settle_stack")
        return outcome

    def submit_attestation(
        self,
        *,
        operator: str,
        node_small_id: int,
        stack_small_id: int,
        proof: bytes,
        leaf: bytes,
        guard: Guard | None = None,
    ) -> TxOutcome:
        if guard is not None:
            return guarded(
                guard,
                lambda: self.submit_attestation(
                    operator=operator,
                    node_small_id=node_small_id,
                    stack_small_id=stack_small_id,
                    proof=proof,
                    leaf=leaf,
                ),
            )
        self.calls["submit_attestation"] += 1
        t = self.tickets.get(stack_small_id)
        if not t or self.nodes.get(node_small_id) != operator or node_small_id not in t["requested"]:
            return self._abort("ENotSampled")
        if node_small_id in t["attested"] or t["in_dispute"]:
            return self._abort("EAlreadyAttestedOrInDispute")
        t["attested"].append(node_small_id)
        events: list[tuple[str, dict[str, Any]]] = []
        if bytes(proof) != t["proof"]:
            t["in_dispute"] = True
            events.append(("StackAttestationDisputeEvent", self._dispute(stack_small_id, node_small_id, proof)))
        else:
            slot = t["requested"].index(node_small_id) + 1
            t["leaves"][32 * slot : 32 * (slot + 1)] = bytes(leaf)
            events.append(
                (
                    "NewStackSettlementAttestationEvent",
                    {
                        "stack_small_id": inner(stack_small_id),
                        "attestation_node_id": inner(node_small_id),
                        "committed_stack_proof": list(proof),
                        "stack_merkle_leaf": list(leaf),
                    },
                )
            )
            if len(t["attested"]) == len(t["requested"]):
                if _h(bytes(t["leaves"])) == t["proof"]:
                    events.append(
                        (
                            "StackSettlementTicketEvent",
                            {
                                "stack_small_id": inner(stack_small_id),
                                "selected_node_id": inner(t["node"]),
                                "num_claimed_compute_units": str(t["units"]),
                                "requested_attestation_nodes": [inner(r) for r in t["requested"]],
                                "dispute_settled_at_epoch": str(t["dispute_epoch"]),
                                "committed_stack_proof": list(t["proof"]),
                            },
                        )
                    )
                else:
                    t["in_dispute"] = True
                    events.append(("StackAttestationDisputeEvent", self._dispute(stack_small_id, node_small_id, proof)))
        outcome = self._emit(operator, events)
        self._maybe_crash("submit_attestation")
        return outcome

    def submit_attestations(
        self,
        *,
        operator: str,
        node_small_id: int,
        attestations: list[tuple[int, bytes, bytes]],
        guard: Guard | None = None,
    ) -> TxOutcome:
        """The attestations one by one, their events as one transaction's (stopping at the first abort)."""

        def each() -> TxOutcome:
            events: list[dict[str, Any]] = []
            for stack, proof, leaf in attestations:
                outcome = self.submit_attestation(
                    operator=operator, node_small_id=node_small_id, stack_small_id=stack, proof=proof, leaf=leaf
                )
                if not outcome.ok:
                    return outcome
                events += outcome.events
            return TxOutcome(digest=events[0]["id"]["txDigest"] if events else self._digest(), events=events)

        return guarded(guard, each)

    def _dispute(self, stack: int, attester: int, proof: bytes) -> dict[str, Any]:
        t = self.tickets[stack]
        return {
            "stack_small_id": inner(stack),
            "attestation_commitment": list(proof),
            "attestation_node_id": inner(attester),
            "original_node_id": inner(t["node"]),
            "original_commitment": list(t["proof"]),
        }

    def claim_funds(
        self, *, operator: str, node_small_id: int, ticket_ids: list[int], guard: Guard | None = None
    ) -> TxOutcome:
        if guard is not None:
            return guarded(
                guard, lambda: self.claim_funds(operator=operator, node_small_id=node_small_id, ticket_ids=ticket_ids)
            )
        self.calls["claim_funds"] += 1
        if self.nodes.get(node_small_id) != operator:
            return self._abort("ENotBadgeOwner")
        for stack in ticket_ids:
            t = self.tickets.get(stack)
            if not t or t["node"] != node_small_id or t["claimed"]:
                return self._abort("ETicketNotFound")
            if t["in_dispute"]:
                return self._abort("ETicketInDispute")
            if self.current_epoch() < t["dispute_epoch"]:
                return self._abort("EDisputeWindowNotOver")  # the contract's name
        events = []
        for stack in ticket_ids:
            t = self.tickets[stack]
            t["claimed"] = True
            s = self.stacks[stack]
            s["claimed"] = True
            refund = (s["units"] - t["units"]) * s["price"] // 1_000_000
            self.payments.append(("claim_funds", stack, t["units"]))
            events.append(
                (
                    "StackSettlementTicketClaimedEvent",
                    {
                        "stack_small_id": inner(stack),
                        "selected_node_id": inner(node_small_id),
                        "attestation_nodes": [inner(r) for r in t["requested"]],
                        "num_claimed_compute_units": str(t["units"]),
                        "user_refund_amount": str(refund),
                    },
                )
            )
        outcome = self._emit(operator, events)
        self._maybe_crash("claim_funds")
        return outcome
