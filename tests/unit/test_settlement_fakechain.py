"""A fake ChainOps that emulates the `atoma::db` settlement rules well enough, plus checks of the fake itself.

Events come out in Sui's JSON shape (small ids as {"inner": "12"}, bytes as arrays of numbers), in one
ordered log that ``events_since`` pages through like the real chain client. Every call is counted, every
payment recorded, so tests can prove nothing ran or paid twice. ``crash_after[name] = k`` makes the next k
calls of ``name`` apply their effects and then raise, like a Lambda killed after the transaction landed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from nodeplane.network.chainops import TxOutcome

PKG = "0x" + "ab" * 32


def _h(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def inner(n: int) -> dict[str, str]:
    return {"inner": str(n)}


@dataclass
class FakeChain:
    epoch: int = 1
    epoch_seconds: int | None = None  # when set, epochs also advance with nodeplane's clock
    sample: list[int] = field(default_factory=list)  # attestation nodes try_settle will "draw"
    nodes: dict[int, str] = field(default_factory=dict)  # small id -> registering address
    tasks: dict[int, int] = field(default_factory=dict)  # small id -> security level
    stacks: dict[int, dict[str, Any]] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    payments: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, stack, units)
    crash_after: Counter[str] = field(default_factory=Counter)
    _tx: int = 0

    def current_epoch(self) -> int:
        from nodeplane import clock

        return self.epoch + (int(clock.now() // self.epoch_seconds) if self.epoch_seconds else 0)

    # --- plumbing -----------------------------------------------------------------------------------------------

    def _emit(self, sender: str, events: list[tuple[str, dict[str, Any]]]) -> TxOutcome:
        self._tx += 1
        digest = f"FakeTx{self._tx:06d}"
        out = []
        for seq, (name, data) in enumerate(events):
            out.append(
                {
                    "id": {"txDigest": digest, "eventSeq": str(seq)},
                    "packageId": PKG,
                    "transactionModule": "db",
                    "sender": sender,
                    "type": f"{PKG}::db::{name}",
                    "parsedJson": data,
                    "timestampMs": str(1795000000000 + self._tx),
                }
            )
        self.log.extend(out)
        return TxOutcome(digest=digest, events=out)

    def _abort(self, code: str) -> TxOutcome:
        self._tx += 1
        return TxOutcome(digest=f"FakeTx{self._tx:06d}", ok=False, error=code)

    def _maybe_crash(self, name: str) -> None:
        if self.crash_after[name] > 0:
            self.crash_after[name] -= 1
            raise ConnectionError(f"{name}: connection reset after submission")

    def events_since(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        start = int(cursor or 0)
        page = self.log[start : start + limit]
        return page, str(start + len(page))

    # --- set-up (what other transactions would have done) -----------------------------------------------------

    def register_node(self, address: str) -> int:
        node = len(self.nodes) + 1
        self.nodes[node] = address
        self._emit(address, [("NodeRegisteredEvent", {"badge_id": f"0xbadge{node}", "node_small_id": inner(node)})])
        return node

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
        stack = len(self.stacks) + 1
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
        self._emit(owner, [("StackCreatedEvent", data)])
        return stack

    # --- the ChainOps port ------------------------------------------------------------------------------------

    def buy_stack(self, *, task_small_id: int, num_compute_units: int, price_cap: int) -> TxOutcome:
        node = next(iter(self.nodes))
        self.create_stack(task_small_id, node, num_compute_units, price_cap)
        return TxOutcome(digest=self.log[-1]["id"]["txDigest"], events=[self.log[-1]])

    def claim_funds_for_stacks(
        self, *, operator: str, node_small_id: int, stack_small_ids: list[int], units: list[int]
    ) -> TxOutcome:
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
        self, *, operator: str, node_small_id: int, stack_small_id: int, units: int, proof: bytes, leaf: bytes
    ) -> TxOutcome:
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
        self, *, operator: str, node_small_id: int, stack_small_id: int, proof: bytes, leaf: bytes
    ) -> TxOutcome:
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

    def _dispute(self, stack: int, attester: int, proof: bytes) -> dict[str, Any]:
        t = self.tickets[stack]
        return {
            "stack_small_id": inner(stack),
            "attestation_commitment": list(proof),
            "attestation_node_id": inner(attester),
            "original_node_id": inner(t["node"]),
            "original_commitment": list(t["proof"]),
        }

    def claim_funds(self, *, operator: str, node_small_id: int, ticket_ids: list[int]) -> TxOutcome:
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
                return self._abort("EDisputeWindowNotOver")  # db.move's name
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


# --- the fake keeps the contract's rules --------------------------------------------------------------------------


def test_fake_final_check_accepts_the_documented_proof_scheme():
    from nodeplane.network.settlement import proofs

    chain = FakeChain(sample=[2])
    a, b = "0x" + "01" * 32, "0x" + "02" * 32
    assert chain.register_node(a) == 1 and chain.register_node(b) == 2
    stack = chain.create_stack(chain.create_task(2), 1)
    proof, leaf0 = proofs.committed_proof(stack, 700), proofs.leaf(stack, 700, 0)
    assert chain.try_settle_stack(
        operator=a, node_small_id=1, stack_small_id=stack, units=700, proof=proof, leaf=leaf0
    ).ok
    out = chain.submit_attestation(
        operator=b, node_small_id=2, stack_small_id=stack, proof=proof, leaf=proofs.leaf(stack, 700, 1)
    )
    assert out.event("StackSettlementTicketEvent") is not None
    assert not chain.claim_funds(operator=a, node_small_id=1, ticket_ids=[stack]).ok  # window still open
    chain.epoch += 1
    assert chain.claim_funds(operator=a, node_small_id=1, ticket_ids=[stack]).ok
    assert not chain.claim_funds(operator=a, node_small_id=1, ticket_ids=[stack]).ok  # never pays twice
    assert chain.payments == [("claim_funds", stack, 700)]


def test_fake_disputes_a_disagreeing_attestation():
    from nodeplane.network.settlement import proofs

    chain = FakeChain(sample=[2])
    a, b = "0x" + "01" * 32, "0x" + "02" * 32
    chain.register_node(a), chain.register_node(b)
    stack = chain.create_stack(chain.create_task(2), 1)
    chain.try_settle_stack(
        operator=a,
        node_small_id=1,
        stack_small_id=stack,
        units=900,
        proof=proofs.committed_proof(stack, 900),
        leaf=proofs.leaf(stack, 900, 0),
    )
    out = chain.submit_attestation(
        operator=b,
        node_small_id=2,
        stack_small_id=stack,
        proof=proofs.committed_proof(stack, 400),
        leaf=proofs.leaf(stack, 400, 1),
    )
    assert out.event("StackAttestationDisputeEvent") is not None
    chain.epoch += 5
    assert chain.claim_funds(operator=a, node_small_id=1, ticket_ids=[stack]).error == "ETicketInDispute"
