"""The settlement ticket (``STACK#<stack>`` / ``TICKET``, beside its stack): reads, the view the daemon API answers
with, the item's two shapes, and the writes that build or change it. Every write is conditional on the state it
expects (the state table is in settlement/__init__.py)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from nodeplane import clock, metrics, store
from nodeplane.network import items, operators
from nodeplane.network.settlement import jobs
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

ATTESTING, SETTLED, DISPUTED, CLAIMING, COMPLETE, FAILED = (
    "Attesting",
    "Settled",
    "Disputed",
    "Claiming",
    "Complete",
    "Failed",
)


# --- reading -------------------------------------------------------------------------------------------------------


def ticket(stack_small_id: int, *, remembered: bool = True) -> dict[str, Any] | None:
    """The ticket (a step's copy when inside its store.known block, unless ``remembered`` is False)."""
    return store.get(items.stack_pk(stack_small_id), "TICKET", remembered=remembered)


def node_tickets(node_small_id: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        rows, cursor = store.query(
            "gsi1pk", items.node_tickets_pk(node_small_id), sk_name="gsi1sk", index="gsi1", limit=100, cursor=cursor
        )
        out.extend(rows)
        if not cursor:
            return out


def claimed_stacks(tenant: str, node_small_id: int | None = None) -> list[dict[str, Any]]:
    """The operator's settlement tickets, for all its nodes or one (404 when that node is not theirs)."""
    address = operators.operator_address(tenant)
    if node_small_id is not None:
        operators.owned_node(address, node_small_id)
        nodes = [node_small_id]
    else:
        nodes = operators.operator_node_ids(address) if address else []
    return [claimed_stack_view(t) for n in nodes for t in node_tickets(n)]


def attestation_status(item: dict[str, Any]) -> str:
    status = item.get("settlement_status")
    if status == FAILED:
        return "Failed"
    if status in (SETTLED, COMPLETE, CLAIMING) and not item.get("is_in_dispute"):
        return "Complete"
    if item.get("dispute_resolution") == "node":
        return "Complete"
    return "Pending"


def claimed_stack_view(item: dict[str, Any]) -> dict[str, Any]:
    """A ticket as the node daemon's ClaimedStack names its fields, exactly those."""
    return {
        "stack_small_id": int(item["stack_small_id"]),
        "stack_id": str(item.get("stack_id") or ""),
        "selected_node_id": int(item["selected_node_id"]),
        "num_claimed_compute_units": int(item.get("num_claimed_compute_units", 0)),
        "settlement_time": str(item.get("settlement_time", "")),
        "attestation_status": attestation_status(item),
        "requested_attestation_nodes": json.dumps(
            [int(n) for n in item.get("requested_attestation_nodes", [])], separators=(",", ":")
        ),
        "received_attestations": int(item.get("received_attestations", 0)),
        "required_attestations": int(item.get("required_attestations", 0)),
        "settlement_complete": item.get("settlement_status") == COMPLETE,
    }


def slot(item: dict[str, Any] | None, attester: int) -> int | None:
    """The attester's slot in the proof and leaf buffers (slot 0 is the selected node's), if it was sampled."""
    requested = [int(n) for n in (item or {}).get("requested_attestation_nodes", [])]
    return requested.index(attester) + 1 if attester in requested else None


# --- the item ------------------------------------------------------------------------------------------------------


def open_fields(stack: int, status: str, action: str, now: float) -> dict[str, Any]:
    """An open ticket: its state, the work left, and its place in the sweeper's index."""
    return {
        "settlement_status": status,
        "next_action": action,
        "enqueued_at": now,
        "progress_at": now,
        "gsi3pk": items.SETTLEMENTS,
        "gsi3sk": items.settlement_due_sk(now + settings().settlement_stall_seconds, stack),
    }


def sampling_ticket(
    stack: int,
    node: int,
    units: int,
    requested: list[int],
    *,
    proof: str,
    leaf: str,
    stack_item: dict[str, Any],
    settlement_time: str,
    try_settle_tx: str,
) -> dict[str, Any]:
    """The ticket try_settle_stack opens: Attesting when attestation nodes were sampled, else Settled."""
    now = clock.now()
    status, action = (ATTESTING, "attest") if requested else (SETTLED, "claim")
    zero = "00" * 32
    return {
        "pk": items.stack_pk(stack),
        "sk": "TICKET",
        "entity": "settlement_ticket",
        "kind": "sampling",
        "stack_small_id": stack,
        "stack_id": stack_item.get("stack_id") or "",
        "selected_node_id": node,
        "num_claimed_compute_units": units,
        "requested_attestation_nodes": requested,
        # buffers sized 32·(1+n), as the contract's: slot 0 is the selected node's, slot i+1 the i-th attester's
        "committed_stack_proofs": [proof] + [zero] * len(requested),
        "stack_merkle_leaves": [leaf] + [zero] * len(requested),
        "attestations": {},
        "already_attested_nodes": [],
        "received_attestations": 0,
        "required_attestations": len(requested),
        "is_in_dispute": False,
        "is_claimed": False,
        "user_refund_amount": 0,
        "settlement_time": settlement_time,
        "created_ts": now,
        "claimable_at": now + settings().settlement_window_seconds,
        "deadline": now + settings().settlement_deadline_seconds,
        "try_settle_tx": try_settle_tx,
        "gsi1pk": items.node_tickets_pk(node),
        "gsi1sk": items.small_id_sk(stack),
        **open_fields(stack, status, action, now),
    }


def confidential_ticket(stack: int, node: int, units: int, stack_item: dict[str, Any]) -> dict[str, Any]:
    """The ticket of a confidential stack's claim (claim_funds_for_stacks): Claiming until the chain confirms it."""
    now = clock.now()
    return {
        "pk": items.stack_pk(stack),
        "sk": "TICKET",
        "entity": "settlement_ticket",
        "kind": "confidential",
        "stack_small_id": stack,
        "stack_id": stack_item.get("stack_id") or "",
        "selected_node_id": node,
        "num_claimed_compute_units": units,
        "requested_attestation_nodes": [],
        "attestations": {},
        "already_attested_nodes": [],
        "received_attestations": 0,
        "required_attestations": 0,
        "is_in_dispute": False,
        "is_claimed": False,
        "user_refund_amount": 0,
        "settlement_time": clock.iso(now),
        "created_ts": now,
        "claimable_at": now,
        "deadline": now + settings().settlement_deadline_seconds,
        "gsi1pk": items.node_tickets_pk(node),
        "gsi1sk": items.small_id_sk(stack),
        **open_fields(stack, CLAIMING, "claim_stack", now),
    }


def close(status: str, extra_sets: str = "", values: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """The update expression that ends a ticket in ``status``: no work left, out of the sweeper's index."""
    expression = "SET settlement_status = :st, closed_at = :now" + extra_sets
    expression += " REMOVE next_action, gsi3pk, gsi3sk"
    return expression, {":st": status, ":now": clock.iso(), **(values or {})}


def attestation_update(
    stack: int,
    attester: int,
    proof: str,
    leaf_hex: str,
    tx: str,
    *,
    agrees: bool,
    slot: int | None,
    extra: str = "",
    extra_values: dict[str, Any] | None = None,
    condition: str = "",
) -> store.Op:
    """Record one attestation (and, with ``slot``, its proof and leaf in the buffers); it counts once."""
    sets = [
        "#att.#n = :a",
        "already_attested_nodes = list_append(already_attested_nodes, :nl)",
        "progress_at = :now",
    ]
    values: dict[str, Any] = {
        ":a": {"proof": proof, "leaf": leaf_hex, "tx": tx, "agrees": agrees, "at": clock.iso()},
        ":nl": [attester],
        ":now": clock.now(),
        ":one": 1,
        **(extra_values or {}),
    }
    if slot is not None:
        sets += [f"stack_merkle_leaves[{slot}] = :leaf", f"committed_stack_proofs[{slot}] = :proof"]
        values |= {":leaf": leaf_hex, ":proof": proof}
    expression = "SET " + ", ".join(sets) + extra + " ADD received_attestations :one"
    return store.update(
        items.stack_pk(stack),
        "TICKET",
        expression,
        # an attestation counts once, whichever path (worker, API, poller) records it first
        condition="attribute_exists(pk) AND attribute_not_exists(#att.#n)" + condition,
        names={"#att": "attestations", "#n": f"n{attester}"},
        values=values,
        label="ticket",
    )


# --- nodeplane's writes --------------------------------------------------------------------------------------------


def touch(stack: int, *, next_check: float) -> None:
    """Record progress and when the sweeper should look again (only while work is left)."""
    with contextlib.suppress(TransactionFailed):
        store.transact(
            [
                store.update(
                    items.stack_pk(stack),
                    "TICKET",
                    "SET progress_at = :now, gsi3sk = :due",
                    condition="attribute_exists(next_action)",
                    values={":now": clock.now(), ":due": items.settlement_due_sk(next_check, stack)},
                )
            ]
        )


def note_error(stack: int, error: str) -> None:
    with contextlib.suppress(TransactionFailed):
        store.transact(
            [
                store.update(
                    items.stack_pk(stack),
                    "TICKET",
                    "SET last_error = :e",
                    condition="attribute_exists(pk)",
                    values={":e": error},
                )
            ]
        )


def ended(stack_small_id: int, status: str | None = None) -> None:
    """Count a settlement that just ended (Complete or Failed) and its age; ``status`` when the caller knows how it
    ended (the ticket's age never changes, so a step's copy of the ticket serves), else from the ticket as written."""
    if status is None:
        item = ticket(stack_small_id, remembered=False) or {}
        status = str(item.get("settlement_status", ""))
    else:
        item = ticket(stack_small_id) or {}
    if status not in (COMPLETE, FAILED):
        return
    dims = {"Outcome": status}
    metrics.add("Settlements", dimensions=dims)
    if "created_ts" in item:
        metrics.add(
            "SettlementAgeSeconds", round(clock.now() - float(item["created_ts"]), 3), "Seconds", dimensions=dims
        )


def fail(stack_small_id: int, reason: str, *, resolution: str | None = None) -> bool:
    """Move an open ticket to Failed; False when it was not open (any more)."""
    expression, values = close(FAILED, ", failure_reason = :why", {":why": reason})
    if resolution:
        expression = expression.replace(" REMOVE", ", dispute_resolution = :res REMOVE")
        values[":res"] = resolution
    values |= {":a": ATTESTING, ":s": SETTLED, ":d": DISPUTED, ":c": CLAIMING}
    try:
        store.transact(
            [
                store.update(
                    items.stack_pk(stack_small_id),
                    "TICKET",
                    expression,
                    condition="settlement_status IN (:a, :s, :d, :c)",
                    values=values,
                ),
                # the stack leaves its settle period (and a confidential claim's lock on new requests) so it
                # is not stuck behind a dead ticket
                store.update(
                    items.stack_pk(stack_small_id),
                    "STACK",
                    "SET in_settle_period = :f, is_locked_for_claim = :f",
                    condition="attribute_exists(pk)",
                    values={":f": False},
                ),
            ]
        )
    except TransactionFailed:
        return False
    ended(stack_small_id, FAILED)
    return True


def resolve_dispute(stack_small_id: int, outcome: str, *, by: str = "admin") -> None:
    """Settle a dispute: ``node`` lets the claim go ahead, ``attesters`` fails the settlement."""
    if outcome not in ("node", "attesters"):
        raise ValueError("outcome is 'node' or 'attesters'")
    if outcome == "attesters":
        fail(stack_small_id, f"dispute lost ({by})", resolution=outcome)
        return
    with contextlib.suppress(TransactionFailed):
        store.transact(
            [
                store.update(
                    items.stack_pk(stack_small_id),
                    "TICKET",
                    "SET settlement_status = :s, dispute_resolution = :o, resolved_by = :b, next_action = :c, "
                    "progress_at = :now",
                    condition="settlement_status = :d",
                    values={":s": SETTLED, ":o": outcome, ":b": by, ":c": "claim", ":now": clock.now(), ":d": DISPUTED},
                )
            ]
        )


def detect_disagreement(item: dict[str, Any]) -> bool:
    """An attestation that disagrees with the commitment opens a dispute even if the chain did not say so."""
    if item["settlement_status"] != ATTESTING:
        return False
    if not any(not a.get("agrees", True) for a in item.get("attestations", {}).values()):
        return False
    now = clock.now()
    with contextlib.suppress(TransactionFailed):
        store.transact(
            [
                store.update(
                    items.stack_pk(int(item["stack_small_id"])),
                    "TICKET",
                    "SET is_in_dispute = :t, settlement_status = :d, next_action = :r, dispute_opened_at = :now, "
                    "resolve_by = :by",
                    condition="settlement_status = :att",
                    values={
                        ":t": True,
                        ":d": DISPUTED,
                        ":r": "resolve",
                        ":now": now,
                        ":by": now + settings().dispute_resolution_seconds,
                        ":att": ATTESTING,
                    },
                )
            ]
        )
    return True


# a confidential claim ticket is new, or replaces one whose claim failed (the chain rejected it)
_NEW_CLAIM = "attribute_not_exists(pk) OR settlement_status = :failed"


def open_confidential_claim(stack: int, node: int, units: int) -> dict[str, Any] | None:
    """The ticket of an operator's own confidential claim (as written, or {} when one is open already); None when
    the stack no longer allows the claim (a lock was reserved, or fewer units are recorded than ``units``).

    As for an automatic claim, the stack is marked ``is_locked_for_claim`` in the same transaction, conditional on
    no units being locked and at least ``units`` recorded by usage reports: no new lock can be served from it.
    """
    stack_item = store.get(items.stack_pk(stack), "STACK") or {}
    item = confidential_ticket(stack, node, units, stack_item)
    try:
        store.transact(
            [
                store.put(item, condition=_NEW_CLAIM, values={":failed": FAILED}, label="ticket"),
                store.update(
                    items.stack_pk(stack),
                    "STACK",
                    "SET is_locked_for_claim = :t",
                    condition="locked_compute_units = :zero AND NOT is_claimed = :t AND already_computed_units >= :u",
                    values={":t": True, ":zero": 0, ":u": units},
                    label="stack",
                ),
            ]
        )
    except TransactionFailed as exc:
        return {} if exc.failed("stack") is None else None  # only the ticket's condition failed: one is open
    return item


def request_confidential_claim(stack_small_id: int) -> bool:
    """Open a confidential claim ticket (outbox) and send its job; False when one exists or a lock is in flight.

    The stack is marked ``is_locked_for_claim`` in the same transaction, conditional on no units being locked,
    so a lock reserved meanwhile wins and the next usage report re-checks.
    """
    stack_item = store.get(items.stack_pk(stack_small_id), "STACK")
    if not stack_item or stack_item.get("is_claimed"):
        return False
    item = confidential_ticket(
        stack_small_id,
        int(stack_item["selected_node_id"]),
        int(stack_item.get("already_computed_units", 0)),
        stack_item,
    )
    try:
        store.transact(
            [
                store.put(item, condition=_NEW_CLAIM, values={":failed": FAILED}),
                store.update(
                    items.stack_pk(stack_small_id),
                    "STACK",
                    "SET is_locked_for_claim = :t",
                    condition="locked_compute_units = :zero AND is_claimed = :f AND already_computed_units = :u",
                    values={":t": True, ":zero": 0, ":f": False, ":u": item["num_claimed_compute_units"]},
                ),
            ]
        )
    except TransactionFailed:
        return False
    jobs.enqueue(stack_small_id, "claim_stack")
    return True
