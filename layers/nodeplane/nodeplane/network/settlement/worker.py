"""The settlement worker: advance the settlements of an SQS batch (each job only names a stack), one step each.

A batch is read in one call; one node's attestations, and its claims, go out in one chain transaction each; the
rest advance in one lane per signing node, the lanes concurrently. Each step costs three DynamoDB calls, a batch
of one node's ten the same three (docs/performance.md).

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

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from nodeplane import clock, store
from nodeplane.network import items, operators
from nodeplane.network.settlement import jobs, proofs, steps, tickets
from nodeplane.network.settlement.steps import ChainRejected, StepInFlight
from nodeplane.network.settlement.tickets import ATTESTING, CLAIMING, COMPLETE, DISPUTED, FAILED, SETTLED
from nodeplane.settings import settings

logger = logging.getLogger("nodeplane.settlement")

# the contract's abort for claim_funds before ``dispute_settled_at_epoch``: the chain's epoch has not turned yet
WINDOW_NOT_OVER = "EDisputeWindowNotOver"
CONCURRENCY = 10  # settlements of one batch advanced at once (an SQS batch holds at most 10 messages)

Outcome = str | Exception


def settle(stacks: list[int]) -> dict[int, Outcome]:
    """Advance the settlements of one batch: each stack's outcome (its last status seen, or what it raised).

    The batch's tickets and stacks are read in one call. The chain calls one node signs for are batched: its
    attestations go out in one transaction, its claims in one (the contract takes several tickets, or stacks, at
    once). Whatever is left advances as :func:`process` does it, one lane per signing node (an operator's
    transactions run one at a time anyway), the lanes concurrently. A stack named twice is advanced once.
    """
    distinct = list(dict.fromkeys(stacks))
    found = _read(distinct)
    outcomes: dict[int, Outcome] = {}
    again: set[int] = set()  # batched stacks with more to do now: looked at afresh
    for (kind, node), group in _batches(found).items():
        settled, follow_up = _together(kind, node, group, found)
        outcomes.update(settled)
        again |= follow_up
    lanes: dict[object, list[int]] = {}
    for stack in distinct:
        if stack not in outcomes:
            lanes.setdefault(_lane(stack, found[stack], stack in again), []).append(stack)

    def run(lane: list[int]) -> list[tuple[int, Outcome]]:
        out: list[tuple[int, Outcome]] = []
        for stack in lane:
            with store.known(*(() if stack in again else found[stack])):
                try:
                    out.append((stack, process(stack)))
                except Exception as exc:  # the record's own failure: only its message goes back to the queue
                    out.append((stack, exc))
        return out

    if len(lanes) <= 1:
        for lane in lanes.values():
            outcomes.update(run(lane))
    else:
        with ThreadPoolExecutor(max_workers=min(CONCURRENCY, len(lanes))) as pool:
            for lane_outcomes in pool.map(run, lanes.values()):
                outcomes.update(lane_outcomes)
    return outcomes


def _ticket(found: tuple[dict[str, Any], ...]) -> dict[str, Any] | None:
    return next((i for i in found if i["sk"] == "TICKET"), None)


def _lane(stack: int, found: tuple[dict[str, Any], ...], fresh: bool) -> object:
    """Settlements whose next chain call the same node signs share a lane (its wallet serialises them)."""
    ticket = _ticket(found)
    if ticket is None:
        return ("stack", stack)
    if ticket["settlement_status"] == ATTESTING and not fresh:  # fresh: attested just now, its claim is next
        return ("attesters", tuple(ticket.get("requested_attestation_nodes", [])))
    return ("node", ticket.get("selected_node_id"))


def _read(stacks: list[int]) -> dict[int, tuple[dict[str, Any], ...]]:
    """Each stack's ticket and stack item, in one BatchGetItem (consistent) per 50 stacks."""
    table = settings().table_name
    client = store.dynamodb()
    out: dict[int, list[dict[str, Any]]] = {s: [] for s in stacks}
    for start in range(0, len(stacks), 50):
        keys = [
            store.dynamo.serialize({"pk": items.stack_pk(s), "sk": sk})
            for s in stacks[start : start + 50]
            for sk in ("TICKET", "STACK")
        ]
        request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
        for _ in range(5):  # unprocessed keys come back under throttling only
            response = client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(table, []):
                item = store.dynamo.deserialize(raw)
                out.setdefault(int(item["stack_small_id"]), []).append(item)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
    return {s: tuple(found) for s, found in out.items()}


def _batches(found: dict[int, tuple[dict[str, Any], ...]]) -> dict[tuple[str, int], list[int]]:
    """(kind, signing node) -> the batch's stacks whose chain call that node makes now, for two or more."""
    now = clock.now()
    groups: dict[tuple[str, int], list[int]] = {}
    for stack, found_items in found.items():
        ticket = _ticket(found_items)
        if ticket is None or now >= float(ticket.get("deadline", float("inf"))):
            continue
        status, node = ticket.get("settlement_status"), int(ticket.get("selected_node_id", 0))
        if not node:
            continue
        if status == SETTLED and float(ticket.get("claimable_at", 0)) <= now:
            groups.setdefault(("claim", node), []).append(stack)
        elif status == CLAIMING:
            groups.setdefault(("claim_stack", node), []).append(stack)
        elif status == ATTESTING:
            waiting = [int(n) for n in ticket.get("requested_attestation_nodes", [])]
            waiting = [n for n in waiting if f"n{n}" not in ticket.get("attestations", {})]
            if len(waiting) == 1:  # one attester left: the usual case (one is sampled per settlement)
                groups.setdefault(("attest", waiting[0]), []).append(stack)
    return {key: group for key, group in groups.items() if len(group) > 1}


def _together(
    kind: str, node: int, group: list[int], found: dict[int, tuple[dict[str, Any], ...]]
) -> tuple[dict[int, Outcome], set[int]]:
    """One transaction for the group: the outcomes it settled, and the stacks to look at afresh (attested, but
    their attestation disagrees or their window has closed already). A stack in neither is left to
    :func:`process` (nodeplane does not sign for the node, a step is in flight, or the chain refused the group:
    each then meets its own fate)."""
    address = _signer(node)
    if not address:
        return {}, set()
    known = [i for s in group for i in found[s]]
    try:
        with store.known(*known):
            if kind == "attest":
                steps.attest_many(group, node, address)
                now = clock.now()
                done: dict[int, Outcome] = {
                    s: ATTESTING
                    for s in group
                    if steps.agrees(s) and now < float((_ticket(found[s]) or {}).get("claimable_at", 0))
                }
                return done, {s for s in group if s not in done}
            if kind == "claim":
                steps.claim_settled(address, node, group)
                return dict.fromkeys(group, COMPLETE), set()
            units = [int((_ticket(found[s]) or {})["num_claimed_compute_units"]) for s in group]
            steps.claim_for_stacks(address, node, group, units, fail_on_reject=False)
            return dict.fromkeys(group, COMPLETE), set()
    except ChainRejected as exc:
        if kind == "claim" and exc.abort == WINDOW_NOT_OVER:
            for stack in group:
                _look_again(stack)
            return dict.fromkeys(group, SETTLED), set()
        logger.info("the chain refused %s for stacks %s together (%s): one by one", kind, group, exc.abort)
        return {}, set()
    except StepInFlight:
        return {}, set()


def process(stack_small_id: int) -> str:
    """Advance one settlement as far as it can go now; returns the last status seen. Safe to run twice at once.

    Inside :func:`settle`, the ticket and stack come from the batch's read (store.known); one step is done per
    message, and the events of the step send the job for the next one (settlement/events.py).
    """
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
        disagrees = _attest_held(item)
        if not disagrees and clock.now() < float(item.get("claimable_at", 0)):
            return ATTESTING  # the attestation's events sent the next job (a claim once the window closes)
        with store.known():  # a disagreement, or the window has closed already: what the ticket says now decides
            item = tickets.ticket(stack_small_id) or item
            if disagrees and tickets.detect_disagreement(item):
                item = tickets.ticket(stack_small_id) or item
    with store.known():
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
            return _claim_when_epoch_turned(item)
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


def _look_again(stack: int) -> None:
    """nodeplane's window stands in for the chain's epoch, which has not turned yet, or the operator's own
    claim_funds is in the chain call right now: look again a window later rather than after the message's
    visibility timeout."""
    wait = max(1, settings().settlement_window_seconds)
    tickets.touch(stack, next_check=clock.now() + wait + settings().settlement_stall_seconds)
    jobs.enqueue(stack, "claim", delay_seconds=min(900, wait))


def _claim_when_epoch_turned(item: dict[str, Any]) -> str:
    try:
        return COMPLETE if _claim_settled(item) else SETTLED
    except (ChainRejected, StepInFlight) as exc:
        if isinstance(exc, ChainRejected) and exc.abort != WINDOW_NOT_OVER:
            raise
        _look_again(int(item["stack_small_id"]))
        return SETTLED


def _attest_held(item: dict[str, Any]) -> bool:
    """Attest for every sampled node whose operator's key nodeplane holds; True when one of those attestations
    disagrees with the node's commitment (the ticket must then be looked at again)."""
    stack = int(item["stack_small_id"])
    in_flight: StepInFlight | None = None
    attested = disagrees = False
    for node in item.get("requested_attestation_nodes", []):
        if f"n{node}" in item.get("attestations", {}):
            continue
        address = _signer(int(node))
        if address:
            try:
                steps.attest(stack, int(node), address)
                attested = True
                disagrees = disagrees or not steps.agrees(stack)
            except StepInFlight as exc:
                in_flight = exc  # try the other attesters first
    if not attested:
        tickets.touch(stack, next_check=clock.now() + settings().settlement_stall_seconds)
    if in_flight is not None:
        raise in_flight  # the message comes back after its visibility timeout, past the step's lease
    return disagrees or any(not a.get("agrees", True) for a in item.get("attestations", {}).values())


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
