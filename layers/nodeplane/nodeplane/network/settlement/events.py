"""What each settlement chain event does to the ticket and its stack (registered in network/chain_events.py).

Each handler returns the operations to write with the event's marker in one transaction, and a fallback written
instead when those fail because the effect is already there (the same attestation recorded by another path).
A refund of unused units (ClaimedStackEvent, StackSettlementTicketClaimedEvent, a lost dispute) is credited to
the balance of the user the stack was bought for in that same transaction, never in a fallback: once per event.
``after_apply`` runs once an event's transaction committed and sends the job the new ticket state asks for; if
that send fails, the ticket still carries ``next_action`` and sits in gsi3, so the sweeper sends it.
"""

from __future__ import annotations

from typing import Any

from nodeplane import clock, store
from nodeplane.network import balances, items
from nodeplane.network.projection import event_name, small
from nodeplane.network.settlement import jobs, tickets
from nodeplane.network.settlement.tickets import ATTESTING, COMPLETE, DISPUTED, FAILED, SETTLED
from nodeplane.settings import settings

Ops = tuple[list[store.Op], list[store.Op]]
ZERO32 = "00" * 32


def _hex(value: Any) -> str:
    """A 32-byte value of an event (bytes as a list of numbers, or hex) as hex; zeros when absent."""
    if value is None:
        return ZERO32
    if isinstance(value, str):
        return value.removeprefix("0x")
    return bytes(value).hex()


def _settle_time(event: dict[str, Any]) -> str:
    ms = event.get("timestampMs")
    return clock.iso(int(ms) / 1000) if ms else clock.iso()


def _refund_to_user(stack: int, refund: int, sets: str, values: dict[str, Any]) -> tuple[store.Op, list[store.Op]]:
    """The stack's update (``SET`` + ``sets``) and, when the stack was bought for a user, the unused units the chain
    refunded credited to that user's balance: in the event's transaction, so its marker makes it happen once."""
    item = store.get(items.stack_pk(stack), "STACK") or {}
    user = item.get("user")
    condition = "attribute_exists(pk)"
    credit: list[store.Op] = []
    if user and refund > 0:
        sets += ", user_refund_credited = :credited"
        # defence in depth: one credit per stack, whichever event carries it
        condition += " AND attribute_not_exists(user_refund_credited)"
        values = values | {":credited": refund}
        credit.append(balances.claim_refund_op(str(user), refund))
    op = store.update(items.stack_pk(stack), "STACK", "SET " + sets, condition=condition, values=values, label="stack")
    return op, credit


def try_settle(data: dict[str, Any], event: dict[str, Any]) -> Ops:
    """StackTrySettleEvent: the ticket opens, and its stack enters its settle period in the same transaction."""
    stack, node = small(data["stack_small_id"]), small(data["selected_node_id"])
    stack_item = store.get(items.stack_pk(stack), "STACK") or {}
    item = tickets.sampling_ticket(
        stack,
        node,
        small(data["num_claimed_compute_units"]),
        [small(n) for n in data.get("requested_attestation_nodes") or []],
        proof=_hex(data.get("committed_stack_proof")),
        leaf=_hex(data.get("stack_merkle_leaf")),
        stack_item=stack_item,
        settlement_time=_settle_time(event),
        try_settle_tx=event["id"]["txDigest"],
    )
    put = store.put(item, condition="attribute_not_exists(pk)", label="ticket")
    mark = store.update(
        items.stack_pk(stack),
        "STACK",
        "SET in_settle_period = :t",
        condition="attribute_exists(pk)",
        values={":t": True},
        label="stack",
    )
    return [put, mark], [put]


def attestation(data: dict[str, Any], event: dict[str, Any]) -> Ops:
    """NewStackSettlementAttestationEvent: an attester's proof and leaf, recorded once."""
    stack, attester = small(data["stack_small_id"]), small(data["attestation_node_id"])
    item = tickets.ticket(stack)
    slot = tickets.slot(item, attester)
    if item is None or slot is None:
        return [], []
    proof = _hex(data.get("committed_stack_proof"))
    agrees = proof == item["committed_stack_proofs"][0]
    op = tickets.attestation_update(
        stack, attester, proof, _hex(data.get("stack_merkle_leaf")), event["id"]["txDigest"], agrees=agrees, slot=slot
    )
    # an attestation already recorded (same node, other path) counts once: the fallback records nothing
    return [op], []


def attested_and_settled(attested: dict[str, Any], settled_event: dict[str, Any]) -> list[store.Op] | None:
    """The last attestation and the StackSettlementTicketEvent it caused, in one transaction: both change the
    ticket, so they are one update (None when the attestation is not one nodeplane can record: one by one)."""
    data = attested["parsedJson"]
    stack, attester = small(data["stack_small_id"]), small(data["attestation_node_id"])
    if small(settled_event["parsedJson"]["stack_small_id"]) != stack:
        return None
    item = tickets.ticket(stack)
    slot = tickets.slot(item, attester)
    if item is None or slot is None:
        return None
    proof = _hex(data.get("committed_stack_proof"))
    epoch = settled_event["parsedJson"].get("dispute_settled_at_epoch")
    now = clock.now()
    op = tickets.attestation_update(
        stack,
        attester,
        proof,
        _hex(data.get("stack_merkle_leaf")),
        attested["id"]["txDigest"],
        agrees=proof == item["committed_stack_proofs"][0],
        slot=slot,
        extra=", dispute_settled_at_epoch = :e, settlement_status = :s, next_action = :c, enqueued_at = :now, "
        "gsi3sk = :due",
        extra_values={
            ":e": small(epoch) if epoch is not None else None,
            ":s": SETTLED,
            ":c": "claim",
            ":now": now,
            ":due": items.settlement_due_sk(now + settings().settlement_stall_seconds, stack),
            ":att": ATTESTING,
        },
        condition=" AND settlement_status = :att",
    )
    return [op]


def dispute(data: dict[str, Any], event: dict[str, Any]) -> Ops:
    """StackAttestationDisputeEvent: the dispute is recorded and an attesting ticket becomes Disputed."""
    stack, attester = small(data["stack_small_id"]), small(data["attestation_node_id"])
    now = clock.now()
    record = store.put(
        {
            "pk": items.stack_pk(stack),
            "sk": items.dispute_sk(attester),
            "entity": "attestation_dispute",
            "stack_small_id": stack,
            "attestation_node_id": attester,
            "original_node_id": small(data["original_node_id"]),
            "attestation_commitment": _hex(data.get("attestation_commitment")),
            "original_commitment": _hex(data.get("original_commitment")),
            "opened_at": clock.iso(),
        }
    )
    dispute_set = (
        ", is_in_dispute = :t, settlement_status = :d, next_action = :r, dispute_opened_at = :now, "
        "resolve_by = :by, gsi3pk = :g3, gsi3sk = :g3s, enqueued_at = :now"
    )
    dispute_values = {
        ":t": True,
        ":d": DISPUTED,
        ":r": "resolve",
        ":by": now + settings().dispute_resolution_seconds,
        ":g3": items.SETTLEMENTS,
        ":g3s": items.settlement_due_sk(now, stack),
        ":now": now,
    }
    if (tickets.ticket(stack) or {}).get("settlement_status") != ATTESTING:
        return [record], [record]
    op = tickets.attestation_update(
        stack,
        attester,
        _hex(data.get("attestation_commitment")),
        ZERO32,
        event["id"]["txDigest"],
        agrees=False,
        slot=None,
        extra=dispute_set,
        extra_values={**dispute_values, ":att": ATTESTING},
        condition=" AND settlement_status = :att",
    )
    # the attester was recorded already (the chain's final check failed after its leaf): mark the dispute only
    fallback = store.update(
        items.stack_pk(stack),
        "TICKET",
        "SET " + dispute_set.lstrip(", "),
        condition="attribute_exists(pk) AND settlement_status = :att",
        values={**dispute_values, ":att": ATTESTING},
    )
    return [record, op], [record, fallback]


def settled(data: dict[str, Any], event: dict[str, Any]) -> Ops:
    """StackSettlementTicketEvent: every attestation agreed; the ticket is Settled and waits to be claimed."""
    stack = small(data["stack_small_id"])
    epoch = data.get("dispute_settled_at_epoch")
    values: dict[str, Any] = {":e": small(epoch) if epoch is not None else None, ":s": SETTLED, ":att": ATTESTING}
    values |= {":c": "claim", ":now": clock.now()}
    values[":due"] = items.settlement_due_sk(clock.now() + settings().settlement_stall_seconds, stack)
    op = store.update(
        items.stack_pk(stack),
        "TICKET",
        "SET dispute_settled_at_epoch = :e, settlement_status = :s, next_action = :c, progress_at = :now, "
        "enqueued_at = :now, gsi3sk = :due",
        condition="attribute_exists(pk) AND settlement_status = :att",
        values=values,
    )
    return [op], []


def dispute_resolved(data: dict[str, Any], event: dict[str, Any]) -> Ops:
    """StackDisputeResolvedEvent, the local ledger's admin resolution (the atoma::db contract has none): the node
    was right, or the stack's owner is refunded."""
    stack = small(data["stack_small_id"])
    now = clock.now()
    if data.get("original_is_correct"):
        op = store.update(
            items.stack_pk(stack),
            "TICKET",
            "SET is_in_dispute = :f, settlement_status = :s, dispute_resolution = :o, resolved_by = :b, "
            "next_action = :c, progress_at = :now, enqueued_at = :now, gsi3pk = :g3, gsi3sk = :due",
            condition="attribute_exists(pk) AND settlement_status IN (:d, :s)",
            values={
                ":f": False,
                ":s": SETTLED,
                ":o": "node",
                ":b": "chain",
                ":c": "claim",
                ":now": now,
                ":g3": items.SETTLEMENTS,
                ":due": items.settlement_due_sk(now + settings().settlement_stall_seconds, stack),
                ":d": DISPUTED,
            },
        )
        return [op], []
    refund = small(data.get("user_refund_amount", 0))
    expression, values = tickets.close(
        FAILED,
        ", failure_reason = :why, dispute_resolution = :o, resolved_by = :b, is_in_dispute = :f, "
        "user_refund_amount = :r",
        {":why": "dispute lost (chain)", ":o": "attesters", ":b": "chain", ":f": False, ":r": refund},
    )
    ticket_op = store.update(
        items.stack_pk(stack),
        "TICKET",
        expression,
        condition="attribute_exists(pk) AND settlement_status <> :done",
        values=values | {":done": COMPLETE},
    )
    # the chain removed the stack and refunded its owner (the stack's user, when nodeplane bought it for one)
    stack_op, credit = _refund_to_user(
        stack,
        refund,
        "in_settle_period = :f, is_locked_for_claim = :f, is_locked = :t, user_refund_amount = :r",
        {":f": False, ":t": True, ":r": refund},
    )
    return [ticket_op, stack_op, *credit], []


def ticket_claimed(data: dict[str, Any], event: dict[str, Any]) -> Ops:
    """StackSettlementTicketClaimedEvent (claim_funds): the ticket is Complete and the stack claimed."""
    stack = small(data["stack_small_id"])
    refund = small(data.get("user_refund_amount", 0))
    expression, values = tickets.close(
        COMPLETE,
        ", is_claimed = :t, user_refund_amount = :r, claim_tx = :tx",
        {":t": True, ":r": refund, ":tx": event["id"]["txDigest"]},
    )
    op = store.update(items.stack_pk(stack), "TICKET", expression, condition="attribute_exists(pk)", values=values)
    stack_op, credit = _refund_to_user(
        stack,
        refund,
        "is_claimed = :t, in_settle_period = :f, user_refund_amount = :r",
        {":t": True, ":f": False, ":r": refund},
    )
    return [op, stack_op, *credit], [op]


def stack_claimed(data: dict[str, Any], event: dict[str, Any]) -> Ops:
    """ClaimedStackEvent (claim_funds_for_stacks): the confidential ticket is Complete, or written Complete when
    the stack was claimed outside nodeplane's claim path."""
    stack, node = small(data["stack_small_id"]), small(data["selected_node_id"])
    units, refund = small(data["num_claimed_compute_units"]), small(data.get("user_refund_amount", 0))
    stack_op, credit = _refund_to_user(
        stack, refund, "is_claimed = :t, is_locked = :t, user_refund_amount = :r", {":t": True, ":r": refund}
    )
    existing = tickets.ticket(stack)
    if existing is None:
        # claimed outside nodeplane's claim path: record it so claimed_stacks shows it
        item = tickets.confidential_ticket(stack, node, units, (store.get(items.stack_pk(stack), "STACK") or {}))
        item |= {"settlement_status": COMPLETE, "is_claimed": True, "user_refund_amount": refund}
        item |= {"claim_tx": event["id"]["txDigest"], "settlement_time": _settle_time(event)}
        for k in ("next_action", "gsi3pk", "gsi3sk"):
            item.pop(k, None)
        ticket_op = store.put(item, condition="attribute_not_exists(pk)")
    else:
        expression, values = tickets.close(
            COMPLETE,
            ", is_claimed = :t, user_refund_amount = :r, claim_tx = :tx, num_claimed_compute_units = :u",
            {":t": True, ":r": refund, ":tx": event["id"]["txDigest"], ":u": units},
        )
        ticket_op = store.update(
            items.stack_pk(stack), "TICKET", expression, condition="attribute_exists(pk)", values=values
        )
    return [stack_op, ticket_op, *credit], [ticket_op]


def _next_job(name: str, data: dict[str, Any]) -> str | None:
    """The work an event leaves its ticket with (what its handler wrote as ``next_action``), None for none."""
    if name == "StackTrySettleEvent":
        return "attest" if data.get("requested_attestation_nodes") else "claim"
    if name == "StackSettlementTicketEvent":
        return "claim"
    if name == "StackAttestationDisputeEvent":
        return "resolve"
    if name == "StackDisputeResolvedEvent" and data.get("original_is_correct"):
        return "claim"
    return None


# the events that may end a settlement, and how when the event alone says it (None: the ticket says)
_ENDS = {
    "StackSettlementTicketClaimedEvent": COMPLETE,
    "ClaimedStackEvent": COMPLETE,
    "StackAttestationDisputeEvent": None,
    "StackDisputeResolvedEvent": None,
}


def after_apply(event: dict[str, Any]) -> None:
    """Once the event's transaction committed: count a settlement it ended; send the job the new state asks for
    (a claim when its dispute window closes). A job that is lost is sent by the sweeper: the ticket keeps
    ``next_action`` and its place in gsi3."""
    name = event_name(event)
    data = event["parsedJson"]
    stack = small(data["stack_small_id"]) if "stack_small_id" in data else None
    if stack is None:
        return
    if name in _ENDS:
        tickets.ended(stack, _ENDS[name])
    action = _next_job(name, data)
    if action is None:
        return
    wait = 0.0
    if name == "StackTrySettleEvent" and action == "claim":
        wait = settings().settlement_window_seconds  # the ticket was opened just now
    elif name == "StackSettlementTicketEvent":
        item = tickets.ticket(stack) or {}  # the worker's step has it in memory already (store.known)
        wait = float(item.get("claimable_at", 0)) - clock.now()
    # a job that comes too early (the worker's window is a stand-in for the chain's epoch) is sent again later
    jobs.enqueue(stack, action, delay_seconds=min(900, int(wait) + 1) if wait > 0 else 0)
