"""``atoma::db`` functions for stacks: purchase, settlement, attestation, disputes and claims."""

from __future__ import annotations

from typing import Any

from nodeplane.chain.contract import (
    COMPUTE_UNITS_PER_STACK,
    DISPUTE_WINDOW_EPOCHS,
    EXTRA_ATTESTATION_NODES,
    PROOF_BYTES,
    SecurityLevel,
    coin_type,
    node_fee,
    stack_cost,
)
from nodeplane.chain.ledger.context import Ctx, check, inner
from nodeplane.chain.signatures import blake2b256
from nodeplane.chain.transactions import ObjectRef, SharedObject


def acquire_new_stack_entry(
    ctx: Ctx, coin: ObjectRef, task_small_id: int, num_compute_units: int, price: int, _random: SharedObject
) -> None:
    wallet = ctx.obj(coin.object_id)
    check(wallet["type"] == coin_type(ctx.head["usdc_type"]), "EInvalidCoinType")
    check(num_compute_units > 0, "EInvalidComputeUnits")
    check(price > 0, "EInvalidPrice")
    task = ctx.task(task_small_id)
    check(task["deprecated_at_epoch"] is None, "ETaskDeprecated")
    cost = stack_cost(price, num_compute_units, task["security_level"])
    check(wallet["fields"]["balance"] >= cost, "EInsufficientBalance")
    candidates = [
        s["node_small_id"]
        for s in ctx.subscribers(task_small_id)
        if s["price"] <= price and s["max_units"] >= num_compute_units
    ]
    check(bool(candidates), "ENoNodesEligibleForTask")
    selected = ctx.rng.choice(candidates)
    wallet["fields"]["balance"] -= cost
    ctx.save_obj(wallet)
    ctx.head["treasury"] += cost
    ctx.head["counters"]["stack"] += 1
    small_id = ctx.head["counters"]["stack"]
    stack_badge = ctx.create("StackBadge", ctx.sender, {"stack_small_id": small_id})
    stack = {
        "stack_small_id": small_id,
        "stack_id": stack_badge,
        "owner": ctx.sender,
        "task_small_id": task_small_id,
        "selected_node_id": selected,
        "num_compute_units": num_compute_units,
        "price": price,
        "cost": cost,
        "is_claimed": False,
    }
    ctx.view.put(f"STACK#{small_id}", "STACK", stack)
    ctx.emit(
        "StackCreatedEvent",
        {
            "stack_id": stack_badge,
            "stack_small_id": inner(small_id),
            "owner": ctx.sender,
            "task_small_id": inner(task_small_id),
            "selected_node_id": inner(selected),
            "num_compute_units": str(num_compute_units),
            "price_per_one_million_compute_units": str(price),
        },
    )


def try_settle_stack(
    ctx: Ctx, badge: ObjectRef, stack_small_id: int, claimed: int, proof: bytes, leaf: bytes, _r: SharedObject
) -> None:
    node = ctx.badge_node(badge)
    stack = ctx.stack(stack_small_id)
    check(stack["selected_node_id"] == node["node_small_id"], "ENotStackOwner")
    check(claimed <= stack["num_compute_units"], "ETooManyComputedUnits")
    check(ctx.view.get(f"STACK#{stack_small_id}", "TICKET") is None, "EStackInSettlementAlready")
    check(len(proof) == PROOF_BYTES and len(leaf) == PROOF_BYTES, "EInvalidCommittedStackProof")
    task = ctx.task(stack["task_small_id"])
    attesters: list[int] = []
    if task["security_level"] == SecurityLevel.SAMPLING_CONSENSUS and (
        ctx.rng.randrange(1000) < ctx.cross_validation_permille
    ):
        others = [
            s["node_small_id"]
            for s in ctx.subscribers(stack["task_small_id"])
            if s["node_small_id"] != node["node_small_id"]
        ]
        attesters = ctx.rng.sample(others, min(EXTRA_ATTESTATION_NODES, len(others)))  # no node attests twice
    n = len(attesters)
    ticket = {
        "selected_node_id": node["node_small_id"],
        "num_claimed_compute_units": claimed,
        "requested_attestation_nodes": attesters,
        "attested": [],
        # 32·(1+n): slot 0 is the selected node's, slot i+1 the i-th attester's.
        "committed_stack_proofs": (proof + bytes(PROOF_BYTES * n)).hex(),
        "stack_merkle_leaves": (leaf + bytes(PROOF_BYTES * n)).hex(),
        "dispute_settled_at_epoch": ctx.head["epoch"] + DISPUTE_WINDOW_EPOCHS,
        "is_in_dispute": False,
    }
    ctx.view.put(f"STACK#{stack_small_id}", "TICKET", ticket)
    ctx.emit(
        "StackTrySettleEvent",
        {
            "stack_small_id": inner(stack_small_id),
            "selected_node_id": inner(node["node_small_id"]),
            "requested_attestation_nodes": [inner(a) for a in attesters],
            "committed_stack_proof": list(proof),
            "stack_merkle_leaf": list(leaf),
            "num_claimed_compute_units": str(claimed),
        },
    )


def _dispute(ctx: Ctx, stack_small_id: int, ticket: dict[str, Any], node_id: int, commitment: bytes) -> None:
    ticket["is_in_dispute"] = True
    ctx.view.put(f"STACK#{stack_small_id}", "TICKET", ticket)
    ctx.emit(
        "StackAttestationDisputeEvent",
        {
            "stack_small_id": inner(stack_small_id),
            "attestation_commitment": list(commitment),
            "attestation_node_id": inner(node_id),
            "original_node_id": inner(ticket["selected_node_id"]),
            "original_commitment": list(bytes.fromhex(ticket["committed_stack_proofs"])[:PROOF_BYTES]),
        },
    )


def _require_sampling(ctx: Ctx, stack: dict[str, Any]) -> None:
    level = ctx.task(stack["task_small_id"])["security_level"]
    check(level == SecurityLevel.SAMPLING_CONSENSUS, "ENotSamplingConsensus")


def submit_stack_settlement_attestation(
    ctx: Ctx, badge: ObjectRef, stack_small_id: int, proof: bytes, leaf: bytes
) -> None:
    node = ctx.badge_node(badge)
    ticket = ctx.ticket(stack_small_id)
    check(len(proof) == PROOF_BYTES and len(leaf) == PROOF_BYTES, "EInvalidCommittedStackProof")
    _require_sampling(ctx, ctx.stack(stack_small_id))
    check(ctx.head["epoch"] < ticket["dispute_settled_at_epoch"], "EDisputeWindowClosed")
    check(not ticket["is_in_dispute"], "EStackInDispute")
    nodes = ticket["requested_attestation_nodes"]
    me = node["node_small_id"]
    check(me in nodes and me not in ticket["attested"], "ENodeNotSelectedForAttestation")
    proofs = bytearray.fromhex(ticket["committed_stack_proofs"])
    if proof != bytes(proofs[:PROOF_BYTES]):
        _dispute(ctx, stack_small_id, ticket, me, proof)
        return
    start = PROOF_BYTES * (nodes.index(me) + 1)
    leaves = bytearray.fromhex(ticket["stack_merkle_leaves"])
    leaves[start : start + PROOF_BYTES] = leaf
    proofs[start : start + PROOF_BYTES] = proof
    ticket["stack_merkle_leaves"], ticket["committed_stack_proofs"] = leaves.hex(), proofs.hex()
    ticket["attested"].append(me)
    ctx.view.put(f"STACK#{stack_small_id}", "TICKET", ticket)
    ctx.emit(
        "NewStackSettlementAttestationEvent",
        {
            "stack_small_id": inner(stack_small_id),
            "attestation_node_id": inner(me),
            "committed_stack_proof": list(proof),
            "stack_merkle_leaf": list(leaf),
        },
    )
    if len(ticket["attested"]) == len(nodes):
        if blake2b256(bytes(leaves)) != bytes(proofs[:PROOF_BYTES]):
            _dispute(ctx, stack_small_id, ticket, me, proof)
            return
        ctx.emit(
            "StackSettlementTicketEvent",
            {
                "stack_small_id": inner(stack_small_id),
                "selected_node_id": inner(ticket["selected_node_id"]),
                "num_claimed_compute_units": str(ticket["num_claimed_compute_units"]),
                "requested_attestation_nodes": [inner(a) for a in nodes],
                "dispute_settled_at_epoch": str(ticket["dispute_settled_at_epoch"]),
                "committed_stack_proof": list(proofs[:PROOF_BYTES]),
            },
        )


def start_attestation_dispute(ctx: Ctx, badge: ObjectRef, stack_small_id: int, commitment: bytes) -> None:
    node = ctx.badge_node(badge)
    ticket = ctx.ticket(stack_small_id)
    _require_sampling(ctx, ctx.stack(stack_small_id))
    check(not ticket["is_in_dispute"], "EStackInDispute")
    me = node["node_small_id"]
    # Only nodes involved in the settlement may dispute it (Atoma's package lets any badge holder).
    check(
        me == ticket["selected_node_id"] or me in ticket["requested_attestation_nodes"],
        "ENodeNotSelectedForAttestation",
    )
    _dispute(ctx, stack_small_id, ticket, me, commitment)


def resolve_attestation_dispute(ctx: Ctx, badge: ObjectRef, stack_small_id: int, original_is_correct: bool) -> None:
    ctx.require_admin(badge)
    ticket = ctx.ticket(stack_small_id)
    check(ticket["is_in_dispute"], "EStackNotInDispute")
    stack = ctx.stack(stack_small_id)
    refund = 0
    if original_is_correct:
        ticket["is_in_dispute"] = False
        ctx.view.put(f"STACK#{stack_small_id}", "TICKET", ticket)
    else:
        refund = stack["cost"]
        ctx.pay_usdc(stack["owner"], refund)
        ctx.view.delete(f"STACK#{stack_small_id}", "TICKET")
        ctx.view.delete(f"STACK#{stack_small_id}", "STACK")
    ctx.emit(
        "StackDisputeResolvedEvent",
        {
            "stack_small_id": inner(stack_small_id),
            "selected_node_id": inner(ticket["selected_node_id"]),
            "original_is_correct": original_is_correct,
            "user_refund_amount": str(refund),
        },
    )


def claim_funds(ctx: Ctx, badge: ObjectRef, ticket_ids: list[int]) -> None:
    node = ctx.badge_node(badge)
    total = 0
    for stack_small_id in ticket_ids:
        ticket = ctx.ticket(stack_small_id)
        stack = ctx.stack(stack_small_id)
        check(ticket["selected_node_id"] == node["node_small_id"], "ENotStackOwner")
        check(not ticket["is_in_dispute"], "EStackInDispute")
        check(ctx.head["epoch"] >= ticket["dispute_settled_at_epoch"], "EDisputeWindowNotOver")
        level = ctx.task(stack["task_small_id"])["security_level"]
        fee = node_fee(level, ticket["num_claimed_compute_units"], stack["price"])
        refund = max(stack["cost"] - fee, 0)
        total += fee
        ctx.pay_usdc(stack["owner"], refund)
        ctx.view.delete(f"STACK#{stack_small_id}", "TICKET")
        ctx.view.delete(f"STACK#{stack_small_id}", "STACK")
        ctx.emit(
            "StackSettlementTicketClaimedEvent",
            {
                "stack_small_id": inner(stack_small_id),
                "selected_node_id": inner(node["node_small_id"]),
                "attestation_nodes": [inner(a) for a in ticket["attested"]],
                "num_claimed_compute_units": str(ticket["num_claimed_compute_units"]),
                "user_refund_amount": str(refund),
            },
        )
    ctx.pay_usdc(ctx.sender, total)


def claim_funds_for_stacks(ctx: Ctx, badge: ObjectRef, stack_ids: list[int], units: list[int]) -> None:
    node = ctx.badge_node(badge)
    check(len(stack_ids) == len(units), "EInvalidInput")
    total = 0
    for stack_small_id, claimed in zip(stack_ids, units, strict=True):
        stack = ctx.stack(stack_small_id)
        check(stack["selected_node_id"] == node["node_small_id"], "ENotStackOwner")
        check(not stack["is_claimed"], "EStackAlreadyClaimed")
        check(claimed <= stack["num_compute_units"], "ETooManyComputedUnits")
        level = ctx.task(stack["task_small_id"])["security_level"]
        check(level == SecurityLevel.CONFIDENTIAL, "ENotConfidentialCompute")
        fee = claimed * stack["price"] // COMPUTE_UNITS_PER_STACK
        refund = (stack["num_compute_units"] - claimed) * stack["price"] // COMPUTE_UNITS_PER_STACK
        total += fee
        ctx.pay_usdc(stack["owner"], refund)
        stack["is_claimed"] = True
        ctx.view.put(f"STACK#{stack_small_id}", "STACK", stack)
        ctx.emit(
            "ClaimedStackEvent",
            {
                "stack_small_id": inner(stack_small_id),
                "selected_node_id": inner(node["node_small_id"]),
                "num_claimed_compute_units": str(claimed),
                "user_refund_amount": str(refund),
            },
        )
    ctx.pay_usdc(ctx.sender, total)


def withdraw_fees(ctx: Ctx, badge: ObjectRef) -> None:
    ctx.badge_node(badge)  # fees are paid at claim time on this ledger; nothing is pending
