"""What an operator calls through /daemon to settle its stacks: claim_stacks, submit_attestations, claim_funds.

nodeplane signs these with the operator's own key, so the caller must have imported it (POST /daemon/keys).
"""

from __future__ import annotations

from typing import Any

from nodeplane import clock, store
from nodeplane.errors import Conflict, Forbidden, NotFound
from nodeplane.network import items, operators
from nodeplane.network.locks.plan import now_ms
from nodeplane.network.locks.reserve import release_expired
from nodeplane.network.settlement import steps, tickets
from nodeplane.network.settlement.tickets import COMPLETE, SETTLED


def _operator(tenant: str) -> str:
    """The caller's Sui address, for calls nodeplane signs on its behalf (so it must hold the key)."""
    address = operators.operator_address(tenant)
    if not address:
        raise Forbidden("no operator Sui address is registered for this account")
    if not operators.holds_operator_key(address):
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
    read: list[dict[str, Any]] = []
    for i, stack in enumerate(stack_small_ids):
        item = store.get(items.stack_pk(stack), "STACK")
        if not item:
            raise NotFound(f"stack {stack} not found")
        node = int(item["selected_node_id"])
        if node_small_id is not None and node != node_small_id:
            raise Conflict(f"stack {stack} was not sold by node {node_small_id}")
        operators.check_owned(address, node)
        if item.get("is_claimed"):
            raise Conflict(f"stack {stack} is already claimed")
        claimable, item = _claimable(item)
        claimed = units[i] if units is not None else claimable
        if claimed > claimable:
            raise Conflict(_over_claim(item, claimed, claimable))
        (confidential if item.get("is_confidential") else sampling).append((stack, node, claimed))
        read.append(item)
    with store.known(*read):  # the stacks as just read: their events' effects need not read them again
        return _claim(address, confidential, sampling)


def _claim(
    address: str, confidential: list[tuple[int, int, int]], sampling: list[tuple[int, int, int]]
) -> dict[str, Any]:
    digests: list[str] = []
    if confidential:
        nodes = {n for _, n, _ in confidential}
        if len(nodes) > 1:
            raise Conflict("one claim covers the stacks of one node")
        opened = []
        for stack, node, claimed in confidential:
            ticket = tickets.open_confidential_claim(stack, node, claimed)
            opened.append(ticket)
            if ticket is None:
                # a lock was taken or the usage changed since the read: say what is claimable now
                with store.known():  # what the stack says now, not as read before
                    claimable, item = _claimable(store.get(items.stack_pk(stack), "STACK") or {"stack_small_id": stack})
                raise Conflict(_over_claim(item, claimed, claimable))
        with store.known(*opened):  # the tickets just written: their claim's events need not read them
            digests.append(
                steps.claim_for_stacks(
                    address, confidential[0][1], [s for s, _, _ in confidential], [u for _, _, u in confidential]
                )
            )
    digests += [steps.try_settle_stack(address, stack, node, claimed) for stack, node, claimed in sampling]
    return {"tx_digest": digests[0]} if len(digests) == 1 else {"tx_digests": digests}


def _claimable(item: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What a claim for the stack may name: the units signed usage reports recorded, and nothing while a lock is
    live (its request may still be served). Expired locks are released first, so no report can consume them after
    the claim; returns the claimable units and the stack as read last."""
    if item.get("locks") and any(int(lk["expires_at"]) <= now_ms() for lk in item["locks"].values()):
        release_expired(int(item["stack_small_id"]))
        item = store.get(items.stack_pk(int(item["stack_small_id"])), "STACK") or item
    if int(item.get("locked_compute_units", 0)) > 0:
        return 0, item
    return int(item.get("already_computed_units", 0)), item


def _over_claim(item: dict[str, Any], claimed: int, claimable: int) -> str:
    stack, locked = item["stack_small_id"], int(item.get("locked_compute_units", 0))
    why = (
        f"{locked} of its units are locked by requests in flight; a claim waits until their locks are used, "
        "released or expire"
        if locked
        else "the units recorded by signed usage reports"
    )
    return f"stack {stack}: {claimable} compute units are claimable ({why}), not {claimed}"


def submit_attestations(tenant: str, stack_small_ids: list[int], node_small_id: int | None) -> list[str]:
    """Attest each stack with the operator's node that was sampled for it."""
    address = _operator(tenant)
    mine = [node_small_id] if node_small_id is not None else operators.operator_node_ids(address)
    if node_small_id is not None:
        operators.owned_node(address, node_small_id)
    digests = []
    for stack in stack_small_ids:
        item = tickets.ticket(stack)
        if not item:
            raise NotFound(f"stack {stack} has no settlement ticket")
        requested = [int(n) for n in item.get("requested_attestation_nodes", [])]
        node = next((n for n in mine if n in requested), None)
        if node is None:
            raise Conflict(f"none of this operator's nodes was sampled to attest stack {stack}")
        digests.append(steps.attest(stack, node, address))
        tickets.detect_disagreement(tickets.ticket(stack) or item)
    return digests


def claim_funds(tenant: str, stack_small_ids: list[int], node_small_id: int | None) -> dict[str, Any]:
    """One claim_funds for the settled tickets not claimed yet; already claimed ones answer their claim's digest."""
    address = _operator(tenant)
    found = []
    for stack in stack_small_ids:
        item = tickets.ticket(stack)
        if not item:
            raise NotFound(f"stack {stack} has no settlement ticket")
        operators.owned_node(address, int(item["selected_node_id"]))  # before anything else: no state leaks to others
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
        digests.append(steps.claim_settled(address, nodes.pop(), pending))
    distinct = list(dict.fromkeys(digests))
    return {"tx_digest": distinct[0]} if len(distinct) == 1 else {"tx_digests": distinct}
