"""The settlement worker: advance one settlement as far as it can go now (the SQS job only names the stack).

Dispute window: on chain a claim waits until ``epoch >= dispute_settled_at_epoch`` (try_settle's epoch + 1).
nodeplane has no epoch clock, so it waits ``SETTLEMENT_WINDOW_SECONDS`` after the ticket (the local stand-in for
one epoch); when the chain still answers ``EDisputeWindowNotOver`` it looks again a window later (the local
ledger's epoch turns with `nodeplane-local admin advance-epoch`).

Dispute resolution (the contract has none): each attester votes by whether its proof equals the committed one;
the selected node votes for itself. A strict majority decides: for the node the ticket goes back to Settled and
is claimed, against it the ticket Fails. A tie waits for an admin until ``DISPUTE_RESOLUTION_SECONDS``, then
Fails. On the local ledger the admin resolves on chain (`nodeplane-local admin resolve-dispute`) and the ticket
follows its event; elsewhere tickets.resolve_dispute decides in nodeplane only. On Sui the contract keeps
``is_in_dispute``, so a claim after a won dispute aborts and the ticket waits for its deadline: nothing blocks
forever.
"""

from __future__ import annotations

from typing import Any

from nodeplane import clock
from nodeplane.network import operators
from nodeplane.network.settlement import jobs, proofs, steps, tickets
from nodeplane.network.settlement.steps import ChainRejected, StepInFlight
from nodeplane.network.settlement.tickets import ATTESTING, CLAIMING, COMPLETE, DISPUTED, FAILED, SETTLED
from nodeplane.settings import settings

# the contract's abort for claim_funds before ``dispute_settled_at_epoch``: the chain's epoch has not turned yet
WINDOW_NOT_OVER = "EDisputeWindowNotOver"


def process(stack_small_id: int) -> str:
    """Advance one settlement as far as it can go now; returns the last status seen. Safe to run twice at once."""
    item = tickets.ticket(stack_small_id)
    if item is None:
        raise ValueError(f"no settlement ticket for stack {stack_small_id}")
    status = item["settlement_status"]
    if status in (COMPLETE, FAILED):
        return str(status)  # a duplicate or late message
    if clock.now() >= float(item.get("deadline", float("inf"))):
        tickets.fail(stack_small_id, "settlement deadline passed")
        return FAILED
    if status == CLAIMING:
        _claim_confidential(item)
        return CLAIMING
    if status == ATTESTING:
        _attest_held(item)
        item = tickets.ticket(stack_small_id) or item
        if tickets.detect_disagreement(item):
            item = tickets.ticket(stack_small_id) or item
    if item["settlement_status"] == DISPUTED:
        _resolve(item)
        item = tickets.ticket(stack_small_id) or item
    if item["settlement_status"] == SETTLED:
        wait = float(item.get("claimable_at", 0)) - clock.now()
        if wait > 0:
            # the dispute window is still open: come back when it closes
            tickets.touch(stack_small_id, next_check=float(item["claimable_at"]) + settings().settlement_stall_seconds)
            jobs.enqueue(stack_small_id, "claim", delay_seconds=min(900, int(wait) + 1))
        else:
            _claim_when_epoch_turned(item)
    return str(item["settlement_status"])


def _signer(node: int) -> str:
    """The node's address when nodeplane holds its operator's key, else "" (the operator acts through /daemon)."""
    address = operators.node_address(node)
    return address if address and operators.holds_operator_key(address) else ""


def _claim_confidential(item: dict[str, Any]) -> str:
    stack, node = int(item["stack_small_id"]), int(item["selected_node_id"])
    address = _signer(node)
    if not address:
        tickets.touch(stack, next_check=clock.now() + settings().settlement_stall_seconds)
        return ""
    try:
        return steps.claim_for_stacks(address, node, [stack], [int(item["num_claimed_compute_units"])])
    except ChainRejected:
        return ""  # the ticket failed with the chain's reason: retrying this message cannot change that


def _claim_settled(item: dict[str, Any]) -> str:
    stack, node = int(item["stack_small_id"]), int(item["selected_node_id"])
    address = _signer(node)
    if not address:
        # the operator claims through POST /daemon/claim_funds; keep the ticket visible and waiting
        tickets.touch(stack, next_check=clock.now() + settings().settlement_stall_seconds)
        return ""
    return steps.claim_settled(address, node, [stack])


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
        tickets.touch(stack, next_check=clock.now() + wait + settings().settlement_stall_seconds)
        jobs.enqueue(stack, "claim", delay_seconds=min(900, wait))


def _attest_held(item: dict[str, Any]) -> None:
    """Attest for every sampled node whose operator's key nodeplane holds."""
    stack = int(item["stack_small_id"])
    in_flight: StepInFlight | None = None
    for node in item.get("requested_attestation_nodes", []):
        if f"n{node}" in item.get("attestations", {}):
            continue
        address = _signer(int(node))
        if address:
            try:
                steps.attest(stack, int(node), address)
            except StepInFlight as exc:
                in_flight = exc  # try the other attesters first
    tickets.touch(stack, next_check=clock.now() + settings().settlement_stall_seconds)
    if in_flight is not None:
        raise in_flight  # the message comes back after its visibility timeout, past the step's lease


def _resolve(item: dict[str, Any]) -> None:
    stack = int(item["stack_small_id"])
    if item.get("dispute_resolution"):
        outcome = str(item["dispute_resolution"])
    elif int(item.get("received_attestations", 0)) < int(item.get("required_attestations", 0)):
        outcome = ""  # wait for the remaining votes
    else:
        pro, con = proofs.votes(item)
        outcome = "node" if pro > con else "attesters" if con > pro else ""
    if not outcome:
        if clock.now() >= float(item.get("resolve_by", float("inf"))):
            tickets.fail(stack, "dispute unresolved: no majority and no admin decision before the deadline")
        else:
            tickets.touch(stack, next_check=float(item.get("resolve_by", clock.now())))
        return
    tickets.resolve_dispute(stack, outcome, by="majority" if not item.get("dispute_resolution") else "admin")
