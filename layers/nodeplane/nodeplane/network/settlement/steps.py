"""Every chain call settlement makes, each run at most once per (stack, step).

A step item (``STACK#<stack>`` / ``STEP#<name>``) is written conditionally before the call and completed with
the digest after it; a retry re-uses the digest, and a step whose outcome is unknown (the worker died in the
call) is only re-tried after catching up on chain events and finding no effect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nodeplane import clock, store
from nodeplane.errors import Conflict, DomainError, NotFound, Retry
from nodeplane.network import chain_events, chainops, items
from nodeplane.network.chainops import Guard, GuardRefused, TxOutcome
from nodeplane.network.settlement import proofs, tickets
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed


class ChainRejected(DomainError):
    """The chain aborted the transaction (the Move abort is in the detail and in ``abort``)."""

    status, title, code = 409, "Conflict", "CHAIN_ERROR"

    def __init__(self, detail: str, abort: str = "") -> None:
        super().__init__(detail)
        self.abort = abort


class StepInFlight(Retry):
    """Another worker (or request) is inside the same chain call; retry after its lease."""


def guarded_call(
    stacks: list[int],
    name: str,
    call: Callable[[Guard | None], TxOutcome],
    *,
    done: Callable[[], str | None],
) -> str:
    """Run one chain call at most once per (stack, step); return its digest.

    The step items are written with the call's lease of its owned objects, and completed, with the effects of the
    call's events, in the write that releases them (chainops.Guard): a guarded step costs no write of its own.
    ``done`` looks at the projected chain state and returns a digest when the effect is already there.
    """
    now = clock.now()
    begin = [
        store.put(
            {
                "pk": items.stack_pk(s),
                "sk": items.step_sk(name),
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
    merged: list[chain_events.Event] = []

    def finish(outcome: TxOutcome) -> list[store.Op]:
        nonlocal merged
        ops = _finish_ops(stacks, name, outcome)
        merged = []
        if outcome.ok:
            effects, merged = chain_events.effects(outcome.events)
            ops += effects
        return ops

    guard: Guard | None = Guard(begin, finish)
    try:
        outcome = call(guard)  # an exception here leaves the step started: its outcome is reconciled after the lease
    except GuardRefused as refused:
        olds = [f.old or {} for f in refused.failures if f.label.startswith("step")]
        found = _refused(stacks, name, olds, now, done)
        if found:
            return found
        guard = None
        outcome = call(None)  # taken over after the lease of a call whose outcome is unknown and had no effect
    if guard is not None and guard.finished:
        chain_events.applied(merged)
        if len(merged) < len(outcome.events):
            chain_events.apply(outcome.events[len(merged) :])
    else:
        store.transact(_finish_ops(stacks, name, outcome))
        if outcome.ok:
            chain_events.apply(outcome.events)  # the poller will see them again; their markers make that a no-op
    if not outcome.ok:
        raise ChainRejected(f"chain rejected {name}: {outcome.error}", abort=outcome.error or "aborted")
    return outcome.digest


def _refused(
    stacks: list[int], name: str, olds: list[dict[str, Any]], now: float, done: Callable[[], str | None]
) -> str | None:
    """A step item exists already: the recorded digest of a retry, or (after the lease of a call whose outcome is
    unknown) the effect found on chain; None when this worker takes the step over. Raises StepInFlight otherwise."""
    digests = {o.get("digest") for o in olds}
    if olds and all(o.get("state") == "done" for o in olds) and len(digests) == 1:
        return str(digests.pop())  # a retry: re-use the recorded digest
    lease = settings().settlement_step_lease_seconds
    stale = [o for o in olds if o.get("state") == "started" and now - float(o.get("started_at", 0)) >= lease]
    if len(stale) != len(olds) or not olds:
        raise StepInFlight(f"{name} for stacks {stacks} is in flight")
    # the outcome of an earlier call is unknown: catch up on chain events, then decide
    with store.known():  # what the step read before may be out of date now
        chain_events.poll(chainops.ops())
        found = done()
    if found:
        store.transact(_finish_ops(stacks, name, TxOutcome(found)))
        return found
    takeover = [
        store.update(
            items.stack_pk(s),
            items.step_sk(name),
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
    return None


def _finish_ops(stacks: list[int], name: str, outcome: TxOutcome) -> list[store.Op]:
    state, digest, error = (
        ("done", outcome.digest, None) if outcome.ok else ("failed", None, outcome.error or "aborted")
    )
    return [
        store.update(
            items.stack_pk(s),
            items.step_sk(name),
            "SET #st = :s, digest = :d, #err = :e, finished_at = :t",
            names={"#st": "state", "#err": "error"},
            values={":s": state, ":d": digest, ":e": error, ":t": clock.iso()},
        )
        for s in stacks
    ]


# --- the calls -----------------------------------------------------------------------------------------------------


def _claimed(stacks: list[int]) -> str | None:
    """The claim's digest once every one of ``stacks`` is claimed (a guarded claim's ``done`` check)."""
    found = [tickets.ticket(s) or {} for s in stacks]
    return str(found[0].get("claim_tx")) if all(i.get("is_claimed") for i in found) else None


def try_settle_stack(address: str, stack: int, node: int, units: int) -> str:
    """`try_settle_stack` of a sampling-consensus stack, committing to ``units``."""
    proof, leaf0 = proofs.committed_proof(stack, units), proofs.leaf(stack, units, 0)
    return guarded_call(
        [stack],
        "settle",
        lambda guard: chainops.ops().try_settle_stack(
            operator=address,
            node_small_id=node,
            stack_small_id=stack,
            units=units,
            proof=proof,
            leaf=leaf0,
            guard=guard,
        ),
        done=lambda: (tickets.ticket(stack) or {}).get("try_settle_tx"),
    )


def _attester_units(stack: int, item: dict[str, Any]) -> int:
    """The attester's view: the units nodeplane counted from signed usage reports (or the claim if unknown)."""
    stack_item = store.get(items.stack_pk(stack), "STACK") or {}
    return int(stack_item.get("already_computed_units", item["num_claimed_compute_units"]))


def agrees(stack: int) -> bool:
    """Whether nodeplane's attestation of the stack agrees with the node's committed proof."""
    item = tickets.ticket(stack) or {}
    committed = str((item.get("committed_stack_proofs") or [""])[0])
    return not item or proofs.committed_proof(stack, _attester_units(stack, item)).hex() == committed


def _attestation(stack: int, node: int) -> tuple[bytes, bytes] | str:
    """(proof, leaf) of node's attestation for the stack, or the digest it was recorded with already."""
    item = tickets.ticket(stack)
    if item is None:
        raise NotFound(f"stack {stack} has no settlement ticket")
    slot = tickets.slot(item, node)
    if slot is None:
        raise Conflict(f"node {node} was not sampled to attest stack {stack}")
    existing = item.get("attestations", {}).get(f"n{node}")
    if existing:
        return str(existing.get("tx", ""))
    units = _attester_units(stack, item)
    return proofs.committed_proof(stack, units), proofs.leaf(stack, units, slot)


def _attested(stacks: list[int], node: int) -> str | None:
    """The attestation's digest once node's attestation of every one of ``stacks`` is recorded."""
    found = [(tickets.ticket(s) or {}).get("attestations", {}).get(f"n{node}") for s in stacks]
    return str(found[0].get("tx")) if found and all(found) and found[0] else None


def attest(stack: int, node: int, address: str) -> str:
    """Submit node's attestation for the stack, computed from nodeplane's own count of the stack's units."""
    return attest_many([stack], node, address)


def attest_many(stacks: list[int], node: int, address: str) -> str:
    """Node's attestations of ``stacks`` in one transaction (one guarded step for all of them)."""
    entries: list[tuple[int, bytes, bytes]] = []
    digests = []
    for stack in stacks:
        found = _attestation(stack, node)
        if isinstance(found, str):
            digests.append(found)
        else:
            entries.append((stack, *found))
    if not entries:
        return digests[0]
    pending = [stack for stack, _, _ in entries]
    return guarded_call(
        pending,
        f"attest#{node}",
        lambda guard: chainops.ops().submit_attestations(
            operator=address, node_small_id=node, attestations=entries, guard=guard
        ),
        done=lambda: _attested(pending, node),
    )


def claim_settled(address: str, node: int, stacks: list[int]) -> str:
    """`claim_funds` for settled tickets of one node; a rejection is noted on each ticket."""
    try:
        return guarded_call(
            stacks,
            "claim",
            lambda guard: chainops.ops().claim_funds(
                operator=address, node_small_id=node, ticket_ids=stacks, guard=guard
            ),
            done=lambda: _claimed(stacks),
        )
    except ChainRejected as exc:
        for s in stacks:
            tickets.note_error(s, exc.detail)
        raise


def claim_for_stacks(
    address: str, node: int, stacks: list[int], units: list[int], *, fail_on_reject: bool = True
) -> str:
    """`claim_funds_for_stacks` for confidential stacks of one node; a rejection fails their tickets (unless
    ``fail_on_reject`` is False: the caller tries them one by one)."""
    try:
        return guarded_call(
            stacks,
            "claim_stack",
            lambda guard: chainops.ops().claim_funds_for_stacks(
                operator=address, node_small_id=node, stack_small_ids=stacks, units=units, guard=guard
            ),
            done=lambda: _claimed(stacks),
        )
    except ChainRejected as exc:
        if not fail_on_reject:
            raise
        # claim_funds_for_stacks has no window to wait for, so its aborts are final for these tickets; failing
        # them also frees the stacks from is_locked_for_claim, and a later claim may open a new ticket
        for s in stacks:
            tickets.fail(s, f"claim rejected by the chain: {exc.abort}")
        raise
