"""Stack settlement: tickets, attestations, disputes and claims, driven through SQS with DynamoDB as the truth.

Items (single table, all under the stack's partition ``STACK#<stack>``, next to its ``STACK`` item):

| item                | sk                 | gsi1 (pk / sk)               | gsi3 (pk / sk)                      |
|---------------------|--------------------|------------------------------|-------------------------------------|
| settlement ticket   | TICKET             | NTICKET#<node> / <stack:012> | items.SETTLEMENTS / <due:012>#<stack:012> |
| attestation dispute | DISPUTE#<node:012> |                              |                                     |
| chain step guard    | STEP#<name>        |                              |                                     |

A ticket is in gsi3 only while it has work left (``next_action`` set), sorted by the time the sweeper
should look at it again, so the sweeper reads just the due ones. The SQS message is a pointer
``{"kind": "settle", "stack_small_id": n, "action": next_action}``; the worker always re-reads the ticket.

Ticket states (``settlement_status``), each write conditional on the current one:

| from      | to                 | by                                                              |
|-----------|--------------------|-----------------------------------------------------------------|
| (none)    | Attesting/Settled  | StackTrySettleEvent (Settled when no attestation node sampled)  |
| (none)    | Claiming           | a confidential claim (auto-claim at 95% or POST claim_stacks)   |
| Attesting | Settled            | StackSettlementTicketEvent (all attestations agree)             |
| Attesting | Disputed           | StackAttestationDisputeEvent, or a disagreeing attestation      |
| Disputed  | Settled / Failed   | resolution: majority of votes, an admin, or the deadline        |
| Disputed  | Settled / Failed   | StackDisputeResolvedEvent (the local ledger's admin resolution) |
| Settled   | Complete           | StackSettlementTicketClaimedEvent (claim_funds)                 |
| Claiming  | Complete           | ClaimedStackEvent (claim_funds_for_stacks)                      |
| any open  | Failed             | the sweeper, when the settlement deadline passed                |

Proof scheme (pitfall 8 of the reference: its committed proof could never verify). Everyone derives
``c = blake2b256("nodeplane/stack/v1" ‖ stack u64le ‖ units u64le)``, ``leaf_i = blake2b256(i u64le ‖ c)``
and ``proof = blake2b256(leaf_0 ‖ … ‖ leaf_E)`` with E = 1, the contract's number of extra attestation
nodes. The selected node commits ``(proof, leaf_0)``; the attester in slot i submits ``(proof, leaf_i)``
computed from nodeplane's own count of the stack's units. The chain's final check
``blake2b256(all leaves) == committed proof`` therefore holds exactly when everyone agrees on the units.

Dispute window: on chain it is ``epoch >= dispute_settled_at_epoch`` (try_settle epoch + 1). nodeplane
has no epoch clock, so it waits ``SETTLEMENT_WINDOW_SECONDS`` after the ticket (the local stand-in for
one epoch; set it to the epoch length in AWS); when the chain still answers ``EDisputeWindowNotOver`` the
worker looks again a window later (the local ledger's epoch turns with `nodeplane-local admin advance-epoch`).

Dispute resolution (the contract has none): each attester's vote is whether its proof equals the
committed one; the selected node votes for itself. A strict majority decides: for the node the ticket
goes back to Settled and is claimed, against it the ticket Fails. A tie waits for an admin until
``DISPUTE_RESOLUTION_SECONDS``, then Fails. On the local ledger the admin resolves on chain
(``resolve_attestation_dispute``, `nodeplane-local admin resolve-dispute`) and the projection follows its
event; elsewhere :func:`resolve_dispute` decides in nodeplane only. On Sui the contract keeps
``is_in_dispute``, so a claim after a won dispute aborts and the ticket waits for its deadline: nothing
blocks forever.

Every chain call is guarded by a step item written conditionally before the call and completed with the
digest after it; a retry re-uses the digest, and a step whose outcome is unknown (the worker died in the
call) is only re-tried after catching up on chain events and finding no effect.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from nodeplane import clock, queue, store
from nodeplane.errors import Conflict, DomainError, Forbidden, NotFound, Retry
from nodeplane.network import chainops, items, projection
from nodeplane.network.chainops import TxOutcome
from nodeplane.network.projection import small
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

logger = logging.getLogger("nodeplane.settlement")

CONFIDENTIAL, SAMPLING_CONSENSUS = 1, 2
EXTRA_ATTESTATION_NODES = 1  # db.move: one extra node per sampled settlement
ZERO32 = "00" * 32

ATTESTING, SETTLED, DISPUTED, CLAIMING, COMPLETE, FAILED = (
    "Attesting",
    "Settled",
    "Disputed",
    "Claiming",
    "Complete",
    "Failed",
)
OPEN = (ATTESTING, SETTLED, DISPUTED, CLAIMING)


class ChainRejected(DomainError):
    """The chain aborted the transaction (the Move abort is in the detail and in ``abort``)."""

    status, title, code = 409, "Conflict", "CHAIN_ERROR"

    def __init__(self, detail: str, abort: str = "") -> None:
        super().__init__(detail)
        self.abort = abort


# db.move's abort for claim_funds before ``dispute_settled_at_epoch``: the chain's epoch has not turned yet
WINDOW_NOT_OVER = "EDisputeWindowNotOver"


class StepInFlight(Retry):
    """Another worker (or request) is inside the same chain call; retry after its lease."""


# --- operator identity (the keys nodeplane.network.operators stores) ---------------------------------------------


def operator_address(tenant: str) -> str | None:
    """The Sui address whose key ``tenant`` registered with nodeplane (item OPERATOR#<tenant>/SUI)."""
    item = store.get(items.operator_pk(tenant), "SUI")
    return str(item["sui_address"]).lower() if item and item.get("sui_address") else None


_node_addresses: dict[tuple[str, int], str] = {}


def node_address(node_small_id: int) -> str:
    """The node's Sui address; immutable once registered (the registration's sender), so cached per container."""
    key = (settings().table_name, node_small_id)
    if key not in _node_addresses:
        node = store.get(items.node_pk(node_small_id), "NODE")
        if not node or not node.get("sui_address"):
            return ""
        _node_addresses[key] = str(node["sui_address"]).lower()
    return _node_addresses[key]


def holds_operator_key(address: str) -> bool:
    """Whether nodeplane can sign for ``address`` (its key is stored as OPKEY#<address>/KEY)."""
    return store.get(items.operator_key_pk(address.lower()), "KEY") is not None


# --- the proof scheme ---------------------------------------------------------------------------------------


def _h(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def stack_commitment(stack_small_id: int, units: int) -> bytes:
    return _h(b"nodeplane/stack/v1" + stack_small_id.to_bytes(8, "little") + units.to_bytes(8, "little"))


def leaf(stack_small_id: int, units: int, index: int) -> bytes:
    return _h(index.to_bytes(8, "little") + stack_commitment(stack_small_id, units))


def committed_proof(stack_small_id: int, units: int) -> bytes:
    """blake2b256(leaf_0 ‖ … ‖ leaf_E): what the chain recomputes from the leaves after the last attestation."""
    return _h(b"".join(leaf(stack_small_id, units, i) for i in range(1 + EXTRA_ATTESTATION_NODES)))


def _hex(value: Any) -> str:
    if value is None:
        return ZERO32
    if isinstance(value, str):
        return value.removeprefix("0x")
    return bytes(value).hex()


# --- reading -------------------------------------------------------------------------------------------------


def ticket(stack_small_id: int) -> dict[str, Any] | None:
    return store.get(items.stack_pk(stack_small_id), "TICKET")


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
    """A ticket in the daemon's documented claimed-stack shape (seed 004), exactly those fields."""
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


def operator_node_ids(address: str) -> list[int]:
    ids: list[int] = []
    cursor: str | None = None
    while True:
        rows, cursor = store.query(
            "gsi2pk", items.operator_nodes_pk(address), sk_name="gsi2sk", index="gsi2", limit=100, cursor=cursor
        )
        ids.extend(int(i["node_small_id"]) for i in rows)
        if not cursor:
            return ids


def claimed_stacks(tenant: str, node_small_id: int | None = None) -> list[dict[str, Any]]:
    """The operator's settlement tickets, for all its nodes or one (404 when that node is not theirs)."""
    address = operator_address(tenant)
    if node_small_id is not None:
        _owned_node(address, node_small_id)
        nodes = [node_small_id]
    else:
        nodes = operator_node_ids(address) if address else []
    return [claimed_stack_view(t) for n in nodes for t in node_tickets(n)]


def _owned_node(address: str | None, node_small_id: int) -> dict[str, Any]:
    node = store.get(items.node_pk(node_small_id), "NODE")
    if not node or not address or str(node.get("sui_address", "")).lower() != address:
        raise NotFound(f"node {node_small_id} is not one of this operator's nodes")
    return node


# --- projection of the settlement events ---------------------------------------------------------------------


def _open_fields(stack: int, status: str, action: str, now: float) -> dict[str, Any]:
    return {
        "settlement_status": status,
        "next_action": action,
        "enqueued_at": now,
        "progress_at": now,
        "gsi3pk": items.SETTLEMENTS,
        "gsi3sk": items.settlement_due_sk(now + settings().settlement_stall_seconds, stack),
    }


def _settle_time(event: dict[str, Any]) -> str:
    ms = event.get("timestampMs")
    return clock.iso(int(ms) / 1000) if ms else clock.iso()


@projection.handles("StackTrySettleEvent")
def _try_settle(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], list[store.Op]]:
    stack, node = small(data["stack_small_id"]), small(data["selected_node_id"])
    requested = [small(n) for n in data.get("requested_attestation_nodes") or []]
    now = clock.now()
    stack_item = store.get(items.stack_pk(stack), "STACK") or {}
    # buffers sized 32·(1+n): slot 0 is the selected node's, slot i+1 the i-th attester's (pitfall 7)
    proofs = [_hex(data.get("committed_stack_proof"))] + [ZERO32] * len(requested)
    leaves = [_hex(data.get("stack_merkle_leaf"))] + [ZERO32] * len(requested)
    status, action = (ATTESTING, "attest") if requested else (SETTLED, "claim")
    item: dict[str, Any] = {
        "pk": items.stack_pk(stack),
        "sk": "TICKET",
        "entity": "settlement_ticket",
        "kind": "sampling",
        "stack_small_id": stack,
        "stack_id": stack_item.get("stack_id") or "",
        "selected_node_id": node,
        "num_claimed_compute_units": small(data["num_claimed_compute_units"]),
        "requested_attestation_nodes": requested,
        "committed_stack_proofs": proofs,
        "stack_merkle_leaves": leaves,
        "attestations": {},
        "already_attested_nodes": [],
        "received_attestations": 0,
        "required_attestations": len(requested),
        "is_in_dispute": False,
        "is_claimed": False,
        "user_refund_amount": 0,
        "settlement_time": _settle_time(event),
        "created_ts": now,
        "claimable_at": now + settings().settlement_window_seconds,
        "deadline": now + settings().settlement_deadline_seconds,
        "try_settle_tx": event["id"]["txDigest"],
        "gsi1pk": items.node_tickets_pk(node),
        "gsi1sk": items.small_id_sk(stack),
        **_open_fields(stack, status, action, now),
    }
    put = store.put(item, condition="attribute_not_exists(pk)", label="ticket")
    # in_settle_period in the same transaction as the ticket (pitfall 6)
    mark = store.update(
        items.stack_pk(stack),
        "STACK",
        "SET in_settle_period = :t",
        condition="attribute_exists(pk)",
        values={":t": True},
        label="stack",
    )
    return [put, mark], [put]


def _attestation_update(
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


def _slot(item: dict[str, Any] | None, attester: int) -> int | None:
    requested = [int(n) for n in (item or {}).get("requested_attestation_nodes", [])]
    return requested.index(attester) + 1 if attester in requested else None


@projection.handles("NewStackSettlementAttestationEvent")
def _attestation(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], list[store.Op]]:
    stack, attester = small(data["stack_small_id"]), small(data["attestation_node_id"])
    item = ticket(stack)
    slot = _slot(item, attester)
    if item is None or slot is None:
        return [], []
    proof = _hex(data.get("committed_stack_proof"))
    agrees = proof == item["committed_stack_proofs"][0]
    op = _attestation_update(
        stack, attester, proof, _hex(data.get("stack_merkle_leaf")), event["id"]["txDigest"], agrees=agrees, slot=slot
    )
    # an attestation already recorded (same node, other path) counts once: the fallback records nothing
    return [op], []


@projection.handles("StackAttestationDisputeEvent")
def _dispute(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], list[store.Op]]:
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
    if (ticket(stack) or {}).get("settlement_status") != ATTESTING:
        return [record], [record]
    op = _attestation_update(
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


@projection.handles("StackSettlementTicketEvent")
def _settled(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], list[store.Op]]:
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


@projection.handles("StackDisputeResolvedEvent")
def _dispute_resolved(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], list[store.Op]]:
    """The local ledger's admin resolution (db.move has none): the node was right, or the owner is refunded."""
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
    expression, values = _close(
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
    # the chain removed the stack and refunded its owner: it never takes requests again
    stack_op = store.update(
        items.stack_pk(stack),
        "STACK",
        "SET in_settle_period = :f, is_locked_for_claim = :f, is_locked = :t, user_refund_amount = :r",
        condition="attribute_exists(pk)",
        values={":f": False, ":t": True, ":r": refund},
    )
    return [ticket_op, stack_op], []


def _close(status: str, extra_sets: str = "", values: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    expression = "SET settlement_status = :st, closed_at = :now" + extra_sets
    expression += " REMOVE next_action, gsi3pk, gsi3sk"
    return expression, {":st": status, ":now": clock.iso(), **(values or {})}


@projection.handles("StackSettlementTicketClaimedEvent")
def _ticket_claimed(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], list[store.Op]]:
    stack = small(data["stack_small_id"])
    refund = small(data.get("user_refund_amount", 0))
    expression, values = _close(
        COMPLETE,
        ", is_claimed = :t, user_refund_amount = :r, claim_tx = :tx",
        {":t": True, ":r": refund, ":tx": event["id"]["txDigest"]},
    )
    op = store.update(items.stack_pk(stack), "TICKET", expression, condition="attribute_exists(pk)", values=values)
    stack_op = store.update(
        items.stack_pk(stack),
        "STACK",
        "SET is_claimed = :t, in_settle_period = :f, user_refund_amount = :r",
        condition="attribute_exists(pk)",
        values={":t": True, ":f": False, ":r": refund},
    )
    return [op, stack_op], [op]


@projection.handles("ClaimedStackEvent")
def _stack_claimed(data: dict[str, Any], event: dict[str, Any]) -> tuple[list[store.Op], list[store.Op]]:
    stack, node = small(data["stack_small_id"]), small(data["selected_node_id"])
    units, refund = small(data["num_claimed_compute_units"]), small(data.get("user_refund_amount", 0))
    stack_op = store.update(
        items.stack_pk(stack),
        "STACK",
        "SET is_claimed = :t, is_locked = :t, user_refund_amount = :r",
        condition="attribute_exists(pk)",
        values={":t": True, ":r": refund},
    )
    existing = ticket(stack)
    if existing is None:
        # claimed outside nodeplane's claim path: record it so claimed_stacks shows it
        item = _confidential_ticket(stack, node, units, (store.get(items.stack_pk(stack), "STACK") or {}))
        item |= {"settlement_status": COMPLETE, "is_claimed": True, "user_refund_amount": refund}
        item |= {"claim_tx": event["id"]["txDigest"], "settlement_time": _settle_time(event)}
        for k in ("next_action", "gsi3pk", "gsi3sk"):
            item.pop(k, None)
        ticket_op = store.put(item, condition="attribute_not_exists(pk)")
    else:
        expression, values = _close(
            COMPLETE,
            ", is_claimed = :t, user_refund_amount = :r, claim_tx = :tx, num_claimed_compute_units = :u",
            {":t": True, ":r": refund, ":tx": event["id"]["txDigest"], ":u": units},
        )
        ticket_op = store.update(
            items.stack_pk(stack), "TICKET", expression, condition="attribute_exists(pk)", values=values
        )
    return [stack_op, ticket_op], [ticket_op]


def _confidential_ticket(stack: int, node: int, units: int, stack_item: dict[str, Any]) -> dict[str, Any]:
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
        **_open_fields(stack, CLAIMING, "claim_stack", now),
    }


# --- outbox: send after commit --------------------------------------------------------------------------------

_KICKS = {
    "StackTrySettleEvent",
    "StackSettlementTicketEvent",
    "StackAttestationDisputeEvent",
    "StackDisputeResolvedEvent",
}


def job(stack_small_id: int, action: str | None) -> dict[str, Any]:
    return {"kind": "settle", "stack_small_id": stack_small_id, "action": action}


def enqueue(stack_small_id: int, action: str | None, *, delay_seconds: int = 0) -> bool:
    return queue.send(settings().settlement_queue_url, job(stack_small_id, action), delay_seconds=delay_seconds)


def after_commit(event: dict[str, Any]) -> None:
    """Call after ``projection.apply(event)`` returned True: send the job the new ticket state asks for.

    If the send fails the ticket still carries ``next_action`` and sits in gsi3, so the sweeper sends it.
    """
    if projection.event_name(event) not in _KICKS:
        return
    stack = small(event["parsedJson"]["stack_small_id"])
    item = ticket(stack)
    if item and item.get("next_action"):
        enqueue(stack, str(item["next_action"]))


# if the poller offers an after-apply hook list, kick jobs from there too (the sweeper covers it otherwise)
_hooks = getattr(projection, "AFTER_APPLY", None)
if isinstance(_hooks, list) and after_commit not in _hooks:
    _hooks.append(after_commit)


def project(events: Iterable[dict[str, Any]]) -> None:
    """Apply a transaction's events now (the poller will see them again; markers make that a no-op)."""
    for event in events:
        if projection.apply(event):
            after_commit(event)


# --- guarded chain calls ---------------------------------------------------------------------------------------


def _step_key(stack: int, name: str) -> tuple[str, str]:
    return items.stack_pk(stack), items.step_sk(name)


def guarded_call(
    stacks: list[int],
    name: str,
    call: Callable[[], TxOutcome],
    *,
    done: Callable[[], str | None],
) -> str:
    """Run one chain call at most once per (stack, step); return its digest.

    ``done`` looks at the projected chain state and returns a digest when the effect is already there.
    """
    now = clock.now()
    begin = [
        store.put(
            {
                "pk": _step_key(s, name)[0],
                "sk": _step_key(s, name)[1],
                "entity": "chain_step",
                "step": name,
                "state": "started",
                "started_at": now,
            },
            condition="attribute_not_exists(pk) OR #st = :failed",
            names={"#st": "state"},
            values={":failed": "failed"},
            label=f"step{s}",
        )
        for s in stacks
    ]
    try:
        store.transact(begin)
    except TransactionFailed as exc:
        olds = [f.old or {} for f in exc.failures]
        digests = {o.get("digest") for o in olds}
        if olds and all(o.get("state") == "done" for o in olds) and len(digests) == 1:
            return str(digests.pop())  # a retry: re-use the recorded digest
        lease = settings().settlement_step_lease_seconds
        stale = [o for o in olds if o.get("state") == "started" and now - float(o.get("started_at", 0)) >= lease]
        if len(stale) != len(olds) or not olds:
            raise StepInFlight(f"{name} for stacks {stacks} is in flight") from exc
        # the outcome of an earlier call is unknown: catch up on chain events, then decide
        projection.poll(chainops.ops())
        found = done()
        if found:
            _finish(stacks, name, "done", digest=found)
            return found
        takeover = [
            store.update(
                *_step_key(s, name),
                "SET started_at = :now",
                condition="#st = :started AND started_at = :old",
                names={"#st": "state"},
                values={":now": now, ":started": "started", ":old": o.get("started_at")},
                label=f"step{s}",
            )
            for s, o in zip(stacks, olds, strict=False)
        ]
        try:
            store.transact(takeover)
        except TransactionFailed as again:
            raise StepInFlight(f"{name} for stacks {stacks} was taken over") from again
    outcome = call()  # an exception here leaves the step started: its outcome is reconciled after the lease
    if not outcome.ok:
        _finish(stacks, name, "failed", error=outcome.error or "aborted")
        raise ChainRejected(f"chain rejected {name}: {outcome.error}", abort=outcome.error or "aborted")
    _finish(stacks, name, "done", digest=outcome.digest)
    project(outcome.events)
    return outcome.digest


def _finish(stacks: list[int], name: str, state: str, *, digest: str | None = None, error: str | None = None) -> None:
    store.transact(
        [
            store.update(
                *_step_key(s, name),
                "SET #st = :s, digest = :d, #err = :e, finished_at = :t",
                names={"#st": "state", "#err": "error"},
                values={":s": state, ":d": digest, ":e": error, ":t": clock.iso()},
            )
            for s in stacks
        ]
    )


# --- the worker ------------------------------------------------------------------------------------------------


def _touch(stack: int, *, next_check: float) -> None:
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


def process(stack_small_id: int) -> str:
    """Advance one settlement as far as it can go now; returns the last status seen. Safe to run twice at once."""
    item = ticket(stack_small_id)
    if item is None:
        raise ValueError(f"no settlement ticket for stack {stack_small_id}")
    status = item["settlement_status"]
    if status in (COMPLETE, FAILED):
        return str(status)  # a duplicate or late message
    if clock.now() >= float(item.get("deadline", float("inf"))):
        fail(stack_small_id, "settlement deadline passed")
        return FAILED
    if status == CLAIMING:
        claim_confidential(item)
        return CLAIMING
    if status == ATTESTING:
        _attest_held(item)
        item = ticket(stack_small_id) or item
        if _detect_disagreement(item):
            item = ticket(stack_small_id) or item
    if item["settlement_status"] == DISPUTED:
        _resolve(item)
        item = ticket(stack_small_id) or item
    if item["settlement_status"] == SETTLED:
        wait = float(item.get("claimable_at", 0)) - clock.now()
        if wait > 0:
            # the dispute window is still open: come back when it closes
            _touch(stack_small_id, next_check=float(item["claimable_at"]) + settings().settlement_stall_seconds)
            enqueue(stack_small_id, "claim", delay_seconds=min(900, int(wait) + 1))
        else:
            _claim_when_epoch_turned(item)
    return str(item["settlement_status"])


def _claim_when_epoch_turned(item: dict[str, Any]) -> None:
    stack = int(item["stack_small_id"])
    try:
        _claim_settled(item)
    except (ChainRejected, StepInFlight) as exc:
        if isinstance(exc, ChainRejected) and exc.abort != WINDOW_NOT_OVER:
            raise
        # nodeplane's window stands in for the chain's epoch, which has not turned yet, or the operator's own
        # claim_funds is in the chain call right now: look again a window later rather than after the
        # message's visibility timeout
        wait = max(1, settings().settlement_window_seconds)
        _touch(stack, next_check=clock.now() + wait + settings().settlement_stall_seconds)
        enqueue(stack, "claim", delay_seconds=min(900, wait))


def _attest_held(item: dict[str, Any]) -> None:
    stack = int(item["stack_small_id"])
    in_flight: StepInFlight | None = None
    for node in item.get("requested_attestation_nodes", []):
        if f"n{node}" in item.get("attestations", {}):
            continue
        address = node_address(int(node))
        if address and holds_operator_key(address):
            try:
                attest(stack, int(node), address)
            except StepInFlight as exc:
                in_flight = exc  # try the other attesters first
    _touch(stack, next_check=clock.now() + settings().settlement_stall_seconds)
    if in_flight is not None:
        raise in_flight  # the message comes back after its visibility timeout, past the step's lease


def attest(stack: int, node: int, address: str) -> str:
    """Submit node's attestation for the stack, computed from nodeplane's own count of the stack's units."""
    item = ticket(stack)
    if item is None:
        raise NotFound(f"stack {stack} has no settlement ticket")
    slot = _slot(item, node)
    if slot is None:
        raise Conflict(f"node {node} was not sampled to attest stack {stack}")
    existing = item.get("attestations", {}).get(f"n{node}")
    if existing:
        return str(existing.get("tx", ""))
    stack_item = store.get(items.stack_pk(stack), "STACK") or {}
    # the attester's view: the units nodeplane counted from signed usage reports (or the claim if unknown)
    units = int(stack_item.get("already_computed_units", item["num_claimed_compute_units"]))
    proof, leaf_bytes = committed_proof(stack, units), leaf(stack, units, slot)

    def recorded() -> str | None:
        again = (ticket(stack) or {}).get("attestations", {}).get(f"n{node}")
        return str(again.get("tx")) if again else None

    return guarded_call(
        [stack],
        f"attest#{node}",
        lambda: chainops.ops().submit_attestation(
            operator=address, node_small_id=node, stack_small_id=stack, proof=proof, leaf=leaf_bytes
        ),
        done=recorded,
    )


def _detect_disagreement(item: dict[str, Any]) -> bool:
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


def votes(item: dict[str, Any]) -> tuple[int, int]:
    """(for the selected node, against it): the node votes for itself, each attester by its proof."""
    attestations = item.get("attestations", {}).values()
    against = sum(1 for a in attestations if not a.get("agrees", True))
    return 1 + sum(1 for a in attestations if a.get("agrees", True)), against


def _resolve(item: dict[str, Any]) -> None:
    stack = int(item["stack_small_id"])
    if item.get("dispute_resolution"):
        outcome = str(item["dispute_resolution"])
    elif int(item.get("received_attestations", 0)) < int(item.get("required_attestations", 0)):
        outcome = ""  # wait for the remaining votes
    else:
        pro, con = votes(item)
        outcome = "node" if pro > con else "attesters" if con > pro else ""
    if not outcome:
        if clock.now() >= float(item.get("resolve_by", float("inf"))):
            fail(stack, "dispute unresolved: no majority and no admin decision before the deadline")
        else:
            _touch(stack, next_check=float(item.get("resolve_by", clock.now())))
        return
    resolve_dispute(stack, outcome, by="majority" if not item.get("dispute_resolution") else "admin")


def resolve_dispute(stack_small_id: int, outcome: str, *, by: str = "admin") -> None:
    """Settle a dispute: ``node`` lets the claim go ahead, ``attesters`` fails the settlement."""
    if outcome not in ("node", "attesters"):
        raise ValueError("outcome is 'node' or 'attesters'")
    if outcome == "attesters":
        fail(stack_small_id, f"dispute lost ({by})", resolution=outcome)
        return
    try:
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
    except TransactionFailed:
        return


def fail(stack_small_id: int, reason: str, *, resolution: str | None = None) -> bool:
    expression, values = _close(FAILED, ", failure_reason = :why", {":why": reason})
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
    return True


def _claim_settled(item: dict[str, Any]) -> str:
    stack, node = int(item["stack_small_id"]), int(item["selected_node_id"])
    address = node_address(node)
    if not address or not holds_operator_key(address):
        # the operator claims through POST /daemon/claim_funds; keep the ticket visible and waiting
        _touch(stack, next_check=clock.now() + settings().settlement_stall_seconds)
        return ""
    return claim_settled(address, node, [stack])


def _claimed(stacks: list[int]) -> str | None:
    """The claim's digest once every one of ``stacks`` is claimed (a guarded claim's ``done`` check)."""
    found = [ticket(s) or {} for s in stacks]
    return str(found[0].get("claim_tx")) if all(i.get("is_claimed") for i in found) else None


def claim_settled(address: str, node: int, stacks: list[int]) -> str:
    try:
        return guarded_call(
            stacks,
            "claim",
            lambda: chainops.ops().claim_funds(operator=address, node_small_id=node, ticket_ids=stacks),
            done=lambda: _claimed(stacks),
        )
    except ChainRejected as exc:
        for s in stacks:
            _note_error(s, exc.detail)
        raise


def _note_error(stack: int, error: str) -> None:
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


def claim_confidential(item: dict[str, Any]) -> str:
    stack, node = int(item["stack_small_id"]), int(item["selected_node_id"])
    address = node_address(node)
    if not address or not holds_operator_key(address):
        _touch(stack, next_check=clock.now() + settings().settlement_stall_seconds)
        return ""
    try:
        return _claim_for_stacks(address, node, [stack], [int(item["num_claimed_compute_units"])])
    except ChainRejected:
        return ""  # the ticket failed with the chain's reason: retrying this message cannot change that


def _claim_for_stacks(address: str, node: int, stacks: list[int], units: list[int]) -> str:
    try:
        return guarded_call(
            stacks,
            "claim_stack",
            lambda: chainops.ops().claim_funds_for_stacks(
                operator=address, node_small_id=node, stack_small_ids=stacks, units=units
            ),
            done=lambda: _claimed(stacks),
        )
    except ChainRejected as exc:
        # claim_funds_for_stacks has no window to wait for, so its aborts are final for these tickets; failing
        # them also frees the stacks from is_locked_for_claim, and a later claim may open a new ticket
        for s in stacks:
            fail(s, f"claim rejected by the chain: {exc.abort}")
        raise


# a confidential claim ticket is new, or replaces one whose claim failed (the chain rejected it)
_NEW_CLAIM = "attribute_not_exists(pk) OR settlement_status = :failed"


def request_confidential_claim(stack_small_id: int) -> bool:
    """Open a confidential claim ticket (outbox) and send its job; False when one exists or a lock is in flight.

    The stack is marked ``is_locked_for_claim`` in the same transaction, conditional on no units being locked,
    so a lock reserved meanwhile wins and the next usage report re-checks.
    """
    stack_item = store.get(items.stack_pk(stack_small_id), "STACK")
    if not stack_item or stack_item.get("is_claimed"):
        return False
    item = _confidential_ticket(
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
    enqueue(stack_small_id, "claim_stack")
    return True


# --- the operator API --------------------------------------------------------------------------------------------


def _operator(tenant: str) -> str:
    """The caller's Sui address, for calls nodeplane signs on its behalf (so it must hold the key)."""
    address = operator_address(tenant)
    if not address:
        raise Forbidden("no operator Sui address is registered for this account")
    if not holds_operator_key(address):
        raise Forbidden("nodeplane holds no key for this operator's address; register the operator key first")
    return address


def claim_stacks(
    tenant: str, stack_small_ids: list[int], node_small_id: int | None, units: list[int] | None
) -> dict[str, Any]:
    """Confidential stacks: one claim_funds_for_stacks; sampling-consensus stacks: try_settle_stack each."""
    address = _operator(tenant)
    if units is not None and len(units) != len(stack_small_ids):
        raise Conflict("num_claimed_compute_units must have one value per stack")
    confidential: list[tuple[int, int, int]] = []
    sampling: list[tuple[int, int, int]] = []
    for i, stack in enumerate(stack_small_ids):
        item = store.get(items.stack_pk(stack), "STACK")
        if not item:
            raise NotFound(f"stack {stack} not found")
        node = int(item["selected_node_id"])
        if node_small_id is not None and node != node_small_id:
            raise Conflict(f"stack {stack} was not sold by node {node_small_id}")
        _owned_node(address, node)
        if item.get("is_claimed"):
            raise Conflict(f"stack {stack} is already claimed")
        claimed = units[i] if units is not None else int(item.get("already_computed_units", 0))
        if claimed > int(item["num_compute_units"]):
            raise Conflict(f"stack {stack}: cannot claim more than its {item['num_compute_units']} units")
        (confidential if item.get("is_confidential") else sampling).append((stack, node, claimed))
    digests: list[str] = []
    if confidential:
        nodes = {n for _, n, _ in confidential}
        if len(nodes) > 1:
            raise Conflict("one claim covers the stacks of one node")
        for stack, node, claimed in confidential:
            stack_item = store.get(items.stack_pk(stack), "STACK") or {}
            with contextlib.suppress(TransactionFailed):
                store.transact(
                    [
                        store.put(
                            _confidential_ticket(stack, node, claimed, stack_item) | {"next_action": "claim_stack"},
                            condition=_NEW_CLAIM,
                            values={":failed": FAILED},
                        )
                    ]
                )
        digests.append(
            _claim_for_stacks(
                address, confidential[0][1], [s for s, _, _ in confidential], [u for _, _, u in confidential]
            )
        )
    digests += [_try_settle_stack(address, stack, node, claimed) for stack, node, claimed in sampling]
    return {"tx_digest": digests[0]} if len(digests) == 1 else {"tx_digests": digests}


def _try_settle_stack(address: str, stack: int, node: int, claimed: int) -> str:
    proof, leaf0 = committed_proof(stack, claimed), leaf(stack, claimed, 0)
    return guarded_call(
        [stack],
        "settle",
        lambda: chainops.ops().try_settle_stack(
            operator=address, node_small_id=node, stack_small_id=stack, units=claimed, proof=proof, leaf=leaf0
        ),
        done=lambda: (ticket(stack) or {}).get("try_settle_tx"),
    )


def submit_attestations(tenant: str, stack_small_ids: list[int], node_small_id: int | None) -> list[str]:
    address = _operator(tenant)
    mine = [node_small_id] if node_small_id is not None else operator_node_ids(address)
    if node_small_id is not None:
        _owned_node(address, node_small_id)
    digests = []
    for stack in stack_small_ids:
        item = ticket(stack)
        if not item:
            raise NotFound(f"stack {stack} has no settlement ticket")
        requested = [int(n) for n in item.get("requested_attestation_nodes", [])]
        node = next((n for n in mine if n in requested), None)
        if node is None:
            raise Conflict(f"none of this operator's nodes was sampled to attest stack {stack}")
        digests.append(attest(stack, node, address))
        _detect_disagreement(ticket(stack) or item)
    return digests


def claim_funds(tenant: str, stack_small_ids: list[int], node_small_id: int | None) -> dict[str, Any]:
    """One claim_funds for the settled tickets not claimed yet; already claimed ones answer their claim's digest."""
    address = _operator(tenant)
    found = []
    for stack in stack_small_ids:
        item = ticket(stack)
        if not item:
            raise NotFound(f"stack {stack} has no settlement ticket")
        _owned_node(address, int(item["selected_node_id"]))  # before anything else: no state leaks to others
        found.append(item)
    nodes = {int(i["selected_node_id"]) for i in found}
    if len(nodes) != 1 or (node_small_id is not None and nodes != {node_small_id}):
        raise Conflict("one claim covers the settled stacks of one node")
    digests: list[str] = []
    pending: list[int] = []
    for item in found:
        stack, status = int(item["stack_small_id"]), item["settlement_status"]
        if status == COMPLETE:
            digests.append(str(item.get("claim_tx", "")))
            continue
        if status != SETTLED:
            raise Conflict(f"stack {stack} is not settled ({status})")
        if clock.now() < float(item.get("claimable_at", 0)):
            raise Conflict(f"stack {stack} is still in its dispute window")
        pending.append(stack)
    if pending:
        digests.append(claim_settled(address, nodes.pop(), pending))
    distinct = list(dict.fromkeys(digests))
    return {"tx_digest": distinct[0]} if len(distinct) == 1 else {"tx_digests": distinct}


# --- the sweeper -------------------------------------------------------------------------------------------------


def sweep(limit: int = 100) -> dict[str, int]:
    """Re-enqueue settlements whose work stalled; fail those past their deadline. Reads only due tickets."""
    now = clock.now()
    requeued = failed = 0
    cursor: str | None = None
    while True:
        rows, cursor = store.query(
            "gsi3pk",
            items.SETTLEMENTS,
            sk_name="gsi3sk",
            index="gsi3",
            sk_between=("0", items.settlement_due_sk(now, 10**12 - 1)),
            limit=limit,
            cursor=cursor,
        )
        for item in rows:
            stack = int(item["stack_small_id"])
            if now >= float(item.get("deadline", float("inf"))):
                failed += fail(stack, "settlement deadline passed")
                continue
            try:
                store.transact(
                    [
                        store.update(
                            items.stack_pk(stack),
                            "TICKET",
                            "SET enqueued_at = :now, gsi3sk = :due",
                            condition="gsi3sk = :old",
                            values={
                                ":now": now,
                                ":due": items.settlement_due_sk(now + settings().settlement_stall_seconds, stack),
                                ":old": item["gsi3sk"],
                            },
                        )
                    ]
                )
            except TransactionFailed:
                continue  # progressed meanwhile
            requeued += enqueue(stack, item.get("next_action"))
        if not cursor:
            return {"requeued": requeued, "failed": failed}
